"""What the executor journals of each row, by kind of request: StartTaskContact by
ClientToken (with the task's instance), undo's StopContact by ContactId. The invariant is
the same for both: in flight before the request goes out, the answer recorded after."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from importer.aws import CONTACT_NOT_FOUND, CONTACT_STOPPED
from importer.errors import ApiError, ErrorKind
from importer.executor import Executor, ExecutorSettings
from importer.journal import Journal, JournalStatus
from importer.model import Outcome, PreparedRow, SourceRow, Status
from importer.row_journal import StopJournal, TaskJournal

QUICK = ExecutorSettings(rate=10_000.0, burst=1_000, backoff_base=0.001, backoff_max=0.01)


def stop_rows(*contact_ids: str) -> list[PreparedRow]:
    return [
        PreparedRow(
            SourceRow(number, {"Name": f"Task {number}"}),
            {"ContactId": contact_id, "InstanceId": "instance-1"},
            f"token-{number}",
        )
        for number, contact_id in enumerate(contact_ids, start=2)
    ]


def send(journal: Journal, records: Any, submit: Any, rows: list[PreparedRow]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    Executor(submit, records, QUICK, batch_id="tasks.results.csv").run(rows, outcomes.append)
    return sorted(outcomes, key=lambda outcome: outcome.row)


def test_a_stop_is_in_flight_while_sent_then_stopped_and_never_sent_again(tmp_path: Path) -> None:
    seen: list[JournalStatus | None] = []
    with Journal(tmp_path / "j.sqlite3") as journal:
        journal.start_run({"command": "undo"})
        records = StopJournal(journal)

        def stop(request: Mapping[str, Any]) -> str:
            entry = journal.stop_entry(request["ContactId"])
            seen.append(entry.status if entry else None)
            return CONTACT_NOT_FOUND if request["ContactId"] == "c-ended" else CONTACT_STOPPED

        first = send(journal, records, stop, stop_rows("c-1", "c-ended"))
        again = send(journal, records, stop, stop_rows("c-1", "c-ended"))
        stopped = journal.stopped(["c-1", "c-ended", "c-never"])

    assert seen == [JournalStatus.IN_FLIGHT] * 2, "two calls, each marked in flight first"
    assert [(o.status, o.contact_id, o.client_token) for o in first] == [
        (Status.STOPPED, "c-1", "token-2"),
        (Status.STOPPED, "c-ended", "token-3"),
    ]
    assert first[0].error_message.startswith("stopped by undo on ")
    assert "already ended" in first[1].error_message
    assert [o.status for o in again] == [Status.STOPPED] * 2
    assert all(o.error_message.startswith("stopped by an earlier undo on") for o in again)
    assert sorted(stopped) == ["c-1", "c-ended"]
    assert (stopped["c-1"].already_ended, stopped["c-ended"].already_ended) == (False, True)
    assert stopped["c-1"].run_id == 1


def test_a_failed_stop_is_journaled_as_such_and_sent_again_next_time(tmp_path: Path) -> None:
    fault = ApiError(
        ErrorKind.TRANSIENT, "InternalServiceException", "boom", 500, maybe_created=True
    )

    def failing(_: Mapping[str, Any]) -> str:
        raise fault

    with Journal(tmp_path / "j.sqlite3") as journal:
        records = StopJournal(journal)
        settings = ExecutorSettings(max_attempts=2, backoff_base=0.0, backoff_max=0.0)
        outcomes: list[Outcome] = []
        Executor(failing, records, settings).run(stop_rows("c-1"), outcomes.append)
        entry = journal.stop_entry("c-1")
        retried = send(journal, records, lambda _: CONTACT_STOPPED, stop_rows("c-1"))

    (failed,) = outcomes
    assert failed.status is Status.FAILED and failed.error_code == "InternalServiceException"
    assert "the task may have been stopped: undo the file again" in failed.error_message
    assert "task may have been created" not in failed.error_message
    assert entry is not None and (entry.status, entry.attempts) == (JournalStatus.FAILED, 2)
    assert entry.maybe_created
    assert [o.status for o in retried] == [Status.STOPPED]


def test_a_created_task_is_journaled_with_its_instance(tmp_path: Path) -> None:
    row = PreparedRow(
        SourceRow(2, {"Name": "A"}),
        {"InstanceId": "instance-7", "ContactFlowId": "f", "Name": "A", "ClientToken": "t-1"},
        "t-1",
    )
    with Journal(tmp_path / "j.sqlite3") as journal:
        (outcome,) = send(journal, TaskJournal(journal), lambda _: "c-1", [row])
        assert journal.instances_of(["t-1", "t-other"]) == {"t-1": "instance-7"}
    assert (outcome.status, outcome.contact_id) == (Status.CREATED, "c-1")
