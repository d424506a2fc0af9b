"""`task-importer sandbox` (placeholder until implemented)."""

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser("sandbox", help="not implemented yet")
