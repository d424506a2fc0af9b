"""`task-importer undo RESULTS [--yes] [--dry-run]`: end every task a results file lists as
created, with StopContact (importer.undoing; its rules are importer.undo_plan's). It asks
first, on a terminal; without one it refuses unless --yes."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from importer.cli.console import ConsoleReporter
from importer.cli.interrupts import run_stop
from importer.cli.options import (
    CONFIG,
    INSTANCE_ID,
    LOGGING_OPTIONS,
    SEND_OPTIONS,
    Command,
    Option,
    run_options,
)
from importer.cli.summary_json import summarised
from importer.cli.target import connector, sending_to
from importer.errors import UsageError
from importer.exitcodes import ExitCode
from importer.undo_plan import UndoPlan
from importer.undoing import preview_undo, undo_results

_NOT_FOR_UNDO = frozenset({"send_edited", "quota_pause"})
"""run's sending options that mean nothing to StopContact."""


def run_undo(args: argparse.Namespace) -> ExitCode:
    options = run_options(args)
    reporter = ConsoleReporter(no_progress=args.no_progress)
    if args.dry_run:
        preview_undo(args.results_file, options, reporter=reporter)
        return ExitCode.OK
    return summarised(
        "undo",
        args.summary_json,
        options,
        lambda summary: undo_results(
            args.results_file,
            options,
            confirm=None if args.yes else confirm_on_terminal,
            connect=connector(options, sending_to),
            reporter=reporter,
            summary=summary,
            stop=run_stop(),
        ),
    )


def confirm_on_terminal(plan: UndoPlan) -> bool:
    """Ask on the terminal whether to stop the plan's tasks; without a terminal (cron, a
    pipe), refuse: a UsageError saying to pass --yes."""
    count = len(plan.to_send)
    if not sys.stdin.isatty():
        raise UsageError(
            f"undo would stop {count:,} tasks and asks first, on a terminal, but there is none "
            "here (a scheduler, a pipe). To stop them without asking, run it again with "
            "--yes; --dry-run lists them. Nothing was sent"
        )
    try:
        answer = input(
            f"Stop these {count:,} tasks in Amazon Connect? They end at once and cannot be "
            "reopened. Type yes to stop them: "
        )
    except EOFError:
        return False
    return answer.strip().casefold() in ("y", "yes")


COMMAND = Command(
    "undo",
    help="end every task a results file lists as created (StopContact)",
    description="Stop, with StopContact, every task that RESULTS_FILE (written by run or "
    "retry) lists as created or already_created, and write the file back: those lines "
    "read stopped; every other line stays as it is. It says how many tasks on which "
    "instances and asks first on a terminal; without one it refuses unless --yes. Each "
    "task's instance is its line's InstanceId cell, else --instance-id, else the instance "
    "the journal recorded for the run that created it. Rate-limited, retried and "
    "journaled like run: each task is stopped once, and undoing the file again sends "
    "nothing new; a task that has already ended counts as stopped.",
    handler=run_undo,
    exit_codes=(
        (0, "every task stopped, or stopped before (--dry-run: listed)"),
        (1, "some tasks could not be stopped (the results file says which and why)"),
        (
            2,
            "usage or results-file error, or not confirmed (no terminal and no --yes); "
            "nothing sent",
        ),
        (3, "stopped early (access denied, quota, no answer, interrupted); undo again continues"),
        (4, "another run holds the journal; nothing sent"),
    ),
    options=(
        Option(
            ("results_file",),
            metavar="RESULTS_FILE",
            help="a .csv or .xlsx results file, local or s3://",
        ),
        Option(("--yes",), action="store_true", help="stop the tasks without asking"),
        Option(
            ("--dry-run",),
            action="store_true",
            help="list each task it would stop (row, ContactId, instance) and send nothing",
        ),
        dataclasses.replace(
            INSTANCE_ID,
            group="AWS",
            help="the instance of tasks whose line has no InstanceId cell (default: the one "
            "the journal recorded for the run that created them)",
        ),
        CONFIG,
        *LOGGING_OPTIONS,
        *(option for option in SEND_OPTIONS if option.dest not in _NOT_FOR_UNDO),
    ),
)
