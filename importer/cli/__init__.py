"""The `task-importer` command: parses arguments, wires the library, prints, sets the exit code.

Each subcommand lives in its own module exposing ``COMMAND`` (importer.cli.options.Command):
its name, help, options and handler, which takes the parsed arguments and returns an
``ExitCode``.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from importer import __version__
from importer.cli import (
    check,
    config_file,
    console,
    history,
    retry,
    run,
    sandbox,
    template,
    undo,
    validate,
)
from importer.cli.interrupts import command_signals
from importer.cli.options import HELP_WIDTH, Command, add_options, run_options
from importer.errors import ImporterError, Interrupted
from importer.exitcodes import ExitCode

COMMANDS = tuple(
    module.COMMAND for module in (validate, check, run, retry, undo, history, template, sandbox)
)

EXIT_CODES_HELP = """exit codes:
  0  every row valid (validate) / created or already created (run, retry) / every task
     stopped (undo); empty inbox
  1  some rows invalid or failed (see the results files); or, of several inputs, some
     could not be read while others were sent
  2  usage, configuration or input-file error, or a failed preflight check; nothing sent
  3  run stopped early (access denied, quota, no answer from the endpoint, journal not
     writable, interrupted); a re-run continues
  4  another run holds the journal; nothing sent
"""


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose usage errors are also an ERROR line of the log (a cron log
    grepped for ERROR finds every run that exited 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        console.error(f"{message} (see {self.prog} --help)")
        self.exit(int(ExitCode.USAGE))


def build_parser(config: Mapping[str, Any] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; ``config``: a command's defaults by name, from --config."""
    parser = _Parser(
        prog="task-importer",
        description="Bulk-load Amazon Connect tasks from CSV and Excel files.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--log-file", metavar="PATH", help="also write the log, with timestamps, to this file"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        subparser = subparsers.add_parser(
            command.name,
            help=command.help,
            description=_wrapped(command.description),
            epilog=exit_codes_help(command),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_options(subparser, command.options)
        subparser.set_defaults(func=command.handler, **(config or {}).get(command.name, {}))
    return parser


def exit_codes_help(command: Command) -> str:
    """The end of a command's --help: what its exit codes mean."""
    if not command.exit_codes:
        return EXIT_CODES_HELP
    lines = ["exit codes:"]
    for code, meaning in command.exit_codes:
        wrapped = textwrap.wrap(meaning, HELP_WIDTH - 5, break_on_hyphens=False)
        lines += [f"  {code}  {wrapped[0]}", *(f"     {line}" for line in wrapped[1:])]
    return "\n".join(lines) + "\n"


def _wrapped(text: str | None) -> str | None:
    return textwrap.fill(text, HELP_WIDTH) if text else text


def header(args: argparse.Namespace) -> str:
    """The first line of every command: version, command, pid, config file and journal."""
    parts = [f"task-importer {__version__} {args.command}", f"pid {os.getpid()}"]
    if "config" in vars(args):
        parts.append(f"config {args.config or 'none'}")
    if "journal" in vars(args):
        path = run_options(args).journal_path()
        journal = str(path) if path is not None else "a throwaway one (--sandbox)"
        read_only = " (read only: a dry run)" if getattr(args, "dry_run", False) else ""
        parts.append(f"journal {journal}{read_only}")
    return ", ".join(parts)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; with ``--config``, its values become the defaults first."""
    args = build_parser().parse_args(argv)
    if getattr(args, "config", None):
        options = {command.name: command.options for command in COMMANDS}
        values = config_file.defaults(args.config, options[args.command], options["run"])
        args = build_parser({args.command: values}).parse_args(argv)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    console.replace_unencodable()
    console.configure()
    try:
        args = parse(argv)
        console.configure(args.verbose, args.log_file)
        console.say(header(args))
        with command_signals():
            return int(args.func(args))
    except ImporterError as problem:
        console.error(str(problem))
        return int(problem.exit_code)
    except Interrupted as stop:
        console.error(str(stop))
        return int(stop.exit_code)
    except KeyboardInterrupt:
        console.error("interrupted")
        return int(ExitCode.STOPPED)
