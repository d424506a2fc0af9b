"""`task-importer retry RESULTS_FILE`: re-send only the rows that did not make it
(importer.retrying; its rules are importer.retry_plan's); ``--dry-run`` says what it would
do with each line (importer.dry_run)."""

from __future__ import annotations

import argparse
import dataclasses

from importer.cli.console import ConsoleReporter
from importer.cli.interrupts import run_stop
from importer.cli.options import (
    DRY_RUN,
    MAPPING_OPTIONS,
    RESULTS,
    SEND_EXIT_CODES,
    SEND_OPTIONS,
    Command,
    Option,
    run_options,
)
from importer.cli.summary_json import summarised
from importer.cli.target import connector, sending_to
from importer.dry_run import dry_run_results
from importer.exitcodes import ExitCode
from importer.retrying import retry_results

RETRY_RESULTS = dataclasses.replace(
    RESULTS,
    help="write the merged results here, .csv or .xlsx, local or s3:// (default: RESULTS_FILE "
    "itself; with --sandbox, the sandbox results beside it: tasks.sandbox.results.csv for "
    "tasks.results.csv)",
)


def run_retry(args: argparse.Namespace) -> ExitCode:
    options = run_options(args)
    reporter = ConsoleReporter(no_progress=args.no_progress)
    if args.dry_run:
        return dry_run_results(args.results_file, options, reporter=reporter).exit_code
    return summarised(
        "retry",
        args.summary_json,
        options,
        lambda summary: retry_results(
            args.results_file,
            options,
            connect=connector(options, sending_to),
            reporter=reporter,
            summary=summary,
            stop=run_stop(),
        ),
    )


COMMAND = Command(
    "retry",
    help="re-send only the failed, invalid and not attempted rows of a results file",
    description="Read a results file written by run (or validate), re-send the rows whose "
    "status is failed, invalid or not_attempted with the values in the file (fix them "
    "in place first), and write the merged results back in row order. Created rows are "
    "never sent again; lines you delete are dropped; a line you add with an empty row "
    "cell is sent as a new task. The rows are mapped with the settings of the run that "
    "wrote the file (instance, flow, template or quick connect, mapping file, timezone, "
    "batch id, key column), found in the journal; options given here win.",
    handler=run_retry,
    options=(
        Option(
            ("results_file",),
            metavar="RESULTS_FILE",
            help="a .csv or .xlsx results file, local or s3://",
        ),
        *(RETRY_RESULTS if option is RESULTS else option for option in MAPPING_OPTIONS),
        *SEND_OPTIONS,
        DRY_RUN,
    ),
    exit_codes=SEND_EXIT_CODES,
)
