"""Every command-line option, declared once in a table of our own.

An :class:`Option` says how the option is spelt, helped and read; :func:`add_options` makes
a command's argparse arguments from its options (in order, each in its group), and
:mod:`importer.cli.config_file` reads a config file's keys (the long option without its
dashes) with the same Options. A :class:`Command` is a subcommand: its name, help, options
and handler. Nothing here reaches into argparse's private API. :func:`run_options` turns a
command's parsed arguments into the library's typed RunOptions, once.
"""

from __future__ import annotations

import argparse
import dataclasses
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from importer.aws import CONNECT_TIMEOUT, READ_TIMEOUT
from importer.cli.argument_types import parse_max_failures, positive_seconds
from importer.exitcodes import ExitCode
from importer.options import RunOptions
from importer.reconcile import EDITED_CODE
from importer.sandbox import defaults as sandbox_defaults

_UNSET: Any = object()
"""An Option attribute argparse is not told about (its own default applies)."""

HELP_WIDTH = 78
"""Columns the texts of --help are wrapped to (they are given to argparse as written)."""
GROUP_NOTES = {
    "sending": "Ctrl-C (or SIGTERM; Ctrl-Break on Windows) stops sending: the requests in "
    "flight finish, the results are written and the exit code is 3. A second one stops "
    "waiting for those requests: their rows are failed, saying a task may have been "
    "created, and the next run reconciles them.",
}
"""The text a group's title is followed by in --help."""


@dataclass(frozen=True)
class Option:
    """One argument of a command: what ``add_argument`` is given, its group's title, and
    whether a config file's value is a path (read from the config file's folder)."""

    names: tuple[str, ...]
    help: str | None = None
    metavar: str | tuple[str, ...] | None = None
    type: Callable[[str], Any] | None = None
    default: Any = _UNSET
    action: str | None = None
    nargs: str | int | None = None
    group: str | None = None
    path: bool = False

    @property
    def positional(self) -> bool:
        return not self.names[0].startswith("-")

    @property
    def dest(self) -> str:
        """The attribute of the parsed arguments, as argparse names it."""
        if self.positional:
            return self.names[0]
        long = next((name for name in self.names if name.startswith("--")), self.names[0])
        return long.lstrip("-").replace("-", "_")

    @property
    def key(self) -> str:
        """The config file's key: the long option without ``--``, or a positional's name."""
        if self.positional:
            return self.names[0]
        return next(name[2:] for name in self.names if name.startswith("--"))

    @property
    def is_flag(self) -> bool:
        return self.action == "store_true"

    @property
    def is_list(self) -> bool:
        return self.nargs in ("*", "+")

    def hidden(self) -> Option:
        """The same option, left out of --help."""
        return dataclasses.replace(self, help=argparse.SUPPRESS)

    def add_to(self, container: Any) -> None:
        """Add the argument to a parser or an argument group."""
        given = {
            "help": self.help,
            "metavar": self.metavar,
            "type": self.type,
            "action": self.action,
            "nargs": self.nargs,
        }
        arguments = {name: value for name, value in given.items() if value is not None}
        if self.default is not _UNSET:
            arguments["default"] = self.default
        container.add_argument(*self.names, **arguments)


@dataclass(frozen=True)
class Command:
    """A subcommand: ``handler`` takes the parsed arguments and returns the exit code."""

    name: str
    help: str
    handler: Callable[[argparse.Namespace], ExitCode]
    options: tuple[Option, ...]
    description: str | None = None
    exit_codes: tuple[tuple[int, str], ...] = ()
    """What each exit code means for this command, listed at the end of its --help (none
    given: the table of every command's codes)."""


