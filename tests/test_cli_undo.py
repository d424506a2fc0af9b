"""`task-importer undo` end to end: the tasks a results file lists as created are stopped
with StopContact, once, and nothing brings them back.

Real CLI in-process, real boto3, the local Connect sandbox; its counters and task states
show what was sent. Nothing here asserts on time: counts only.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_runs import (
    FLOW,
    INSTANCE,
    cli_args,
    planned_rows,
    results_of,
    statuses,
    task_rows,
    write_input,
)
from spreadsheets import read_results, write_csv, write_xlsx

from importer.cli import main
from importer.journal import Journal
from importer.results.workbook import LAVENDER, STATUS_LOOKS
from importer.sandbox import Sandbox

STOP_FAST = {"stop_rate": 100_000.0, "stop_burst": 100_000}
"""StopContact's quota for tests that are not about it: effectively unlimited."""
NO_NAME = ["", "a row without a name", "99", "low"]


def undo_args(results: Path, sb: Sandbox, tmp_path: Path, *extra: str) -> list[str]:
    """`undo RESULTS` pointed at the sandbox, with the journal of cli_args' runs."""
    return [
        "undo",
        str(results),
        "--endpoint-url",
        sb.url,
        "--region",
        "us-east-1",
        "--journal",
        str(tmp_path / "j.sqlite3"),
        "--no-progress",
        "--rate",
        "500",
        "--burst",
        "50",
        *extra,
    ]


def created(sb: Sandbox, tmp_path: Path, rows: list[list[str]], name: str = "tasks.csv") -> Path:
    """Run ``rows`` as an input; its results file."""
    source = write_input(tmp_path / name, rows)
    main(cli_args("run", source, sb, tmp_path))
    return source.with_name(source.name.replace(".csv", ".results.csv"))


def states(sb: Sandbox) -> dict[str, str]:
    return {task["ContactId"]: task["State"] for task in sb.tasks()}


class Terminal(io.StringIO):
    """stdin as a terminal."""

    def isatty(self) -> bool:
        return True


