"""`task-importer run INPUT...`: send every valid row of each input as a task, exactly once
(importer.running); ``--dry-run`` says what it would do with each row (importer.dry_run)."""

from __future__ import annotations

import argparse

from importer.cli.console import ConsoleReporter
from importer.cli.interrupts import run_stop
from importer.cli.options import (
    DRY_RUN,
    FETCH_TEMPLATES,
    INPUT_OPTIONS,
    SEND_EXIT_CODES,
    SEND_OPTIONS,
    Command,
    Option,
    run_options,
)
from importer.cli.summary_json import summarised
from importer.cli.target import checking_against, connector, sending_to
from importer.dry_run import dry_run_inputs
from importer.exitcodes import ExitCode
from importer.running import run_inputs

RUN_OPTIONS = (
    *INPUT_OPTIONS,
    *SEND_OPTIONS,
    Option(
        ("--archive-dir",),
        metavar="DIR",
        help="move each input whose rows were all created (and its results file, when beside "
        "it) into DIR, local or s3://; inputs with failures stay for the next run",
        group="inbox",
        path=True,
    ),
    Option(
        ("--settle-seconds",),
        metavar="SECONDS",
        type=float,
        default=2.0,
        help="watch files found in a folder or by a glob this long; one whose size changes is "
        "still being written and is left for the next run (default 2)",
        group="inbox",
    ),
    Option(
        ("--check",),
        action="store_true",
        help="run the preflight (see the check command) first; if a check fails, send nothing",
    ),
    DRY_RUN,
    FETCH_TEMPLATES,
)
"""run's options: every key a config file may have."""


def run_run(args: argparse.Namespace) -> ExitCode:
    options = run_options(args)
    reporter = ConsoleReporter(no_progress=args.no_progress)
    if args.dry_run:
        connect = connector(options, checking_against)
        return dry_run_inputs(args.inputs, options, connect=connect, reporter=reporter).exit_code
    return summarised(
        "run",
        args.summary_json,
        options,
        lambda summary: run_inputs(
            args.inputs,
            options,
            connect=connector(options, sending_to),
            reporter=reporter,
            summary=summary,
            stop=run_stop(),
        ),
    )


COMMAND = Command(
    "run",
    help="send every valid row of each INPUT to Amazon Connect as a task",
    description="Validate each INPUT, then send every valid row with StartTaskContact "
    "through a shared rate limiter, retrying transient errors with the same ClientToken. "
    "Every outcome is journaled, so running again never creates a task twice. INPUT may "
    "be files, globs, folders (an inbox) or s3:// URLs; each file gets its own results "
    "file.",
    handler=run_run,
    options=RUN_OPTIONS,
    exit_codes=(
        (0, f"{SEND_EXIT_CODES[0][1]}; also an empty inbox"),
        *SEND_EXIT_CODES[1:],
    ),
)
