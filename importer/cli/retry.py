"""`task-importer retry RESULTS_FILE`: re-send only the rows that did not make it.

The results file may come back edited by a person, in Excel or as CSV: sorted, filtered,
cells fixed, lines deleted, lines added. A line is known by its `row` number (each may
appear once) and the ClientToken recorded on it, never by where it is in the file:

- `created` and `already_created` lines that hold a ContactId are kept as they are and never
  sent again. One without (version 0.1.0 wrote such lines for a 200 answer without one) is
  sent again with its ClientToken, which cannot make a second task, to learn its ContactId.
- Every other line is mapped and validated again from its values, so a fixed cell counts.
  An unchanged line keeps the ClientToken it was sent with; a line edited after it was sent
  gets a new token derived from the old one and its new content (the journal says what was
  sent), unless that send may have created a task (no answer, a dropped connection, a
  timeout, a 5xx): then the edit is sent with the old token, so Amazon Connect either creates
  the task once or refuses the new values for a task it already has, never making a second.
  This is decided line by line: a line whose own ClientToken cell (or key) is filled in
  follows that instead.
- A line whose `row` cell is empty is a new task. New lines get the row numbers after the
  largest in the file, in file order, and a token derived from the batch, that number and
  their cells: a new line identical to another line is a task of its own, and retrying the
  same file again (say after a crash, before the results were written back) gives the new
  line the same number and token, so it is not created twice. With --key-column or a
  filled-in ClientToken cell, tokens follow the key or the cell, new lines' too.
- A line a person deleted is dropped: it is not sent and not written back, since the
  results are rewritten from the lines the file holds. A deleted created line's task stays
  in Amazon Connect and in the journal, so a run of the original input still reports it
  already_created and never sends it again.

Its tasks are journaled in the batch of the run that wrote the file (found through the
file's ClientTokens or the journal's run summaries; --batch-id wins), with the token each
edit replaces as its origin, and the rows are reconciled with that batch before sending
(importer.reconcile): a line whose task exists, under its token or as an earlier retry's
edit of it, is already_created and not sent again; a line whose row was sent since under a
token no line holds, without an answer (the line is from an older copy of the file, say),
is sent under that token, as an edit after a lost answer is. Lines whose client_token cell
is empty (added ones too) are new tasks by intent: never taken for edits of their row.

The merged results are written back in row order to the same file (or --results); with
--sandbox to the sandbox results beside it (``tasks.sandbox.results.csv`` for
``tasks.results.csv``), never over a real run's results. If they cannot be uploaded to S3,
a copy is kept in the current folder and the exit code is 1.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Collection
from pathlib import Path

from importer.cli.console import say
from importer.cli.options import MAPPING_OPTIONS, SEND_OPTIONS, Command, Option, prepare_options
from importer.cli.report import print_batch_header
from importer.cli.staging import SANDBOX_ADVICE, Staging, open_staging
from importer.cli.submitting import (
    finish_batch,
    open_submission,
    record_batch,
    summarised,
    warn_refused_edits,
)
from importer.errors import InputFileError
from importer.exitcodes import ExitCode
from importer.journal import Journal, JournalStatus, request_digest
from importer.locations import location_name, sibling
from importer.lost_answers import explain_resent, may_have_created, refused_edit
from importer.model import Outcome, PreparedRow, SourceRow, Status
from importer.pipeline import Batch, batch_for_table
from importer.reading import Table
from importer.reconcile import Continued, batch_of_results
from importer.results import ResultLine, read_results, sandbox_results_name
from importer.run_summary import FileSummary, RunSummary, file_sha256
from importer.tokens import edited_token, new_row_token


def run_retry(args: argparse.Namespace) -> ExitCode:
    return summarised("retry", args, lambda summary: _retry_staged(args, summary))


def _retry_staged(args: argparse.Namespace, summary: RunSummary) -> ExitCode:
    with open_staging(args) as staging:
        return _retry(args, staging, summary)


def _retry(args: argparse.Namespace, staging: Staging, summary: RunSummary) -> ExitCode:
    source = str(args.results_file)
    results = str(args.results or (_sandbox_sibling(source) if args.sandbox else source))
    if args.sandbox:
        staging.keep_run_results(results, "a sandbox run", SANDBOX_ADVICE)
    path = staging.fetch(source)
    input_columns, lines = read_results(path)
    local_results = path if results == source else staging.local_results_for(results)
    _refuse_repeated_rows(path, lines)
    by_row, new = _number_lines(lines)
    done = {number: line for number, line in by_row.items() if line.done}
    todo = {number: line for number, line in by_row.items() if not line.done}
    sources = [
        SourceRow(number, dict(line.values), problems=list(line.problems))
        for number, line in todo.items()
    ]
    batch = batch_for_table(Table(path, input_columns, iter(sources)), prepare_options(args))
    print_batch_header(batch, source)
    added = f", {len(new):,} new" if new else ""
    say(f"Retrying {len(todo):,} of {len(lines):,} rows ({len(done):,} already created{added}).")
    file = FileSummary(source, sha256=file_sha256(path))
    summary.files.append(file)
    with open_submission(args) as opened:
        batch_id = _continued_batch(args, opened.journal, lines, source, batch.batch_id)
        submission = opened.for_batch(batch_id)
        for number, line in done.items():
            submission.keep(_kept(number, line))
        tokens = _RetryTokens(batch, todo, new, submission.journal)
        rows = [tokens.assign(row) for row in batch.prepare(sources)]
        plan = submission.reconcile(rows, added=tokens.fresh)
        report = submission.send(rows, plan)
        _explain_resent_edits(submission.outcomes, tokens, reconciled=plan.resent)
        code, counts = finish_batch(submission, report, local_results, input_columns, results)
        record_batch(file, batch_id, code, counts, report)
        staging.publish_results(local_results, results, file)
        code = summary.finish()
        submission.record_run(code, summary)
    return code


def _sandbox_sibling(source: str) -> str:
    """Where a sandbox retry writes by default: the sandbox results beside ``source``."""
    return sibling(source, sandbox_results_name(location_name(source)))


def _continued_batch(
    args: argparse.Namespace, journal: Journal, lines: list[ResultLine], source: str, own: str
) -> str:
    """The batch whose tasks this retry adds to (journals them in): --batch-id, else the
    batch of the run that wrote the file, else ``own`` (the file's name), and say which."""
    if args.batch_id:
        found = Continued(args.batch_id, "--batch-id")
    else:
        name = location_name(source)
        tokens = (line.client_token for line in lines)
        found = batch_of_results(journal, tokens, name) or Continued(
            own, "no run of this file is in the journal, so it is named after the file"
        )
    say(f"Continuing batch '{found.batch_id}' ({found.how}).")
    return found.batch_id


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


class _RetryTokens:
    """Gives each row to retry its ClientToken, row by row.

    A row whose own ClientToken cell (or mapped ClientToken, or key) is filled in keeps the
    token the batch derived from it. Any other row keeps the token recorded on its line
    (``recorded`` holds its number); if it was edited since that token was sent, it gets an
    edited_token instead, unless that send may have created a task (may_have_created): then
    it keeps the recorded token and ``resent_edits`` holds its number too. An added line
    gets new_row_token; a line whose client_token cell is empty keeps the batch's token.
    Both are new tasks by intent (``fresh`` holds their numbers): never taken for edits.
    """

    def __init__(
        self, batch: Batch, lines: dict[int, ResultLine], new: set[int], journal: Journal
    ) -> None:
        self._batch = batch
        self._lines = lines
        self._new = new
        self._journal = journal
        self.recorded: set[int] = set()
        self.resent_edits: set[int] = set()
        self.fresh: set[int] = set()

    def assign(self, row: PreparedRow) -> PreparedRow:
        recorded = self._lines[row.number].client_token
        if not recorded:  # an added line's is cleared too
            self.fresh.add(row.number)
        if row.own_token:
            if recorded and row.client_token != recorded:
                row.origin_token = self._origin(recorded)
            return row
        if row.number in self._new:
            token = new_row_token(self._batch.batch_id, row.number, row.source.values)
        elif not recorded:
            return row
        elif row.request is not None and self._edited_after_a_refusal(row, recorded):
            token = edited_token(recorded, {**row.request, "ClientToken": recorded})
            row.origin_token = self._origin(recorded)
        else:
            token = recorded
            self.recorded.add(row.number)
        row.client_token = token
        if row.request is not None:
            row.request["ClientToken"] = token
        return row

    def _origin(self, recorded: str) -> str:
        """The origin to journal for a row sent under another token than ``recorded``: the
        first token of its chain of edits, so the input's unedited row finds the task."""
        entry = self._journal.lookup(recorded)
        return entry.origin_token if entry is not None and entry.origin_token else recorded

    def _edited_after_a_refusal(self, row: PreparedRow, recorded: str) -> bool:
        """Whether the row changed since ``recorded`` was sent and that send created no
        task; a changed row whose send may have created one goes into ``resent_edits``."""
        assert row.request is not None
        entry = self._journal.lookup(recorded)
        if entry is None or not entry.request_sha256:
            return False
        if entry.request_sha256 == request_digest({**row.request, "ClientToken": recorded}):
            return False
        if not may_have_created(entry):
            return True
        if entry.status is not JournalStatus.CREATED or not entry.contact_id:
            self.resent_edits.add(row.number)  # (else: already_created, not sent)
        return False


def _explain_resent_edits(
    outcomes: dict[int, Outcome], tokens: _RetryTokens, reconciled: Collection[int]
) -> None:
    """Say on their results lines what became of the rows sent with a recorded token that
    already had a task for other values, or that may have had one (see _RetryTokens).
    ``reconciled``: rows that reconciling sent under another token (they say so already)."""
    recorded = tokens.recorded - set(reconciled)
    for number, outcome in outcomes.items():
        if number in recorded and (number in tokens.resent_edits or refused_edit(outcome)):
            explain_resent(outcome, "clear this row's client_token cell and retry")
    warn_refused_edits(outcomes, recorded)


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
