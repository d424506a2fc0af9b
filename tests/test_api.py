"""The rule of thumb: a notebook runs, retries and undoes a batch in a few lines of Python,
without argparse, against Amazon Connect (here the sandbox, found by endpoint URL)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import FLOW, INSTANCE, results_of, statuses, task_rows, tasks_by_token, write_input

from importer.sandbox import Sandbox, defaults


def test_a_notebook_runs_retries_and_undoes_a_batch_in_five_lines(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(access_denied=True)  # the role may not create tasks yet...
    source = write_input(tmp_path / "tasks.csv", task_rows(3))

    from importer import api

    options = api.RunOptions(instance_id=INSTANCE, contact_flow_id=FLOW, endpoint_url=sb.url)
    first = api.run(source, options)
    sb.configure(access_denied=False)  # ...until someone fixes its policy
    retried = api.retry(first.files[0].results, options)
    undone = api.undo(first.files[0].results, options)

    assert first.exit_code == 3 and first.counts()["created"] == 0
    assert (retried.exit_code, retried.counts()["created"]) == (0, 3)
    assert (undone.exit_code, undone.counts()["stopped"]) == (0, 3)
    assert statuses(results_of(source)) == {"stopped": 3}
    assert len(tasks_by_token(sb)) == 3
    assert {task["State"] for task in sb.tasks()} == {"stopped"}
    assert [run["command"] for run in api.history().records] == ["undo", "retry", "run"]


def test_validate_and_check_are_a_line_each(
    sandbox: Callable[..., Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sb.url)
    source = write_input(tmp_path / "tasks.csv", [*task_rows(2), ["", "no name", "1", "low"]])

    from importer import api

    options = api.RunOptions(instance_id=INSTANCE, contact_flow_id=FLOW, endpoint_url=sb.url)
    validation = api.validate([source], options)
    checked = api.check(source, options)

    assert validation.exit_code == 1 and validation.files[0].invalid == 1
    assert statuses(results_of(source)) == {"valid": 2, "invalid": 1}
    assert checked.exit_code == 0 and checked.report.caller_arn == defaults.CALLER_ARN
    assert len(checked.report.checks) == 3, "the caller, the instance, the flow"
