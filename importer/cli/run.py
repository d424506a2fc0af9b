"""`task-importer run INPUT`: send every valid row as a task, exactly once."""

from __future__ import annotations

import argparse

from importer.cli.options import add_input_options, prepare_options
from importer.cli.report import print_batch_header
from importer.cli.submitting import (
    add_submit_options,
    check_results_path,
    finish,
    open_submission,
)
from importer.cli.validate import run_validate
from importer.exitcodes import ExitCode
from importer.pipeline import open_batch
from importer.results import results_path_for


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="send every valid row of INPUT to Amazon Connect as a task",
        description="Validate INPUT, then send every valid row with StartTaskContact through a "
        "shared rate limiter, retrying transient errors with the same ClientToken. Every "
        "outcome is journaled, so running again never creates a task twice. Exit 0: all rows "
        "created or already created; 1: some invalid or failed; 2: usage/input error, nothing "
        "sent; 3: stopped early (a re-run continues); 4: another run holds the journal.",
    )
    add_input_options(parser)
    add_submit_options(parser)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="validate only and show the ClientToken each row would be sent with",
    )
    parser.set_defaults(func=run_run)


def run_run(args: argparse.Namespace) -> ExitCode:
    if args.dry_run:
        args.show_tokens = True
        return run_validate(args)
    results_path = results_path_for(args.input, args.results)
    batch = open_batch(args.input, prepare_options(args))
    check_results_path(results_path)
    print_batch_header(batch)
    with open_submission(args, batch.batch_id) as submission:
        report = submission.send(batch.rows())
        return finish(submission, report, results_path, batch.table.columns)
