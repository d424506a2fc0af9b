"""`task-importer retry RESULTS_FILE`: re-send only the rows that did not make it.

Rows whose status is `created` or `already_created` are kept as they are and never sent.
Every other row is mapped and validated again from its values in the results file, so ops
can fix a row in place. An unchanged row keeps the ClientToken it was sent with; a row edited
after it was sent gets a new token derived from the old one and its new content.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from pathlib import Path

from importer.cli.options import add_mapping_options, prepare_options
from importer.cli.report import print_batch_header
from importer.cli.staging import check_results_path
from importer.cli.submitting import (
    add_submit_options,
    finish,
    open_submission,
)
from importer.errors import InputFileError
from importer.exitcodes import ExitCode
from importer.journal import Journal, request_digest
from importer.model import Outcome, PreparedRow, SourceRow, Status
from importer.pipeline import batch_for_table
from importer.reading import Table
from importer.results import ResultLine, read_results
from importer.tokens import edited_token

DONE = frozenset({Status.CREATED, Status.ALREADY_CREATED})


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "retry",
        help="re-send only the failed, invalid and not attempted rows of a results file",
        description="Read a results file written by run (or validate), re-send the rows whose "
        "status is failed, invalid or not_attempted with the values in the file (fix them "
        "in place first), and write the merged results back. Created rows are never sent "
        "again. Pass the same --instance-id / --contact-flow-id / --mapping options as the run.",
    )
    parser.add_argument("results_file", metavar="RESULTS_FILE", help="a .csv or .xlsx results file")
    add_mapping_options(parser)
    add_submit_options(parser)
    parser.set_defaults(func=run_retry)


def run_retry(args: argparse.Namespace) -> ExitCode:
    path = Path(args.results_file)
    results_path = Path(args.results or path)
    input_columns, lines = read_results(path)
    check_results_path(results_path)
    _refuse_repeated_rows(path, lines)
    done = [line for line in lines if line.status in DONE]
    todo = {line.row: line for line in lines if line.status not in DONE}
    sources = [SourceRow(line.row, dict(line.values)) for line in todo.values()]
    batch = batch_for_table(Table(path, input_columns, iter(sources)), prepare_options(args))
    print_batch_header(batch)
    print(f"Retrying {len(todo):,} of {len(lines):,} rows ({len(done):,} already created).")
    tokens_follow_rows = (
        batch.mapper.key_column is not None
        or any(column.casefold() == "clienttoken" for column in input_columns)
        or "ClientToken" in batch.mapper.spec.fields
    )
    with open_submission(args, batch.batch_id) as submission:
        for line in done:
            submission.keep(_kept(line))
        rows = batch.prepare(sources)
        if not tokens_follow_rows:
            rows = _recorded_tokens(rows, todo, submission.journal)
        report = submission.send(rows)
        return finish(submission, report, results_path, input_columns)


def _refuse_repeated_rows(path: Path, lines: list[ResultLine]) -> None:
    seen: set[int] = set()
    for line in lines:
        if line.row in seen:
            raise InputFileError(
                f"{path}: row number {line.row} appears twice in the 'row' column; "
                "each line must keep the row number it was written with"
            )
        seen.add(line.row)


def _kept(line: ResultLine) -> Outcome:
    return Outcome(
        line.row,
        Status(line.status),
        line.client_token,
        line.values,
        contact_id=line.contact_id,
        error_code=line.error_code,
        error_message=line.error_message,
        attempts=line.attempts,
    )


def _recorded_tokens(
    rows: Iterable[PreparedRow], lines: dict[int, ResultLine], journal: Journal
) -> Iterator[PreparedRow]:
    """Give each row the token it was sent with, or a new one if it was edited since."""
    for row in rows:
        recorded = lines[row.number].client_token
        if recorded and row.request is not None:
            request = {**row.request, "ClientToken": recorded}
            entry = journal.lookup(recorded)
            if entry and entry.request_sha256 and entry.request_sha256 != request_digest(request):
                request["ClientToken"] = edited_token(recorded, request)
            row.request, row.client_token = request, request["ClientToken"]
        elif recorded:
            row.client_token = recorded
        yield row
