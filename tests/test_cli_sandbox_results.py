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
    assert "holds the results of a run (3 rows sent); a sandbox run would replace it" in err
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
