"""What a run did, for machines: the summary JSON's counts, exit code and audit record."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import cli_args, results_of, statuses, task_rows, write_input

from importer.cli import main
from importer.errors import InputFileError
from importer.exitcodes import ExitCode
from importer.run_summary import FileSummary, RunSummary, file_sha256, write_json
from importer.sandbox import Sandbox


def test_the_summary_json_matches_the_results_file_and_is_kept_in_the_journal(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", [*task_rows(6), ["", "x", "1", "low"]])
    capsys.readouterr()

    assert main(cli_args("run", source, sb, tmp_path, "--summary-json", "-")) == 1

    report = json.loads(capsys.readouterr().out)
    lines = results_of(source)
    assert report["counts"] == {
        "created": 6,
        "already_created": 0,
        "invalid": 1,
        "failed": 0,
        "not_attempted": 0,
        "stopped": 0,
    }
    assert report["counts"]["created"] == statuses(lines)["created"]
    assert report["exit_code"] == 1 and "1 invalid" in report["exit_reason"]
    assert report["results"] == [str(tmp_path / "tasks.results.csv")]
    assert report["api_calls"] == 6 and report["throttles"] == 0
    assert report["started"] <= report["finished"]
    audit = report["audit"]
    assert audit["inputs"] == [
        {"input": str(source), "sha256": hashlib.sha256(source.read_bytes()).hexdigest()}
    ]
    assert audit["settings"]["rate"] == 500.0
    assert audit["tool_version"]

    db = sqlite3.connect(tmp_path / "j.sqlite3")
    (kept,) = db.execute("SELECT summary FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
    db.close()
    assert json.loads(kept)["counts"] == report["counts"]


def test_a_run_that_cannot_start_still_writes_its_summary(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    summary = tmp_path / "out" / "summary.json"
    args = cli_args("run", tmp_path / "absent.csv", sb, tmp_path, "--summary-json", str(summary))

    assert main(args) == 2

    report = json.loads(summary.read_text(encoding="utf-8"))
    assert report["exit_code"] == 2
    assert "absent.csv: no such file" in report["exit_reason"]


def test_a_run_stopped_early_exits_3_whatever_its_files_say() -> None:
    summary = RunSummary("run", {}, files=[FileSummary("a.csv", exit_code=int(ExitCode.OK))])
    summary.stop_reason = "access denied"
    assert summary.finish() == ExitCode.STOPPED
    assert (summary.exit_code, summary.reason) == (3, "stopped early: access denied")


def test_counts_and_rate_add_up_over_files() -> None:
    started = dt.datetime(2026, 3, 27, 12, 0, tzinfo=dt.UTC)
    first, second = (
        FileSummary("a.csv", api_calls=12, throttles=2, send_seconds=4.0),
        FileSummary("b.csv", api_calls=8, send_seconds=6.0),
    )
    first.counts["created"], second.counts["created"], second.counts["failed"] = 3, 5, 1
    summary = RunSummary("run", {"rate": 2.0}, started=started, files=[first, second])
    summary.finished = started + dt.timedelta(seconds=90)
    report = summary.as_dict()
    assert report["counts"]["created"] == 8 and report["counts"]["failed"] == 1
    assert (report["api_calls"], report["throttles"], report["achieved_rate"]) == (20, 2, 1.8)
    assert (report["started"], report["elapsed_seconds"]) == ("2026-03-27T12:00:00Z", 90.0)


def test_a_file_to_hash_that_cannot_be_read_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "tasks.csv"
    path.write_bytes(b"Name\na\n")
    assert file_sha256(path) == hashlib.sha256(b"Name\na\n").hexdigest()
    with pytest.raises(InputFileError, match=r"absent\.csv: no such file"):
        file_sha256(tmp_path / "absent.csv")


def test_the_summary_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    destination = tmp_path / "summary.json"
    destination.write_text("previous", encoding="utf-8")
    write_json({"exit_code": 0}, destination)
    assert json.loads(destination.read_text(encoding="utf-8")) == {"exit_code": 0}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
