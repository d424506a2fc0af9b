"""`task-importer validate INPUT`: check every row before anything is sent."""

from __future__ import annotations

import argparse
from collections import Counter

from importer.cli.options import add_input_options, prepare_options
from importer.cli.report import print_batch_header, print_first_errors
from importer.exitcodes import ExitCode
from importer.model import Status
from importer.pipeline import open_batch
from importer.results import ResultsWriter, results_path_for

FIRST_ERRORS_SHOWN = 10


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check an input file; write a results file of valid/invalid rows",
        description="Read INPUT, map and validate every row, and write a results file with "
        "status valid or invalid per row. Nothing is sent to Amazon Connect. "
        "Exit 0: all rows valid; 1: some invalid; 2: the file or options are wrong.",
    )
    add_input_options(parser)
    parser.add_argument(
        "--show-tokens", action="store_true", help="print each valid row's ClientToken"
    )
    parser.set_defaults(func=run_validate)


def run_validate(args: argparse.Namespace) -> ExitCode:
    batch = open_batch(args.input, prepare_options(args))
    results_path = results_path_for(args.input, args.results)
    print_batch_header(batch)
    counts: Counter[Status] = Counter()
    invalid = []
    with ResultsWriter(results_path, batch.table.columns) as writer:
        for row in batch.rows():
            status = Status.VALID if row.ok else Status.INVALID
            counts[status] += 1
            if not row.ok and len(invalid) < FIRST_ERRORS_SHOWN:
                invalid.append(row)
            if row.ok and args.show_tokens:
                print(f"  row {row.number}: {row.client_token}")
            writer.write(row.outcome(status))
    total = sum(counts.values())
    valid, bad = counts[Status.VALID], counts[Status.INVALID]
    print(f"{total} row{'' if total == 1 else 's'}: {valid} valid, {bad} invalid")
    print_first_errors(invalid, bad)
    print(f"Results: {results_path}")
    return ExitCode.ROWS_FAILED if bad else ExitCode.OK
