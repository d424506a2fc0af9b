"""undo's rules: which lines name a task to stop, and on which instance each task is."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from importer.errors import UsageError
from importer.journal import StoppedTask
from importer.model import Status
from importer.options import RunOptions
from importer.results import ResultLine
from importer.undo_plan import TaskToStop, after_stop, plan_undo


class KnownJournal:
    """What plan_undo asks of a journal: instances by ClientToken, stops by ContactId."""

    def __init__(self, instances: dict[str, str], stopped: Iterable[str] = ()) -> None:
        self.instances = instances
        self.stopped_ids = set(stopped)

    def instances_of(self, tokens: Iterable[str]) -> dict[str, str]:
        return {token: self.instances[token] for token in tokens if token in self.instances}

    def stopped(self, contact_ids: Iterable[str]) -> dict[str, StoppedTask]:
        return {
            cid: StoppedTask(cid, "i", 1, "2026-11-28T10:15:00.000Z", False)
            for cid in contact_ids
            if cid in self.stopped_ids
        }


def line(row: int, status: str, contact_id: str = "", instance: str = "") -> ResultLine:
    values = {"Name": f"Task {row}", " instanceid ": instance}
    return ResultLine(row, status, contact_id, "", "", 1, f"t-{row}", values)


LINES = {
    2: line(2, "created", "c-2", instance="i-cell"),
    3: line(3, "already_created", "c-3"),
    4: line(4, "created", "c-4"),
    5: line(5, "invalid"),
    6: line(6, "stopped", "c-6"),
    7: line(7, "created"),  # version 0.1.0's line without a ContactId: no task to stop
}
COLUMNS = ["Name", " instanceid "]


def test_the_instance_is_the_cell_else_the_option_else_the_journals() -> None:
    journal = KnownJournal({"t-2": "i-journal", "t-3": "i-journal"})
    two = {2: LINES[2], 3: LINES[3]}

    given = plan_undo("r.csv", COLUMNS, two, RunOptions(instance_id="i-option"), journal)  # type: ignore[arg-type]
    known = plan_undo("r.csv", COLUMNS, two, RunOptions(), journal)  # type: ignore[arg-type]
    sandboxed = plan_undo(
        "r.csv", COLUMNS, {4: LINES[4]}, RunOptions(sandbox=True, sandbox_instance_id="i-sb"), None
    )

    assert [task.instance_id for task in given.tasks] == ["i-cell", "i-option"]
    assert [task.instance_id for task in known.tasks] == ["i-cell", "i-journal"]
    assert [task.instance_id for task in sandboxed.tasks] == ["i-sb"]
    with pytest.raises(UsageError, match=r"r.csv: Row 4: no instance is known .* --instance-id"):
        plan_undo("r.csv", COLUMNS, LINES, RunOptions(), journal)  # type: ignore[arg-type]


def test_lines_are_sorted_into_tasks_to_stop_stopped_and_left_alone() -> None:
    journal = KnownJournal({}, stopped=["c-3"])
    options = RunOptions(instance_id="i-option")

    plan = plan_undo("r.csv", COLUMNS, LINES, options, journal)  # type: ignore[arg-type]

    assert [task.number for task in plan.tasks] == [2, 3, 4]
    assert [task.number for task in plan.to_send] == [2, 4], "c-3 was stopped before"
    assert plan.instances() == {"i-cell": 1, "i-option": 1}
    assert list(plan.stopped_before) == ["c-3"]
    assert list(plan.stopped_lines) == [6]
    assert list(plan.untouched) == [5, 7]


def test_a_line_keeps_what_it_holds_and_says_what_became_of_its_stop() -> None:
    task = TaskToStop(3, LINES[3], "i")
    stopped = after_stop(task, task.row().outcome(Status.STOPPED, error_message="stopped by x"))
    failed = after_stop(
        task,
        task.row().outcome(Status.FAILED, error_code="InternalServiceException", error_message="m"),
    )

    assert (stopped.status, stopped.contact_id, stopped.attempts) == (Status.STOPPED, "c-3", 1)
    assert (stopped.error_code, stopped.error_message) == ("", "stopped by x")
    assert (failed.status, failed.contact_id, failed.error_code) == (
        "already_created",
        "c-3",
        "InternalServiceException",
    )
    assert failed.error_message == "not stopped by undo (failed): m"
    assert task.row().request == {"ContactId": "c-3", "InstanceId": "i"}
