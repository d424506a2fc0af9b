"""The rules that decide, before a batch is sent, which rows already have their task and which
were edited since: a real journal in tmp_path, rows made by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from importer.journal import Journal, JournalStatus, request_digest
from importer.model import PreparedRow, RowError, SourceRow, Status
from importer.reconcile import EDITED_CODE, batch_of_results, reconcile

BATCH = "tasks.csv"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as opened:
        opened.start_run({"command": "run"})
        yield opened


def request(name: str, token: str) -> dict[str, str]:
    return {"Name": name, "InstanceId": "i", "ContactFlowId": "f", "ClientToken": token}


def row(number: int, name: str, token: str | None = None, *, invalid: bool = False) -> PreparedRow:
    """Row ``number`` holding ``name``; its token is ``t-<name>`` unless given."""
    token = token or f"t-{name}"
    source = SourceRow(number, {"Name": name})
    if invalid:
        return PreparedRow(source, None, token, [RowError("Name", "too long")])
    return PreparedRow(source, request(name, token), token)


def created(
    journal: Journal, number: int, name: str, *, batch: str = BATCH, token: str = "", origin=""
) -> str:
    """Journal the task created from row ``number`` holding ``name``; its ContactId."""
    token = token or f"t-{name}"
    digest = request_digest(request(name, token))
    journal.mark_in_flight(
        token, row_number=number, batch_id=batch, request_sha256=digest, origin_token=origin
    )
    journal.record(token, JournalStatus.CREATED, attempts=1, contact_id=f"c-{token}")
    return f"c-{token}"


def lost(journal: Journal, number: int, name: str, *, refused: bool = False) -> str:
    """Journal a send of row ``number`` holding ``name`` that got no answer (a task may
    exist), or that was refused outright; its token."""
    token = f"t-{name}"
    digest = request_digest(request(name, token))
    journal.mark_in_flight(token, row_number=number, batch_id=BATCH, request_sha256=digest)
    code = "InvalidParameterException" if refused else "ConnectionClosedError"
    journal.record(
        token, JournalStatus.FAILED, attempts=1, error_code=code, maybe_created=not refused
    )
    return token


def first_run(journal: Journal, names: list[str]) -> None:
    for number, name in enumerate(names, start=2):
        created(journal, number, name)


NAMES = [f"n{i}" for i in range(10)]


def test_a_first_run_has_nothing_to_reconcile(journal: Journal) -> None:
    plan = reconcile(journal, BATCH, [row(n, name) for n, name in enumerate(NAMES, start=2)])

    assert (plan.batch_tasks, plan.same_batch, plan.reused_name) == (0, False, False)
    assert plan.already == plan.edited == {}


def test_an_invalid_row_whose_task_exists_is_already_created_a_valid_one_is_left_to_send(
    journal: Journal,
) -> None:
    first_run(journal, NAMES)
    rows = [row(n, name, invalid=n == 4) for n, name in enumerate(NAMES, start=2)]

    plan = reconcile(journal, BATCH, rows)

    assert plan.same_batch and list(plan.already) == [4]
    assert plan.outcome(rows[0]) is None, "the executor reports it from its own token"
    outcome = plan.outcome(rows[2])
    assert outcome is not None
    assert (outcome.status, outcome.contact_id) == (Status.ALREADY_CREATED, "c-t-n2")
    assert "by run on " in outcome.error_message and "(journal run 1)" in outcome.error_message
    assert "nothing was sent" in outcome.error_message and "too long" in outcome.error_message


def test_a_row_retry_sent_as_an_edit_matches_through_its_origin_however_many_edits(
    journal: Journal,
) -> None:
    first_run(journal, NAMES[:8])
    created(journal, 10, "fixed", token="t-edit-2", origin="t-n8")  # an edit of an edit
    rows = [row(n, name) for n, name in enumerate(NAMES, start=2)]

    plan = reconcile(journal, BATCH, rows)

    assert list(plan.already) == [10]
    outcome = plan.outcome(rows[8])
    assert outcome is not None
    assert (outcome.contact_id, outcome.client_token) == ("c-t-edit-2", "t-edit-2")
    assert "as corrected in its results file" in outcome.error_message
    assert 11 not in plan.edited, "row 11 produced no task: it is sent"


def test_a_row_changed_after_its_task_was_created_is_edited_and_not_sent(
    journal: Journal,
) -> None:
    first_run(journal, NAMES)
    rows = [row(n, name) for n, name in enumerate(NAMES, start=2)]
    rows[3] = row(5, "n3 changed")
    rows[6] = row(8, "n6 changed", invalid=True)

    plan = reconcile(journal, BATCH, rows)

    assert sorted(plan.edited) == [5, 8] and plan.already == {}
    outcome = plan.outcome(rows[3])
    assert outcome is not None
    assert (outcome.status, outcome.error_code, outcome.contact_id) == (
        Status.FAILED,
        EDITED_CODE,
        "c-t-n3",
    )
    assert outcome.client_token == "t-n3 changed", "its own token, for --send-edited"
    assert "correct that task in Amazon Connect" in outcome.error_message
    invalid = plan.outcome(rows[6])
    assert invalid is not None and invalid.error_code == EDITED_CODE
    assert "also not valid as it stands: Name: too long" in invalid.error_message
    assert invalid.errors == tuple(rows[6].errors)


def test_send_edited_sends_the_valid_edited_rows(journal: Journal) -> None:
    first_run(journal, NAMES)
    rows = [row(n, name) for n, name in enumerate(NAMES, start=2)]
    rows[3] = row(5, "n3 changed")
    rows[6] = row(8, "n6 changed", invalid=True)

    plan = reconcile(journal, BATCH, rows, send_edited=True)

    assert plan.sent_edited == [5]
    assert list(plan.edited) == [8], "an invalid row cannot be sent"
    assert plan.outcome(rows[3]) is None


def test_rows_moved_by_sorting_or_an_inserted_line_still_match_and_the_newcomer_is_sent(
    journal: Journal,
) -> None:
    first_run(journal, NAMES)
    names = [*reversed(NAMES[:5]), "new", *NAMES[5:]]
    rows = [row(n, name) for n, name in enumerate(names, start=2)]

    plan = reconcile(journal, BATCH, rows)

    assert plan.same_batch and plan.edited == {} and plan.already == {}


def test_a_line_deleted_and_another_put_in_its_place_is_an_edit(journal: Journal) -> None:
    first_run(journal, NAMES)
    names = [*NAMES[:4], "someone else", *NAMES[5:]]

    plan = reconcile(journal, BATCH, [row(n, name) for n, name in enumerate(names, start=2)])

    assert list(plan.edited) == [6]


def test_a_row_holding_exactly_the_values_of_the_unmatched_task_at_its_number_matches_it(
    journal: Journal,
) -> None:
    first_run(journal, NAMES)
    rows = [row(n, name) for n, name in enumerate(NAMES, start=2)]
    rows[4] = row(6, "n4", token="t-other")  # same values, another token (fixed elsewhere)

    plan = reconcile(journal, BATCH, rows)

    outcome = plan.outcome(rows[4])
    assert outcome is not None and outcome.contact_id == "c-t-n4"
    assert "with these values" in outcome.error_message


def test_a_digest_an_earlier_version_journaled_for_non_ascii_text_still_matches(
    journal: Journal,
) -> None:
    first_run(journal, NAMES)
    # request_digest(request("Élodie — 日本", "t-Élodie")) as versions up to 0.1.0 journaled it
    earlier = "f4e47ccf44a964299672c14340addd2eb8c5722c6591a7b2275597170650c83e"
    journal.mark_in_flight("t-Élodie", row_number=12, batch_id=BATCH, request_sha256=earlier)
    journal.record("t-Élodie", JournalStatus.CREATED, attempts=1, contact_id="c-Élodie")
    rows = [row(n, name) for n, name in enumerate(NAMES, start=2)]
    rows.append(row(12, "Élodie — 日本", token="t-other"))

    plan = reconcile(journal, BATCH, rows)

    assert plan.edited == {}, "the row is unchanged: its digest is the one journaled"
    outcome = plan.outcome(rows[-1])
    assert outcome is not None and outcome.contact_id == "c-Élodie"
    assert "with these values" in outcome.error_message


@pytest.mark.parametrize("created_first", [3, 0], ids=["some answers lost", "all lost"])
def test_a_row_edited_after_a_send_whose_answer_was_lost_is_sent_under_that_token(
    journal: Journal, created_first: int
) -> None:
    first_run(journal, NAMES[:created_first])
    tokens = {n: lost(journal, n, name) for n, name in enumerate(NAMES, start=2) if n > 4}
    rows = [row(n, name) for n, name in enumerate(NAMES, start=2)]
    rows[5] = row(7, "n5 changed")

    plan = reconcile(journal, BATCH, rows)

    assert plan.same_batch and not plan.reused_name
    assert list(plan.resent) == [7] and plan.edited == plan.already == {}
    assert (rows[5].client_token, rows[5].request["ClientToken"]) == (tokens[7], tokens[7])
    assert rows[5].origin_token == "t-n5 changed", "the next run of the edited row finds it"
    assert plan.outcome(rows[5]) is None, "it is sent"
    others = [r.client_token for r in rows if r.number != 7]
    assert others == [f"t-{name}" for name in NAMES if name != "n5"]


def test_a_row_edited_after_a_refusal_or_with_send_edited_is_sent_under_its_own_token(
    journal: Journal,
) -> None:
    first_run(journal, NAMES[:6])
    lost(journal, 8, "n6", refused=True)
    lost(journal, 9, "n7")
    rows = [row(n, name) for n, name in enumerate(NAMES[:8], start=2)]
    rows[6], rows[7] = row(8, "n6 changed"), row(9, "n7 changed")

    plan = reconcile(journal, BATCH, rows, send_edited=True)

    assert plan.resent == {} and plan.sent_edited == [9]
    assert (rows[6].client_token, rows[7].client_token) == ("t-n6 changed", "t-n7 changed")
    assert list(reconcile(journal, BATCH, rows, added={9}).resent) == [], "a new line by intent"
    assert list(reconcile(journal, BATCH, rows).resent) == [9]


def test_a_new_file_under_an_old_name_is_sent_whatever_its_row_numbers(journal: Journal) -> None:
    first_run(journal, NAMES)
    names = [f"tuesday {i}" for i in range(8)] + NAMES[:2]

    plan = reconcile(journal, BATCH, [row(n, name) for n, name in enumerate(names, start=2)])

    assert plan.reused_name and not plan.same_batch
    assert (plan.batch_tasks, plan.matched, plan.rows) == (10, 2, 10)
    assert plan.edited == {}
    assert plan.latest is not None and plan.created_by(plan.latest).startswith("by run on ")


def test_a_file_that_grew_is_the_same_batch_though_most_of_its_rows_are_new(
    journal: Journal,
) -> None:
    first_run(journal, NAMES[:3])
    names = [NAMES[0], "changed", NAMES[2], *(f"new {i}" for i in range(20))]

    plan = reconcile(journal, BATCH, [row(n, name) for n, name in enumerate(names, start=2)])

    assert plan.same_batch, "2 of the batch's 3 tasks are matched"
    assert list(plan.edited) == [3]


def test_tasks_of_another_batch_match_rows_but_do_not_make_the_file_that_batch(
    journal: Journal,
) -> None:
    for number, name in enumerate(NAMES, start=2):
        created(journal, number, name, batch="yesterday.csv")
    rows = [row(n, name, invalid=True) for n, name in enumerate(NAMES, start=2)]

    plan = reconcile(journal, BATCH, rows)

    assert not plan.same_batch and not plan.reused_name
    assert sorted(plan.already) == list(range(2, 12))


def test_retry_counts_its_created_lines_and_never_takes_an_added_line_for_an_edit(
    journal: Journal,
) -> None:
    first_run(journal, NAMES)
    kept = {n: f"t-{name}" for n, name in enumerate(NAMES[:8], start=2)}
    rows = [row(10, "n8 changed"), row(12, "added")]
    journal.mark_in_flight("t-gone", row_number=12, batch_id=BATCH, request_sha256="")
    journal.record("t-gone", JournalStatus.CREATED, attempts=1, contact_id="c-gone")

    plan = reconcile(journal, BATCH, rows, kept=kept, added={12})

    assert plan.same_batch
    assert list(plan.edited) == [10]


def test_the_batch_a_results_file_continues(journal: Journal) -> None:
    first_run(journal, NAMES[:6])
    for number, name in enumerate(NAMES[:2], start=2):
        created(journal, number, f"{name} by an old retry", batch="tasks.results.csv")
    tokens = [f"t-{name}" for name in NAMES[:6]] + ["t-n0 by an old retry", "never sent", ""]

    found = batch_of_results(journal, tokens, "tasks.results.csv")

    assert found is not None and found.batch_id == BATCH
    assert found.how == "6 of its 8 ClientTokens were sent in it"

    journal.finish_run(1, {"files": [{"batch_id": "all-invalid.csv", "results": "/x/a.csv"}]})
    assert batch_of_results(journal, ["never sent"], "a.csv") is not None
    assert batch_of_results(journal, ["never sent"], "a.csv").batch_id == "all-invalid.csv"
    assert batch_of_results(journal, ["never sent"], "b.csv") is None


def test_the_run_that_wrote_a_results_file_is_the_newest_run_or_retry_that_sent_its_tokens(
    journal: Journal,
) -> None:
    first_run(journal, NAMES[:3])  # run 1
    journal.start_run({"command": "retry"})  # run 2 sends one token again
    created(journal, 3, NAMES[1])
    journal.start_run({"command": "undo"})  # run 3: not one that writes results to retry
    created(journal, 4, NAMES[2])
    tokens = [f"t-{name}" for name in NAMES[:3]]

    found = batch_of_results(journal, tokens, "tasks.results.csv")

    assert found is not None and (found.batch_id, found.run_id) == (BATCH, 2)
    assert batch_of_results(journal, tokens[:1], "tasks.results.csv").run_id == 1


def test_a_results_file_whose_tokens_were_never_sent_is_found_by_its_run_s_summary(
    journal: Journal,
) -> None:
    files = [{"batch_id": "all-invalid.csv", "results": "/x/a.results.csv"}]
    journal.finish_run(1, {"command": "run", "files": files})
    journal.start_run({"command": "undo"})
    journal.finish_run(0, {"command": "undo", "files": [{**files[0], "batch_id": "other"}]})

    found = batch_of_results(journal, ["never sent"], "a.results.csv")

    assert found is not None and (found.batch_id, found.run_id) == ("all-invalid.csv", 1)


def test_the_plan_settles_rows_not_sent_and_leaves_the_rest_to_the_executor(
    journal: Journal,
) -> None:
    first_run(journal, NAMES[:6])
    rows = [row(n, NAMES[n - 2]) for n in (2, 4, 5, 6, 7)]
    rows += [row(3, "n1 changed"), row(8, "new"), row(9, "bad", invalid=True)]

    plan = reconcile(journal, BATCH, rows)

    settled = {r.number: plan.settled(r) for r in rows}
    assert settled[2] is None, "created under its own token: the executor says so"
    assert settled[3] is not None and settled[3].error_code == EDITED_CODE
    assert settled[8] is None
    assert settled[9] is not None and settled[9].status is Status.INVALID