def add_options(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    """Add ``options`` in order; a group is made where its first option is added."""
    groups: dict[str, Any] = {}
    for option in options:
        container: Any = parser
        if option.group is not None:
            if option.group not in groups:
                note = GROUP_NOTES.get(option.group)
                wrapped = textwrap.fill(note, HELP_WIDTH) if note else None
                groups[option.group] = parser.add_argument_group(option.group, wrapped)
            container = groups[option.group]
        option.add_to(container)


def _mapping(*names: str, **rest: Any) -> Option:
    return Option(names, group="mapping", **rest)


def _sending(*names: str, **rest: Any) -> Option:
    return Option(names, group="sending", **rest)


def _aws(*names: str, **rest: Any) -> Option:
    return Option(names, group="AWS", **rest)


INPUTS = Option(
    ("inputs",),
    metavar="INPUT",
    nargs="*",
    help="a .csv, .xlsx, .xlsm, .xls or .ods file; several files, globs, folders and "
    "s3:// URLs are read one by one, each with its own results file",
    path=True,
)
RESULTS = Option(
    ("--results",),
    metavar="PATH",
    help="results file, .csv or .xlsx, local or s3:// (default: beside the input, "
    "<input>.results.csv, or .results.xlsx for Excel input; with --sandbox "
    "<input>.sandbox.results.*)",
    path=True,
)
RESULTS_DIR = Option(
    ("--results-dir",),
    metavar="DIR",
    help="write each input's results file into this folder (or s3:// prefix)",
    path=True,
)
CONFIG = Option(
    ("--config",),
    metavar="FILE",
    help="TOML file of options (keys: long option names without '--'); the command "
    "line wins over it",
)

INSTANCE_ID = _mapping("--instance-id", metavar="ID", help="Amazon Connect instance id")
LOGGING_OPTIONS = (
    Option(
        ("-v", "--verbose"),
        action="store_true",
        default=argparse.SUPPRESS,
        help="debug logging",
        group="logging",
    ),
    Option(
        ("--log-file",),
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="also write the log, with timestamps, to this file",
        group="logging",
        path=True,
    ),
)
"""-v and --log-file, after the command's name too."""

MAPPING_OPTIONS = (
    _mapping("--mapping", metavar="FILE", help="mapping template (TOML)", path=True),
    INSTANCE_ID,
    _mapping("--contact-flow-id", metavar="ID", help="flow for rows that name none"),
    _mapping("--task-template-id", metavar="ID", help="task template for rows that name none"),
    _mapping("--quick-connect-id", metavar="ID", help="quick connect for rows that name none"),
    _mapping(
        "--timezone",
        metavar="ZONE",
        help="IANA zone for ScheduledTime values without an offset (default: this machine's)",
    ),
    _mapping(
        "--batch-id",
        metavar="ID",
        help="batch identity for ClientTokens (default: the input file's name)",
    ),
    _mapping(
        "--key-column",
        metavar="COLUMN",
        help="a column that identifies each task; its value alone decides the ClientToken",
    ),
    RESULTS,
    CONFIG,
    *LOGGING_OPTIONS,
)
"""The options that decide how rows become requests, --results, --config and logging."""

SHEET = Option(
    ("--sheet",), metavar="NAME", help="Excel sheet (default: the first one)", group="input"
)
INPUT_OPTIONS = (INPUTS, *MAPPING_OPTIONS, SHEET, RESULTS_DIR)
"""INPUT and the options of the commands that read input files."""

TARGET_OPTIONS = (
    _aws("--region", help="AWS region of the instance (default: AWS config)"),
    _aws("--profile", help="AWS profile (default: AWS config)"),
    _aws(
        "--endpoint-url",
        metavar="URL",
        help="Amazon Connect endpoint override (STS follows AWS_ENDPOINT_URL_STS)",
    ),
    _aws(
        "--sandbox",
        action="store_true",
        help="talk to a local Amazon Connect emulator started for this command; "
        "nothing goes to AWS",
    ),
)
"""Where a command's AWS calls go."""

JOURNAL = _sending(
    "--journal",
    metavar="PATH",
    help="journal of what was sent (default: $TASK_IMPORTER_JOURNAL, else "
    "$XDG_STATE_HOME/connect-task-importer/journal.sqlite3)",
    path=True,
)


FETCH_TEMPLATES = _aws(
    "--fetch-templates",
    action="store_true",
    help="validate, run --dry-run: fetch each task template the rows name (GetTaskTemplate) "
    "and check the rows against it; without it, only against the template a sheet made by "
    "'task-importer template' carries (run, retry and check always fetch them)",
)
"""How validate checks rows against task templates online (run, retry and check do)."""

SEND_OPTIONS = (
    _sending("--rate", type=float, default=2.0, help="requests/second (default 2)"),
    _sending("--burst", type=int, default=5, help="burst size (default 5)"),
    _sending("--concurrency", type=int, default=4, help="requests in flight at once (default 4)"),
    _sending(
        "--max-attempts", type=int, default=8, help="attempts per row, first included (default 8)"
    ),
    _sending(
        "--max-failures",
        metavar="N|N%",
        type=parse_max_failures,
        help="stop the run once more than N rows (or N%% of rows) failed",
    ),
    _sending(
        "--connect-timeout",
        metavar="SECONDS",
        type=positive_seconds,
        default=CONNECT_TIMEOUT,
        help=f"give up connecting to the endpoint after this long; the attempt is retried "
        f"(default {CONNECT_TIMEOUT:g})",
    ),
    _sending(
        "--read-timeout",
        metavar="SECONDS",
        type=positive_seconds,
        default=READ_TIMEOUT,
        help="give up waiting for an answer after this long; the attempt is retried with the "
        "same ClientToken. If the run's first requests all get no answer, the run stops "
        f"(default {READ_TIMEOUT:g})",
    ),
    _sending(
        "--quota-pause",
        metavar="SECONDS",
        type=float,
        default=30.0,
        help="when the active-task quota refuses a task, pause this long before trying once "
        "more; still refused: the run stops (default 30)",
    ),
    JOURNAL,
    _sending(
        "--send-edited",
        action="store_true",
        help="send rows changed since their task was created as new tasks (by default they "
        f"are not sent: failed, {EDITED_CODE}), and rows changed since a send whose answer was "
        "lost under their own ClientToken (by default they are sent with that send's, which "
        "cannot make a second task)",
    ),
    _sending(
        "--attachment-url-hours",
        metavar="HOURS",
        type=float,
        default=24.0,
        help="how long the links signed for s3:// attachments stay valid: more than 0, at "
        "most 168 (7 days); links made with temporary credentials end with them (default 24)",
    ),
    _sending("--no-progress", action="store_true", help="no progress bar or lines"),
    _sending(
        "--summary-json",
        metavar="FILE",
        help="write a JSON summary (counts, timings, exit code, audit record) to FILE, "
        "or to stdout with '-'",
        path=True,
    ),
    *TARGET_OPTIONS,
)
"""The options of the commands that send rows: rate, retries, stop rules, journal, AWS."""


DRY_RUN = Option(
    ("--dry-run",),
    action="store_true",
    help="send nothing and write no results: say, row by row (on stdout), what the command "
    "would do (send with which ClientToken, already created, invalid, not sent as edited "
    "after creation) and the counts; the journal is only read, so it works beside a running "
    "job",
)
SEND_EXIT_CODES = (
    (0, "every row created or already created (--dry-run: would be)"),
    (
        1,
        "some rows invalid or failed (the results files say which and why; --dry-run: some "
        "would not be created); or, of several inputs, some could not be read while others "
        "were sent",
    ),
    (2, "usage, configuration or input-file error, or a failed preflight check; nothing sent"),
    (
        3,
        "stopped early (access denied, quota, no answer from the endpoint, journal not "
        "writable, interrupted); running the same command again continues",
    ),
    (4, "another run holds the journal; nothing sent"),
)
"""The exit codes of retry (and run, whose empty inbox is 0 too)."""


def run_options(args: argparse.Namespace) -> RunOptions:
    """The command's options, typed, built once from its parsed arguments (--config's
    values included): each option sets the RunOptions field of its name."""
    fields = {field.name for field in dataclasses.fields(RunOptions)}
    values = {name: value for name, value in vars(args).items() if name in fields}
    values["max_failures"], values["max_failure_fraction"] = values.get("max_failures") or (
        None,
        None,
    )
    values["sandbox_instance_id"] = sandbox_defaults.INSTANCE_ID
    values["audit"] = effective_settings(args)
    return RunOptions(**values)


def effective_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The command's options after the config file and the command line, for the audit
    record (no secrets: the options carry none; credentials come from the AWS
    configuration)."""
    return {key: value for key, value in vars(args).items() if key != "func"}