def test_undo_stops_every_created_task_once_and_nothing_creates_them_again(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(active_task_cap=5, **STOP_FAST)
    results = created(sb, tmp_path, [*task_rows(5), NO_NAME])
    before = read_results(results)
    assert sb.counters()["active"] == 5
    capsys.readouterr()

    assert main(undo_args(results, sb, tmp_path, "--yes")) == 0

    err = capsys.readouterr().err
    assert f"5 tasks to stop with StopContact (5 on instance {INSTANCE})" in err
    counters = sb.counters()
    assert (counters["stop_requests"], counters["stopped"], counters["active"]) == (5, 5, 0)
    assert set(states(sb).values()) == {"stopped"}
    after = read_results(results)
    assert statuses(after) == {"stopped": 5, "invalid": 1}
    for old, new in zip(before, after, strict=True):
        if old["status"] == "invalid":
            assert new == old, "a line undo has nothing to do with stays as it was"
        else:
            assert new["error_message"].startswith("stopped by undo on ")
            unchanged = ("row", "contact_id", "client_token", "attempts", "Name")
            assert {k: new[k] for k in unchanged} == {k: old[k] for k in unchanged}

    assert main(undo_args(results, sb, tmp_path, "--yes")) == 0, "a second undo"
    capsys.readouterr()
    for command, source in (("retry", results), ("run", tmp_path / "tasks.csv")):
        assert main([*cli_args(command, source, sb, tmp_path), "--dry-run"]) == 1
        out, err = capsys.readouterr()
        plans = planned_rows(out)
        for line in after[:5]:
            assert plans[int(line["row"])] == (
                f"stopped by undo, ContactId {line['contact_id']}: not sent (neither run nor "
                "retry re-creates a stopped task)"
            ), command
        assert "0 already created" in err and ", 5 stopped by undo" in err, command
    assert main(cli_args("retry", results, sb, tmp_path)) == 1, "its invalid line"
    assert "Retrying 1 of 6 rows (0 already created, 5 stopped)." in capsys.readouterr().err
    assert statuses(read_results(results)) == {"stopped": 5, "invalid": 1}
    assert main(cli_args("run", tmp_path / "tasks.csv", sb, tmp_path)) == 1, "the input again"

    rerun = results_of(tmp_path / "tasks.csv")
    assert statuses(rerun) == {"stopped": 5, "invalid": 1}
    assert all("stopped by undo on" in line["error_message"] for line in rerun[:5])
    assert [line["contact_id"] for line in rerun] == [line["contact_id"] for line in after]
    assert sb.counters()["requests"] == counters["requests"], "nothing was sent since"
    assert sb.counters()["stop_requests"] == 5
    more = created(sb, tmp_path, task_rows(5, start=10), "more.csv")
    assert statuses(read_results(more)) == {"created": 5}, "the active-task cap was freed"


def test_without_a_terminal_undo_refuses_unless_yes_and_sends_nothing(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = sandbox(**STOP_FAST)
    results = created(sb, tmp_path, task_rows(3))
    written = results.read_bytes()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    summary = tmp_path / "undo.json"
    capsys.readouterr()

    assert main([*undo_args(results, sb, tmp_path), "--summary-json", str(summary)]) == 2

    err = capsys.readouterr().err
    assert "undo would stop 3 tasks and asks first, on a terminal" in err
    assert "--yes" in err and "Nothing was sent" in err
    assert sb.counters()["stop_requests"] == 0
    assert results.read_bytes() == written
    assert json.loads(summary.read_text(encoding="utf-8"))["exit_code"] == 2
    assert len(runs_in(tmp_path / "j.sqlite3")) == 1, "the refused undo reached no journal"


@pytest.mark.parametrize(("answer", "code", "stopped"), [("yes", 0, 3), ("n", 2, 0)])
def test_on_a_terminal_undo_asks_first_and_does_as_told(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    code: int,
    stopped: int,
) -> None:
    sb = sandbox(**STOP_FAST)
    results = created(sb, tmp_path, task_rows(3))
    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or answer)

    assert main(undo_args(results, sb, tmp_path)) == code

    assert prompts == [
        "Stop these 3 tasks in Amazon Connect? They end at once and cannot be reopened. Type "
        "yes to stop them: "
    ]
    assert sb.counters()["stopped"] == sb.counters()["stop_requests"] == stopped
    assert statuses(read_results(results)) == ({"stopped": 3} if stopped else {"created": 3})


def test_dry_run_lists_each_task_it_would_stop_and_sends_nothing(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(**STOP_FAST)
    results = created(sb, tmp_path, [*task_rows(3), NO_NAME])
    written = results.read_bytes()
    contact_ids = [line["contact_id"] for line in read_results(results)[:3]]
    capsys.readouterr()

    assert main(undo_args(results, sb, tmp_path, "--dry-run")) == 0

    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"  row {row}: {contact_id} on instance {INSTANCE}"
        for row, contact_id in zip((2, 3, 4), contact_ids, strict=True)
    ]
    assert "Dry run: 3 tasks would be stopped; nothing was sent." in err
    assert sb.counters()["stop_requests"] == 0
    assert results.read_bytes() == written
    assert len(runs_in(tmp_path / "j.sqlite3")) == 1


@pytest.mark.usefixtures("quick_backoff")
def test_faults_still_stop_each_task_exactly_once(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(seed=14, **STOP_FAST)
    results = created(sb, tmp_path, task_rows(20))
    sb.configure(fail_rate=0.25, drop_before_rate=0.15, drop_after_rate=0.15)

    assert main(undo_args(results, sb, tmp_path, "--yes", "--max-attempts", "30")) == 0

    counters = sb.counters()
    assert counters["stop_internal_errors"] and counters["stop_dropped_after"]
    assert counters["stop_dropped_before"]
    assert counters["stopped"] == 20 and set(states(sb).values()) == {"stopped"}
    assert counters["stop_not_found"] <= counters["stop_dropped_after"], (
        "a stop found the task ended only when an earlier answer was lost"
    )
    stops = journal_stops(tmp_path / "j.sqlite3")
    assert set(stops) == set(states(sb)) and set(stops.values()) == {"stopped"}
    assert journal_stop_attempts(tmp_path / "j.sqlite3") == counters["stop_requests"]
    assert statuses(read_results(results)) == {"stopped": 20}

    assert main(undo_args(results, sb, tmp_path, "--yes")) == 0
    assert sb.counters()["stop_requests"] == counters["stop_requests"]


@pytest.mark.usefixtures("quick_backoff")
def test_undo_told_a_rate_above_stop_contacts_quota_is_throttled_and_still_stops_each_once(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(stop_rate=6.0, stop_burst=2)  # 4 stops at once, 2 over the burst
    results = created(sb, tmp_path, task_rows(8))
    capsys.readouterr()

    assert main(undo_args(results, sb, tmp_path, "--yes", "--max-attempts", "30")) == 0

    counters = sb.counters()
    assert counters["stop_throttled"] > 0, "undo's --rate 500 met StopContact's own quota"
    assert counters["stopped"] == 8 and set(states(sb).values()) == {"stopped"}
    assert statuses(read_results(results)) == {"stopped": 8}
    assert f"{counters['stop_throttled']} throttled" in capsys.readouterr().err


def test_undo_while_another_run_holds_the_journal_exits_4_and_sends_nothing(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(**STOP_FAST)
    results = created(sb, tmp_path, task_rows(3))
    before = results.read_bytes()

    with Journal(tmp_path / "j.sqlite3"):  # another run holds it
        assert main(undo_args(results, sb, tmp_path, "--yes")) == 4

    assert sb.counters()["stop_requests"] == 0
    assert results.read_bytes() == before
    assert "is in use by another run" in capsys.readouterr().err


def test_access_denied_stops_undo_early_naming_connect_stop_contact(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(**STOP_FAST)
    results = created(sb, tmp_path, task_rows(4))
    sb.configure(access_denied=True)
    capsys.readouterr()

    assert main(undo_args(results, sb, tmp_path, "--yes")) == 3

    err = capsys.readouterr().err
    assert "STOPPED EARLY" in err and "connect:StopContact" in err
    assert "run the same undo again to continue where it stopped" in err
    assert "StartTaskContact" not in err and "task may have been created" not in err
    lines = read_results(results)
    assert statuses(lines) == {"created": 4}, "their tasks still exist"
    assert all(line["error_message"].startswith("not stopped by undo") for line in lines)
    assert set(states(sb).values()) == {"active"}

    sb.configure(access_denied=False)
    assert main(undo_args(results, sb, tmp_path, "--yes")) == 0
    assert statuses(read_results(results)) == {"stopped": 4}


def test_a_task_that_ended_before_undo_counts_as_stopped(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(**STOP_FAST)
    results = created(sb, tmp_path, task_rows(3))
    assert sb.close_tasks(1) == 1  # an agent closed the oldest (whichever row it was)
    [closed] = [contact for contact, state in states(sb).items() if state != "active"]

    assert main(undo_args(results, sb, tmp_path, "--yes")) == 0

    lines = read_results(results)
    assert statuses(lines) == {"stopped": 3}
    ended = [
        line["contact_id"]
        for line in lines
        if "already ended (StopContact answered ContactNotFoundException" in line["error_message"]
    ]
    assert ended == [closed]
    counters = sb.counters()
    assert (counters["stopped"], counters["stop_not_found"]) == (2, 1)


def test_each_tasks_instance_is_its_cell_the_option_or_the_journals(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(**STOP_FAST)
    results = created(sb, tmp_path, task_rows(2))
    other_journal = tmp_path / "elsewhere" / "j.sqlite3"
    elsewhere = [*undo_args(results, sb, tmp_path, "--yes"), "--journal", str(other_journal)]
    capsys.readouterr()

    assert main(elsewhere) == 2
    assert "Rows 2, 3: no instance is known for their tasks" in capsys.readouterr().err
    assert sb.counters()["stop_requests"] == 0 and not other_journal.exists()
    assert main([*elsewhere, "--instance-id", INSTANCE]) == 0
    assert sb.counters()["stopped"] == 2

    with_cells = write_csv(
        tmp_path / "cells.csv",
        [["Name", "InstanceId", "ContactFlowId"], ["Task", INSTANCE, FLOW]],
    )
    args = cli_args("run", with_cells, sb, tmp_path)
    args.remove("--instance-id")
    args.remove(INSTANCE)
    assert main(args) == 0
    fresh = [*undo_args(with_cells.with_name("cells.results.csv"), sb, tmp_path, "--yes")]
    assert main([*fresh, "--journal", str(tmp_path / "fresh.sqlite3")]) == 0
    assert sb.counters()["stopped"] == 3


def test_a_sandbox_undo_never_replaces_a_real_runs_results(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(**STOP_FAST)
    results = created(sb, tmp_path, task_rows(2))
    real = results.read_bytes()

    assert main(["undo", str(results), "--sandbox", "--yes", "--no-progress"]) == 0

    assert results.read_bytes() == real
    assert statuses(read_results(tmp_path / "tasks.sandbox.results.csv")) == {"stopped": 2}
    assert sb.counters()["stop_requests"] == 0, "the real tasks were not touched"


def test_an_undone_workbook_shows_its_stopped_lines_in_their_colour(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    sb = sandbox(**STOP_FAST)
    source = write_xlsx(tmp_path / "tasks.xlsx", [["Name", "Description"], ["A", "a"], ["", "b"]])
    main(cli_args("run", source, sb, tmp_path))
    results = tmp_path / "tasks.results.xlsx"

    assert main(undo_args(results, sb, tmp_path, "--yes")) == 0

    assert statuses(read_results(results)) == {"stopped": 1, "invalid": 1}
    book = load_workbook(results)
    assert book["Results"]["B2"].fill.fgColor.rgb.endswith(LAVENDER.background)
    assert STATUS_LOOKS["stopped"] is LAVENDER
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert summary["stopped"] == 1 and summary["invalid"] == 1


def runs_in(journal: Path) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(journal)
    try:
        return db.execute("SELECT run_id, exit_code FROM runs").fetchall()
    finally:
        db.close()


def journal_stops(journal: Path) -> dict[str, str]:
    db = sqlite3.connect(journal)
    try:
        return dict(db.execute("SELECT contact_id, status FROM stops").fetchall())
    finally:
        db.close()


def journal_stop_attempts(journal: Path) -> int:
    db = sqlite3.connect(journal)
    try:
        return int(db.execute("SELECT SUM(attempts) FROM stops").fetchone()[0])
    finally:
        db.close()
