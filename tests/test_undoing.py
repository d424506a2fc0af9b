"""undo's use case from Python: the plan is said and confirmed before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import FLOW, INSTANCE, statuses, task_rows, write_input
from recording import Recorder
from spreadsheets import read_results

from importer.errors import UsageError
from importer.options import RunOptions
from importer.running import run_inputs
from importer.sandbox import Sandbox
from importer.undo_plan import UndoPlan
from importer.undoing import preview_undo, undo_results


def ran(sb: Sandbox, tmp_path: Path) -> tuple[Path, RunOptions]:
    options = RunOptions(
        instance_id=INSTANCE,
        contact_flow_id=FLOW,
        endpoint_url=sb.url,
        journal=tmp_path / "j.sqlite3",
        rate=1000.0,
        burst=100,
    )
    source = write_input(tmp_path / "tasks.csv", task_rows(3))
    assert run_inputs([str(source)], options).exit_code == 0
    return tmp_path / "tasks.results.csv", options


def test_confirm_sees_the_plan_and_a_no_sends_nothing(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(stop_rate=1000.0, stop_burst=100)
    results, options = ran(sb, tmp_path)
    asked: list[UndoPlan] = []

    def refuse(plan: UndoPlan) -> bool:
        asked.append(plan)
        return False

    with pytest.raises(UsageError, match="not confirmed: nothing was sent"):
        undo_results(results, options, confirm=refuse)
    summary = undo_results(results, options, confirm=lambda plan: True)

    (plan,) = asked
    assert [task.number for task in plan.to_send] == [2, 3, 4]
    assert plan.instances() == {INSTANCE: 3}
    assert sb.counters()["stop_requests"] == 3, "only the confirmed undo sent"
    assert (summary.command, summary.exit_code, summary.counts()["stopped"]) == ("undo", 0, 3)
    assert statuses(read_results(results)) == {"stopped": 3}


def test_preview_lists_the_tasks_and_what_was_stopped_before(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(stop_rate=1000.0, stop_burst=100)
    results, options = ran(sb, tmp_path)
    first = read_results(results)[0]
    copy = results.with_name("copy.results.csv")
    copy.write_bytes(results.read_bytes())
    undo_results(results, options)  # the copy still says created
    said = Recorder()

    plan = preview_undo(copy, options, reporter=said)

    assert plan.to_send == [] and len(plan.stopped_before) == 3
    assert said.items[0].startswith(f"row 2: {first['contact_id']} stopped on ")
    assert said.items[0].endswith("(journal run 2): not sent")
    assert "Dry run: 0 tasks would be stopped; nothing was sent." in said.said("info")
    assert sb.counters()["stop_requests"] == 3
