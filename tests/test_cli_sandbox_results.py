"""A sandbox run never touches a real run's results: `run --sandbox` and `retry --sandbox`.

The real runs go to a sandbox started by the test (``--endpoint-url``), standing for Amazon
Connect; the sandbox runs start their own in-process one (``--sandbox``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import FLOW, cli_args, statuses, task_rows, write_input
from spreadsheets import read_results

from importer.cli import main
from importer.sandbox import Sandbox


def sandbox_args(command: str, target: Path, *extra: str) -> list[str]:
    """`command target --sandbox`: an in-process sandbox and a throwaway journal."""
    return [command, str(target), "--sandbox", "--contact-flow-id", FLOW, "--no-progress", *extra]


def test_a_sandbox_run_writes_its_own_results_and_never_replaces_a_real_runs(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(3))
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    real = tmp_path / "tasks.results.csv"
    before = real.read_bytes()
    real_ids = {line["contact_id"] for line in read_results(real)}
    capsys.readouterr()

    assert main(sandbox_args("run", source)) == 0
    assert main(sandbox_args("run", source)) == 0  # a sandbox run replaces its own results

    assert real.read_bytes() == before
    sandboxed = read_results(tmp_path / "tasks.sandbox.results.csv")
    assert statuses(sandboxed) == {"created": 3}
    assert real_ids.isdisjoint(line["contact_id"] for line in sandboxed)
    assert "Results: " + str(tmp_path / "tasks.sandbox.results.csv") in capsys.readouterr().err

    summary = tmp_path / "summary.json"
    named = sandbox_args("run", source, "--results", str(real), "--summary-json", str(summary))
    assert main(named) == 2

    assert real.read_bytes() == before
    err = capsys.readouterr().err
    refused = "holds the results of a run (its line 2 records a row sent); a sandbox run would"
    assert f"{refused} replace it" in err
    assert "A sandbox run never replaces a real run's results" in err
    assert json.loads(summary.read_text())["api_calls"] == 0


def test_a_sandbox_retry_writes_beside_the_real_results_never_into_them(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(access_denied=True)
    source = write_input(tmp_path / "tasks.csv", task_rows(3))
    assert main(cli_args("run", source, sb, tmp_path)) == 3
    real = tmp_path / "tasks.results.csv"
    before = real.read_bytes()
    assert "created" not in statuses(read_results(real))

    assert main(sandbox_args("retry", real)) == 0

    assert real.read_bytes() == before
    sandboxed = tmp_path / "tasks.sandbox.results.csv"
    assert statuses(read_results(sandboxed)) == {"created": 3}
    assert main(sandbox_args("retry", sandboxed)) == 0  # its own results: retried in place
    assert statuses(read_results(sandboxed)) == {"created": 3}
    capsys.readouterr()

    assert main(sandbox_args("retry", real, "--results", str(real))) == 2

    assert real.read_bytes() == before
    assert "a sandbox run would replace it" in capsys.readouterr().err


def test_a_journal_never_mixes_sandbox_runs_with_real_ones(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A production config's journal given to a sandbox run (or the other way round) would
    record made-up ContactIds as created tasks, and the real run would never send those
    rows."""
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(3))
    real_journal = str(tmp_path / "j.sqlite3")  # the journal cli_args gives the real runs
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    capsys.readouterr()

    assert main(sandbox_args("run", source, "--journal", real_journal)) == 2
    assert "records 1 runs against Amazon Connect" in capsys.readouterr().err
    assert not (tmp_path / "tasks.sandbox.results.csv").exists()

    other = write_input(tmp_path / "other.csv", task_rows(2, start=10))
    sandbox_journal = str(tmp_path / "sandbox.sqlite3")
    assert main(sandbox_args("run", other, "--journal", sandbox_journal)) == 0
    capsys.readouterr()
    real_args = cli_args("run", other, sb, tmp_path)
    real_args[real_args.index(real_journal)] = sandbox_journal

    assert main(real_args) == 2

    assert "records 1 sandbox runs" in capsys.readouterr().err
    assert sb.counters()["created"] == 3
    assert not (tmp_path / "other.results.csv").exists()


def test_a_sandbox_run_never_archives_the_real_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    source = write_input(inbox / "tasks.csv", task_rows(2))
    args = ["--archive-dir", str(archive), "--settle-seconds", "0"]

    assert main(sandbox_args("run", inbox, *args)) == 0

    assert source.exists()
    assert not archive.exists()
    assert "a sandbox run never moves input files" in capsys.readouterr().err
