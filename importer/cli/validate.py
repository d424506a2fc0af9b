"""`task-importer validate` (placeholder until implemented)."""

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser("validate", help="not implemented yet")
