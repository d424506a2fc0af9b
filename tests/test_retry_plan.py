"""Retry's rules on their own: row numbers, kept lines, the batch continued and each line's
ClientToken, with a real journal and batch (the end-to-end ones are in test_cli_retry.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from importer.errors import InputFileError
from importer.journal import Journal, JournalStatus, request_digest
from importer.model import Outcome, PreparedRow, SourceRow, Status
from importer.options import RunOptions
from importer.pipeline import Batch, batch_for_table
from importer.reading import Table
from importer.results import ResultLine
from importer.retry_plan import (
    RetryTokens,
    continued_batch,
    explain_resent_edits,
    kept,
    number_lines,
    refuse_repeated_rows,
)
from importer.tokens import edited_token, new_row_token

BATCH = "tasks.csv"


def line(row: int | None, name: str = "a", token: str = "", status: str = "failed", **rest: Any):
    """A results line of row ``row`` holding ``name``, at spreadsheet row ``number``."""
    cells = {"contact_id": "", "error_code": "", "error_message": "", "attempts": 1, **rest}
    return ResultLine(row, status, client_token=token, values={"Name": name}, **cells)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as opened:
        opened.start_run({"command": "run"})
        yield opened


@pytest.fixture
def batch(tmp_path: Path) -> Batch:
    options = RunOptions(instance_id="i", contact_flow_id="f", timezone="UTC")
    table = Table(tmp_path / "tasks.results.csv", ["Name"], iter([]))
    return batch_for_table(table, options.prepare_options())


def prepared(batch: Batch, number: int, name: str) -> PreparedRow:
    (row,) = batch.prepare([SourceRow(number, {"Name": name})])
    return row


def sent(journal: Journal, token: str, row: PreparedRow, name: str, *, answered: bool) -> None:
    """Journal a send of ``row`` holding ``name`` under ``token``: refused outright
    (``answered``) or without an answer (a task may exist)."""
    assert row.request is not None
    body = {**row.request, "Name": name, "ClientToken": token}
    journal.mark_in_flight(
        token, row_number=row.number, batch_id=BATCH, request_sha256=request_digest(body)
    )
    code = "InvalidParameterException" if answered else "ConnectionClosedError"
    journal.record(
        token, JournalStatus.FAILED, attempts=1, error_code=code, maybe_created=not answered
    )


def test_a_row_number_on_two_lines_is_refused_naming_both_lines() -> None:
    lines = [line(2, number=2), line(3, number=3), line(2, number=5)]
    with pytest.raises(InputFileError, match=r"row number 2 appears twice .* rows 2 and 5"):
        refuse_repeated_rows(Path("t.csv"), lines)
    refuse_repeated_rows(Path("t.csv"), [line(2), line(None), line(None)])


def test_added_lines_get_the_numbers_after_the_largest_in_file_order_and_lose_copied_cells() -> (
    None
):
    lines = [line(3, "c"), line(None, "x", "t-copied", "created"), line(2, "b"), line(None, "y")]

    by_row, new = number_lines(lines)

    assert list(by_row) == [2, 3, 4, 5] and new == {4, 5}
    assert [by_row[n].values["Name"] for n in (4, 5)] == ["x", "y"]
    assert (by_row[4].status, by_row[4].client_token) == ("", "")


def test_a_done_line_is_kept_as_it_stands() -> None:
    outcome = kept(4, line(4, "d", "t-d", "created", contact_id="c-1", attempts=2))
    assert (outcome.row, outcome.status, outcome.contact_id) == (4, Status.CREATED, "c-1")
    assert (outcome.client_token, outcome.attempts) == ("t-d", 2)


def test_the_batch_continued_is_the_option_s_else_the_journal_s_else_the_file_s(
    journal: Journal, batch: Batch
) -> None:
    lines = [line(2, token="t-a")]
    assert continued_batch(journal, lines, "tasks.results.csv", "own", "given").batch_id == (
        "given"
    )
    fallback = continued_batch(journal, lines, "tasks.results.csv", "own", None)
    assert fallback.batch_id == "own" and "named after the file" in fallback.how

    sent(journal, "t-a", prepared(batch, 2, "a"), "a", answered=True)
    found = continued_batch(journal, lines, "tasks.results.csv", "own", None)
    assert (found.batch_id, found.how) == (BATCH, "1 of its 1 ClientTokens were sent in it")
    assert found.run_id is not None and found.run_id == journal.run_id
    given = continued_batch(journal, lines, "tasks.results.csv", "own", "given")
    assert (given.batch_id, given.run_id) == ("given", found.run_id), "its run is still known"


def test_an_unchanged_line_keeps_its_recorded_token(journal: Journal, batch: Batch) -> None:
    row = prepared(batch, 2, "a")
    sent(journal, "t-a", row, "a", answered=True)
    tokens = RetryTokens(batch, {2: line(2, "a", "t-a")}, set(), journal)

    assigned = tokens.assign(row)

    assert assigned.client_token == "t-a" and assigned.request["ClientToken"] == "t-a"
    assert tokens.recorded == {2} and tokens.resent_edits == tokens.fresh == set()


def test_a_line_edited_after_a_refusal_gets_a_token_derived_from_the_old_one(
    journal: Journal, batch: Batch
) -> None:
    row = prepared(batch, 2, "fixed")
    sent(journal, "t-a", row, "typo", answered=True)
    tokens = RetryTokens(batch, {2: line(2, "fixed", "t-a")}, set(), journal)

    assigned = tokens.assign(row)

    assert row.request is not None
    assert assigned.client_token == edited_token("t-a", {**row.request, "ClientToken": "t-a"})
    assert assigned.origin_token == "t-a" and tokens.recorded == set()


def test_a_line_edited_after_a_lost_answer_keeps_the_token_that_may_have_made_its_task(
    journal: Journal, batch: Batch
) -> None:
    row = prepared(batch, 2, "fixed")
    sent(journal, "t-a", row, "typo", answered=False)
    tokens = RetryTokens(batch, {2: line(2, "fixed", "t-a")}, set(), journal)

    assert tokens.assign(row).client_token == "t-a"
    assert tokens.recorded == tokens.resent_edits == {2}


def test_added_and_cleared_lines_are_new_tasks_by_intent(journal: Journal, batch: Batch) -> None:
    added, cleared = prepared(batch, 9, "new"), prepared(batch, 3, "b")
    own = cleared.client_token
    lines = {9: line(9, "new"), 3: line(3, "b")}
    tokens = RetryTokens(batch, lines, {9}, journal)

    assert tokens.assign(added).client_token == new_row_token(batch.batch_id, 9, {"Name": "new"})
    assert tokens.assign(cleared).client_token == own
    assert tokens.fresh == {9, 3} and tokens.recorded == set()


def test_a_row_that_names_its_own_token_follows_it_and_journals_the_one_it_replaces(
    journal: Journal, tmp_path: Path
) -> None:
    options = RunOptions(instance_id="i", contact_flow_id="f", timezone="UTC")
    table = Table(tmp_path / "t.csv", ["Name", "ClientToken"], iter([]))
    batch = batch_for_table(table, options.prepare_options())
    (row,) = batch.prepare([SourceRow(2, {"Name": "a", "ClientToken": "mine"})])
    tokens = RetryTokens(batch, {2: line(2, "a", "t-old")}, set(), journal)

    assigned = tokens.assign(row)

    assert (assigned.client_token, assigned.origin_token) == ("mine", "t-old")


def test_resent_edits_are_explained_on_their_lines_unless_reconciling_sent_them(
    journal: Journal, batch: Batch
) -> None:
    rows = [prepared(batch, 2, "fixed"), prepared(batch, 3, "also fixed")]
    sent(journal, "t-a", rows[0], "typo", answered=False)
    sent(journal, "t-b", rows[1], "typo", answered=False)
    tokens = RetryTokens(batch, {2: line(2, token="t-a"), 3: line(3, token="t-b")}, set(), journal)
    for row in rows:
        tokens.assign(row)
    outcomes = {n: Outcome(n, Status.CREATED, "t", {}, contact_id="c") for n in (2, 3)}

    named = explain_resent_edits(outcomes, tokens, reconciled=[3])

    assert named == {2}
    assert "this is the row's only task" in outcomes[2].error_message
    assert outcomes[3].error_message == ""
