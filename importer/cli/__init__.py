"""The `task-importer` command: parses arguments, wires the library, prints, sets the exit code.

Each subcommand lives in its own module exposing ``register(subparsers)``; the handler it
sets as ``func`` takes the parsed arguments and returns an ``ExitCode``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from importer import __version__
from importer.cli import retry, run, sandbox, template, validate
from importer.errors import ImporterError
from importer.exitcodes import ExitCode

COMMANDS = (validate, run, retry, template, sandbox)

EXIT_CODES_HELP = """exit codes:
  0  every row valid (validate) / created or already created (run)
  1  some rows invalid or failed: see the results file
  2  usage, configuration or input-file error; nothing was sent
  3  run stopped early (access denied, quota, interrupted); a re-run continues
  4  another run holds the journal
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="task-importer",
        description="Bulk-load Amazon Connect tasks from CSV and Excel files.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        for noisy in ("botocore", "boto3", "urllib3"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return int(args.func(args))
    except ImporterError as error:
        print(f"task-importer: error: {error}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        print("task-importer: interrupted", file=sys.stderr)
        return int(ExitCode.STOPPED)
