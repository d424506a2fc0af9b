"""`task-importer validate INPUT...`: check every row before anything is sent."""

from __future__ import annotations

import argparse
from collections import Counter

from importer.cli.console import error, say
from importer.cli.options import INPUT_OPTIONS, Command, Option, prepare_options
from importer.cli.report import FIRST_ERRORS_SHOWN, print_batch_header, print_first_errors
from importer.cli.staging import (
    StagedFile,
    no_inputs,
    open_staging,
    report_results_file,
)
from importer.errors import InputFileError, ResultsFileGiven
from importer.exitcodes import ExitCode
from importer.model import Status
from importer.pipeline import Batch, open_batch
from importer.results import ResultsWriter


def run_validate(args: argparse.Namespace) -> ExitCode:
    options = prepare_options(args)
    codes = []
    with open_staging(args) as staging:
        found = staging.find()
        if not found.inputs:
            say(f"{no_inputs(found)}.")
        for item in found.inputs:
            try:
                staged = staging.stage(item)
                batch = open_batch(staged.local, options)
                staging.keep_run_results(staged.results, "validating")
                codes.append(_validate_file(batch, staged, args.show_tokens))
                staging.publish(staged)
            except ResultsFileGiven:
                if report_results_file(item):
                    codes.append(ExitCode.USAGE)
            except InputFileError as problem:
                error(str(problem))
                codes.append(ExitCode.USAGE)
    if codes and all(code == ExitCode.USAGE for code in codes):
        return ExitCode.USAGE
    return ExitCode.ROWS_FAILED if any(code != ExitCode.OK for code in codes) else ExitCode.OK


def _validate_file(batch: Batch, staged: StagedFile, show_tokens: bool) -> ExitCode:
    print_batch_header(batch, staged.input.location)
    counts: Counter[Status] = Counter()
    invalid = []
    with ResultsWriter(staged.local_results, batch.table.columns) as writer:
        for row in batch.rows():
            status = Status.VALID if row.ok else Status.INVALID
            counts[status] += 1
            if not row.ok and len(invalid) < FIRST_ERRORS_SHOWN:
                invalid.append(row)
            if row.ok and show_tokens:
                print(f"  row {row.number}: {row.client_token}")
            writer.write(row.outcome(status))
    total = sum(counts.values())
    valid, bad = counts[Status.VALID], counts[Status.INVALID]
    say(f"{total} row{'' if total == 1 else 's'}: {valid} valid, {bad} invalid")
    print_first_errors(invalid, bad)
    say(f"Results: {staged.results}")
    return ExitCode.ROWS_FAILED if bad else ExitCode.OK


COMMAND = Command(
    "validate",
    help="check input files; write a results file of valid/invalid rows for each",
    description="Read each INPUT, map and validate every row, and write a results file "
    "with status valid or invalid per row. Nothing is sent to Amazon Connect. "
    "Exit 0: all rows valid; 1: some invalid; 2: the files or options are wrong.",
    handler=run_validate,
    options=(
        *INPUT_OPTIONS,
        Option(
            ("--show-tokens",),
            action="store_true",
            help="print each valid row's ClientToken (stdout)",
        ),
    ),
)
