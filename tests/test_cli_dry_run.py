"""`run --dry-run` and `retry --dry-run`: per row, what the command would do (send, already
created, invalid, edited after creation) and the counts; nothing sent, nothing written, the
journal read without its lock. And the run after it does just that.

Real CLI in-process, real boto3, the local Connect sandbox; its counters show what was sent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import (
    cli_args,
    edit_results,
    planned_rows,
    results_of,
    task_rows,
    write_input,
)

from importer.cli import main
from importer.journal import Journal
from importer.sandbox import Sandbox

WOULD = {
    "send": "created",
    "already created": "already_created",
    "invalid": "invalid",
    "not sent: changed since": "failed",
}
"""What a dry run says of a row, and the status the run gives it."""


def run_count(journal: Path) -> int:
    db = sqlite3.connect(journal)
    try:
        return int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    finally:
        db.close()


def test_a_dry_run_consults_the_journal_and_the_run_after_it_does_what_it_said(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(6))
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    created = {int(line["row"]): line["contact_id"] for line in results_of(source)}
    results = (tmp_path / "tasks.results.csv").read_bytes()
    rows = task_rows(6)
    rows[1][1] = "Call back customer 1 before noon"  # row 3, edited after its task was created
    write_input(source, [*rows, *task_rows(1, start=50), ["", "no name", "x", "low"]])
    capsys.readouterr()
    requests, runs = sb.counters()["requests"], run_count(tmp_path / "j.sqlite3")

    assert main(cli_args("run", source, sb, tmp_path, "--dry-run")) == 1

    out, err = capsys.readouterr()
    plans = planned_rows(out)
    assert sorted(plans) == list(range(2, 10))
    for row in (2, 4, 5, 6, 7):
        assert plans[row] == f"already created, ContactId {created[row]}"
    assert plans[3].startswith(
        f"not sent: changed since its task was created (ContactId {created[3]}"
    )
    assert plans[8].startswith("send cti1-")
    assert plans[9] == "invalid (Name): not sent"
    assert (
        "Dry run: 8 rows: 1 to send, 5 already created, 1 invalid, "
        "1 not sent as edited after creation" in err
    )
    assert "Dry run: nothing was sent, and no results file was written." in err
    assert sb.counters()["requests"] == requests
    assert (tmp_path / "tasks.results.csv").read_bytes() == results
    assert run_count(tmp_path / "j.sqlite3") == runs, "a dry run records no run"

    assert main(cli_args("run", source, sb, tmp_path)) == 1

    lines = {int(line["row"]): line for line in results_of(source)}
    for row, plan in plans.items():
        (status,) = [status for said, status in WOULD.items() if plan.startswith(said)]
        assert lines[row]["status"] == status, (row, plan)
    assert lines[8]["client_token"] == plans[8].removeprefix("send ")
    assert sb.counters()["requests"] == requests + 1


def test_a_dry_run_of_a_file_already_created_says_so_not_valid(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(45))
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    capsys.readouterr()

    assert main(cli_args("run", source, sb, tmp_path, "--dry-run")) == 0

    out, err = capsys.readouterr()
    assert all(plan.startswith("already created") for plan in planned_rows(out).values())
    assert "Dry run: 45 rows: 0 to send, 45 already created, 0 invalid" in err


def test_a_dry_run_works_beside_a_running_job_that_holds_the_journal(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(3))
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    write_input(source, task_rows(4))
    capsys.readouterr()

    with Journal(tmp_path / "j.sqlite3"):  # another run holds it
        assert main(cli_args("run", source, sb, tmp_path)) == 4
        assert main(cli_args("run", source, sb, tmp_path, "--dry-run")) == 0

    out, err = capsys.readouterr()
    plans = planned_rows(out)
    assert [plan.split(",")[0].split(" cti1")[0] for plan in plans.values()] == [
        "already created",
        "already created",
        "already created",
        "send",
    ]
    assert "journal " + str(tmp_path / "j.sqlite3") + " (read only: a dry run)" in err


def test_retry_dry_run_says_what_retry_would_send_and_retry_sends_just_that(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    rows = task_rows(4)
    rows[2][0] = ""  # row 4: no Name
    source = write_input(tmp_path / "tasks.csv", rows)
    assert main(cli_args("run", source, sb, tmp_path)) == 1
    results = tmp_path / "tasks.results.csv"
    edit_results(results, lambda line: {"Name": "Fixed"} if line["status"] == "invalid" else None)
    before = results.read_bytes()
    requests = sb.counters()["requests"]
    capsys.readouterr()

    assert main(cli_args("retry", results, sb, tmp_path, "--dry-run")) == 0

    out, err = capsys.readouterr()
    plans = planned_rows(out)
    assert [row for row, plan in plans.items() if plan.startswith("already created")] == [2, 3, 5]
    assert plans[4].startswith("send cti1-")
    assert "Dry run: 4 rows: 1 to send, 3 already created, 0 invalid" in err
    assert results.read_bytes() == before
    assert sb.counters()["requests"] == requests

    assert main(cli_args("retry", results, sb, tmp_path)) == 0
    (line,) = [line for line in results_of(source) if line["row"] == "4"]
    assert (line["status"], line["client_token"]) == ("created", plans[4].removeprefix("send "))
