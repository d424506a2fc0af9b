"""`task-importer run INPUT...`: send every valid row of each input as a task, exactly once
(importer.running); ``--dry-run`` validates (importer.validating) and shows the tokens."""

from __future__ import annotations

import argparse

from importer.cli.console import ConsoleReporter
from importer.cli.interrupts import run_stop
from importer.cli.options import INPUT_OPTIONS, SEND_OPTIONS, Command, Option, run_options
from importer.cli.summary_json import summarised
from importer.cli.target import connector, sending_to
from importer.exitcodes import ExitCode
from importer.running import run_inputs
from importer.validating import validate_inputs

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
    Option(
        ("--dry-run",),
        action="store_true",
        help="validate only and show the ClientToken each row would be sent with",
    ),
)
"""run's options: every key a config file may have."""


def run_run(args: argparse.Namespace) -> ExitCode:
    options = run_options(args)
    reporter = ConsoleReporter(no_progress=args.no_progress)
    if args.dry_run:
        return validate_inputs(args.inputs, options, reporter=reporter, show_tokens=True).exit_code
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
    "file. Exit 0: all rows created or already created; 1: some invalid or failed; "
    "2: usage/input error, nothing sent; 3: stopped early (a re-run continues); "
    "4: another run holds the journal.",
    handler=run_run,
    options=RUN_OPTIONS,
)
