"""`task-importer retry RESULTS_FILE`: re-send only the rows that did not make it
(importer.retrying; its rules are importer.retry_plan's)."""

from __future__ import annotations

import argparse

from importer.cli.console import ConsoleReporter
from importer.cli.interrupts import run_stop
from importer.cli.options import MAPPING_OPTIONS, SEND_OPTIONS, Command, Option, run_options
from importer.cli.summary_json import summarised
from importer.cli.target import connector, sending_to
from importer.exitcodes import ExitCode
from importer.retrying import retry_results


def run_retry(args: argparse.Namespace) -> ExitCode:
    options = run_options(args)
    return summarised(
        "retry",
        args.summary_json,
        options,
        lambda summary: retry_results(
            args.results_file,
            options,
            connect=connector(options, sending_to),
            reporter=ConsoleReporter(no_progress=args.no_progress),
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
    "cell is sent as a new task. Pass the same --instance-id / --contact-flow-id / "
    "--mapping options as the run.",
    handler=run_retry,
    options=(
        Option(
            ("results_file",),
            metavar="RESULTS_FILE",
            help="a .csv or .xlsx results file, local or s3://",
        ),
        *MAPPING_OPTIONS,
        *SEND_OPTIONS,
    ),
)
