"""`task-importer history` end to end: the journal's runs, newest first, read while a run
holds the journal, and never a journal made where there was none.

Real CLI in-process (and a run in a child process that holds the journal), the sandbox.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import (
    INSTANCE,
    WAIT_S,
    cli_args,
    journal_tokens,
    start_child,
    task_rows,
    wait_until,
    write_input,
)

from importer.cli import main
from importer.journal import Journal
from importer.sandbox import Sandbox

STOP_FAST = {"stop_rate": 100_000.0, "stop_burst": 100_000}
NO_NAME = ["", "a row without a name", "99", "low"]


def history(journal: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["history", "--journal", str(journal), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_missing_or_empty_journal_has_no_history_and_none_is_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "state" / "journal.sqlite3"

    assert history(missing, capsys)[0] == 0
    code, out, err = history(missing, capsys, "--json")
    assert (code, json.loads(out)) == (0, [])
    assert f"No journal at {missing}" in err
    assert not missing.parent.exists()
    capsys.readouterr()
    assert main(["history"]) == 0, "$TASK_IMPORTER_JOURNAL, as run uses it"
    assert "No journal at" in capsys.readouterr().err
    assert not Path(os.environ["TASK_IMPORTER_JOURNAL"]).exists()

    Journal(missing).close()
    code, out, err = history(missing, capsys)
    assert (code, out) == (0, "")
    assert "records no runs yet" in err


def test_run_retry_and_undo_are_listed_newest_first_with_their_summaries(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(**STOP_FAST)
    source = write_input(tmp_path / "tasks.csv", [*task_rows(3), NO_NAME])
    results = tmp_path / "tasks.results.csv"
    journal = tmp_path / "j.sqlite3"
    summaries = [tmp_path / f"{name}.json" for name in ("run", "retry", "undo")]
    assert main([*cli_args("run", source, sb, tmp_path), "--summary-json", str(summaries[0])]) == 1
    assert (
        main([*cli_args("retry", results, sb, tmp_path), "--summary-json", str(summaries[1])]) == 1
    )
    undo = ["undo", str(results), "--endpoint-url", sb.url, "--journal", str(journal), "--yes"]
    assert main([*undo, "--no-progress", "--summary-json", str(summaries[2])]) == 0

    code, out, err = history(journal, capsys)

    assert code == 0 and f"Runs in journal {journal}, newest first:" in err
    lines = out.splitlines()
    assert [line.split(" | ")[:2] for line in lines] == [
        ["run 3", "undo "],
        ["run 2", "retry"],
        ["run 1", "run  "],
    ]
    undone, retried, ran = (line.split(" | ") for line in lines)
    assert undone[4:] == [
        "exit 0: every task stopped (or found already ended)",
        str(results),
        "stopped 3",
    ]
    assert ran[4] == f"exit 1: {source}: rows not created: 1 invalid"
    assert ran[5:] == [str(source), "created 3, invalid 1"]
    assert retried[5:] == [str(results), "created 3, invalid 1"]
    assert ran[2].endswith(" UTC") and ran[3].endswith(" s")

    code, out, _ = history(journal, capsys, "--json")
    recorded = [json.loads(path.read_text(encoding="utf-8")) for path in summaries]
    assert json.loads(out) == [
        {"run_id": 3, **recorded[2]},
        {"run_id": 2, **recorded[1]},
        {"run_id": 1, **recorded[0]},
    ]
    code, out, _ = history(journal, capsys, "--limit", "2")
    assert [line.split(" | ")[0] for line in out.splitlines()] == ["run 3", "run 2"]
    code, out, _ = history(journal, capsys, "--json", "1")
    assert json.loads(out) == {"run_id": 1, **recorded[0]}

    code, out, _ = history(journal, capsys, "1")
    details = out.splitlines()
    assert details[0] == "Run 1: run"
    assert f"  exit       1: {source}: rows not created: 1 invalid" in details
    assert f"  results    {results}" in details
    assert "  counts     created 3, invalid 1" in details
    (calls,) = [line for line in details if line.startswith("  API calls  3 API calls in ")]
    assert "requests/s" not in calls, "no rate for a run of a few seconds"
    assert f"    instance-id: {INSTANCE}" in details
    assert any(line.startswith(f"  input      {source} (sha256 ") for line in details)

    code, _, err = history(journal, capsys, "7")
    assert code == 2 and "has no run 7 (its runs are numbered 1 to 3)" in err


def test_runs_that_exited_2_or_3_say_why(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = sandbox(access_denied=True)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sb.url)
    source = write_input(tmp_path / "tasks.csv", task_rows(2))
    assert main(cli_args("run", tmp_path / "missing.csv", sb, tmp_path)) == 2
    assert main(cli_args("run", source, sb, tmp_path)) == 3
    sb.configure(access_denied=False)
    flow = ["--contact-flow-id", "f10f10f1-0000-4000-8000-00000000dead"]
    assert main([*cli_args("run", source, sb, tmp_path), "--check", *flow]) == 2

    _, out, _ = history(tmp_path / "j.sqlite3", capsys)
    _, as_json, _ = history(tmp_path / "j.sqlite3", capsys, "--json")

    preflight, denied, missing = (line.split(" | ") for line in out.splitlines())
    assert missing[4].startswith("exit 2: ") and missing[5] == str(tmp_path / "missing.csv")
    assert denied[4].startswith("exit 3: stopped early: Amazon Connect refused the credent")
    assert preflight[4] == "exit 2: the preflight check failed (see above); nothing was sent"
    reasons = [record["exit_reason"] for record in json.loads(as_json)]
    assert reasons[2] == f"{tmp_path / 'missing.csv'}: no such file"
    assert "connect:StartTaskContact" in reasons[1]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_history_reads_the_journal_while_a_run_holds_it_and_after_the_run_was_killed(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(latency_ms=(30, 60), seed=5)
    source = write_input(tmp_path / "tasks.csv", task_rows(200))
    journal = tmp_path / "j.sqlite3"
    process, log = start_child(cli_args("run", source, sb, tmp_path, rate="100"), tmp_path)
    wait_until(lambda: sb.counters()["created"] >= 20, process, log)

    code, out, _ = history(journal, capsys)
    (running,) = out.splitlines()
    assert code == 0
    assert running.split(" | ")[:2] == ["run 1", "run  "]
    assert running.split(" | ")[4].startswith(f"unfinished: still running (pid {process.pid} ")
    assert main(cli_args("run", source, sb, tmp_path)) == 4

    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=WAIT_S) == -signal.SIGKILL
    sent = journal_tokens(journal)

    code, out, _ = history(journal, capsys)
    refused, killed = (line.split(" | ") for line in out.splitlines())
    assert refused[4].startswith(f"exit 4: journal {journal} is in use by another run (pid ")
    assert killed[4].startswith("unfinished: killed or crashed (no end was recorded; pid ")
    created = sum(1 for status in sent.values() if status == "created")
    in_flight = len(sent) - created
    assert killed[6] == f"created {created:,}" + (f", in_flight {in_flight:,}" if in_flight else "")
    code, out, _ = history(journal, capsys, "--json", "1")
    record = json.loads(out)
    assert (record["exit_code"], record["finished"], record["command"]) == (None, None, "run")
