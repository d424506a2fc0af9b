"""`task-importer template` (placeholder until implemented)."""

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser("template", help="not implemented yet")
