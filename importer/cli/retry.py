"""`task-importer retry RESULTS_FILE`: re-send only the rows that did not make it.

The results file may come back edited by a person, in Excel or as CSV: sorted, filtered,
cells fixed, lines deleted, lines added. A line is known by its `row` number (each may
appear once) and the ClientToken recorded on it, never by where it is in the file:

- `created` and `already_created` lines are kept as they are and never sent again.
- Every other line is mapped and validated again from its values, so a fixed cell counts.
  An unchanged line keeps the ClientToken it was sent with; a line edited after it was sent
  gets a new token derived from the old one and its new content (the journal says what was
  sent).
- A line whose `row` cell is empty is a new task. New lines get the row numbers after the
  largest in the file, in file order, and a token derived from the batch, that number and
  their cells: a new line identical to another line is a task of its own, and retrying the
  same file again (say after a crash, before the results were written back) gives the new
  line the same number and token, so it is not created twice. With --key-column or a
  ClientToken column, tokens follow the key or the column, new lines' too.
- A line a person deleted is dropped: it is not sent and not written back, since the
  results are rewritten from the lines the file holds. A deleted created line's task stays
  in Amazon Connect and in the journal, so a run of the original input still reports it
  already_created and never sends it again.

The merged results are written back in row order to the same file (or --results).
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterable, Iterator
from pathlib import Path

from importer.cli.console import say
from importer.cli.options import add_mapping_options, prepare_options
from importer.cli.report import print_batch_header
from importer.cli.staging import Staging, open_staging
from importer.cli.submitting import (
    add_submit_options,
    finish_batch,
    open_submission,
    record_batch,
    summarised,
)
from importer.errors import InputFileError
from importer.exitcodes import ExitCode
from importer.journal import Journal, request_digest
from importer.model import Outcome, PreparedRow, SourceRow, Status
from importer.pipeline import batch_for_table
from importer.reading import Table
from importer.results import ResultLine, read_results
from importer.run_summary import FileSummary, RunSummary, file_sha256
from importer.tokens import edited_token, new_row_token


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "retry",
        help="re-send only the failed, invalid and not attempted rows of a results file",
        description="Read a results file written by run (or validate), re-send the rows whose "
        "status is failed, invalid or not_attempted with the values in the file (fix them "
        "in place first), and write the merged results back in row order. Created rows are "
        "never sent again; lines you delete are dropped; a line you add with an empty row "
        "cell is sent as a new task. Pass the same --instance-id / --contact-flow-id / "
        "--mapping options as the run.",
    )
    parser.add_argument(
        "results_file",
        metavar="RESULTS_FILE",
        help="a .csv or .xlsx results file, local or s3://",
    )
    add_mapping_options(parser)
    add_submit_options(parser)
    parser.set_defaults(func=run_retry)


def run_retry(args: argparse.Namespace) -> ExitCode:
    return summarised("retry", args, lambda summary: _retry_staged(args, summary))


def _retry_staged(args: argparse.Namespace, summary: RunSummary) -> ExitCode:
    with open_staging(args) as staging:
        return _retry(args, staging, summary)


def _retry(args: argparse.Namespace, staging: Staging, summary: RunSummary) -> ExitCode:
    source = str(args.results_file)
    results = str(args.results or source)
    path = staging.fetch(source)
    input_columns, lines = read_results(path)
    local_results = path if results == source else staging.local_results_for(results)
    _refuse_repeated_rows(path, lines)
    by_row, new = _number_lines(lines)
    done = {number: line for number, line in by_row.items() if line.done}
    todo = {number: line for number, line in by_row.items() if not line.done}
    sources = [SourceRow(number, dict(line.values)) for number, line in todo.items()]
    batch = batch_for_table(Table(path, input_columns, iter(sources)), prepare_options(args))
    print_batch_header(batch, source)
    added = f", {len(new):,} new" if new else ""
    say(f"Retrying {len(todo):,} of {len(lines):,} rows ({len(done):,} already created{added}).")
    tokens_follow_rows = (
        batch.mapper.key_column is not None
        or any(column.casefold() == "clienttoken" for column in input_columns)
        or "ClientToken" in batch.mapper.spec.fields
    )
    file = FileSummary(source, sha256=file_sha256(path))
    summary.files.append(file)
    with open_submission(args, batch.batch_id) as submission:
        for number, line in done.items():
            submission.keep(_kept(number, line))
        rows = batch.prepare(sources)
        if not tokens_follow_rows:
            rows = _recorded_tokens(rows, todo, submission.journal)
            rows = _new_row_tokens(rows, new, batch.batch_id)
        report = submission.send(rows)
        code, counts = finish_batch(submission, report, local_results, input_columns, results)
        record_batch(file, batch.batch_id, code, counts, report)
        staging.locations.publish(local_results, results)
        file.results = results
        code = summary.finish()
        submission.journal.finish_run(code, summary.as_dict())
    return code


def _refuse_repeated_rows(path: Path, lines: list[ResultLine]) -> None:
    first: dict[int, int] = {}
    for line in lines:
        if line.row is None:
            continue
        if line.row in first:
            raise InputFileError(
                f"{path}: row number {line.row} appears twice in the 'row' column (on "
                f"spreadsheet rows {first[line.row]} and {line.number}); each line must keep "
                "the row number it was written with. To add a task, add a line and leave its "
                "row, status, contact_id and client_token cells empty"
            )
        first[line.row] = line.number


def _number_lines(lines: list[ResultLine]) -> tuple[dict[int, ResultLine], set[int]]:
    """The lines by row number, in row order, and the numbers given to the lines added.

    An added line (no row number) gets the next number after the largest, in file order;
    whatever else it still holds from a copied line (status, token, error) is dropped.
    """
    following = max((line.row for line in lines if line.row is not None), default=1) + 1
    by_row: dict[int, ResultLine] = {}
    new: set[int] = set()
    for line in lines:
        number = line.row
        if number is None:
            number, following = following, following + 1
            new.add(number)
            line = dataclasses.replace(
                line, row=number, status="", error_code="", error_message="", client_token=""
            )
        by_row[number] = line
    return dict(sorted(by_row.items())), new


def _kept(number: int, line: ResultLine) -> Outcome:
    return Outcome(
        number,
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


def _new_row_tokens(
    rows: Iterable[PreparedRow], new: set[int], batch_id: str
) -> Iterator[PreparedRow]:
    """Give each added line the token of its batch, row number and cells (see new_row_token)."""
    for row in rows:
        if row.number in new:
            row.client_token = new_row_token(batch_id, row.number, row.source.values)
            if row.request is not None:
                row.request["ClientToken"] = row.client_token
        yield row
