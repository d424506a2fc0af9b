"""Retry's rules: which lines of a results file are sent again, under which ClientToken.

A line is known by its ``row`` number (each may appear once) and the ClientToken recorded
on it, never by where it is in the file:

- ``created`` and ``already_created`` lines that hold a ContactId are kept as they are
  (:func:`kept`) and never sent again. Every other line is mapped and validated again.
- An unchanged line keeps its recorded token; a line edited after it was sent gets an
  edited token derived from the old one, unless that send may have created a task: then
  the edit goes out under the old token, so it makes one task at most
  (:class:`RetryTokens`). A line whose own ClientToken cell (or key) is filled in follows
  that instead.
- A line whose ``row`` cell is empty is a new task: it gets the next row number after the
  largest (:func:`number_lines`) and a token from the batch, that number and its cells.
- The batch a retry continues is :func:`continued_batch`'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from pathlib import Path

from importer.errors import InputFileError
from importer.journal import Journal, JournalStatus, request_digest
from importer.locations import location_name
from importer.lost_answers import explain_resent, may_have_created, refused_edit
from importer.model import Outcome, PreparedRow
from importer.pipeline import Batch
from importer.reconcile import Continued, batch_of_results
from importer.results import ResultLine
from importer.tokens import edited_token, new_row_token


def refuse_repeated_rows(path: Path, lines: list[ResultLine]) -> None:
    """An InputFileError if a row number appears on two lines (a copied line kept it)."""
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


def number_lines(lines: list[ResultLine]) -> tuple[dict[int, ResultLine], set[int]]:
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


def kept(number: int, line: ResultLine) -> Outcome:
    """A done line's outcome, as it stands in the file."""
    return line.outcome(number)


def continued_batch(
    journal: Journal, lines: list[ResultLine], source: str, own: str, batch_id: str | None
) -> Continued:
    """The batch whose tasks a retry adds to (journals them in): ``batch_id`` (--batch-id),
    else the batch of the run that wrote the file, else ``own`` (the file's name); with that
    run, when the journal knows it."""
    tokens = (line.client_token for line in lines)
    found = batch_of_results(journal, tokens, location_name(source))
    if batch_id:
        return Continued(batch_id, "--batch-id", found.run_id if found else None)
    return found or Continued(
        own, "no run of this file is in the journal, so it is named after the file"
    )


class RetryTokens:
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
        self, batch: Batch, lines: Mapping[int, ResultLine], new: set[int], journal: Journal
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


def explain_resent_edits(
    outcomes: Mapping[int, Outcome], tokens: RetryTokens, reconciled: Collection[int]
) -> set[int]:
    """Say on their results lines what became of the rows sent with a recorded token that
    already had a task for other values, or that may have had one (see RetryTokens).
    ``reconciled``: rows that reconciling sent under another token (they say so already).
    Returns the rows sent with their recorded token, whose refusals are to be named."""
    recorded = tokens.recorded - set(reconciled)
    for number, outcome in outcomes.items():
        if number in recorded and (number in tokens.resent_edits or refused_edit(outcome)):
            explain_resent(outcome, "clear this row's client_token cell and retry")
    return recorded
