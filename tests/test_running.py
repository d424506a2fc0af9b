"""run as a library call against the sandbox: files read one by one, what the user is told,
a stop from outside, archiving (the command: test_cli_run.py, test_cli_schedule.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cli_runs import FLOW, INSTANCE, results_of, statuses, task_rows, write_input
from recording import Recorder

from importer.exitcodes import ExitCode
from importer.options import RunOptions
from importer.running import run_inputs
from importer.sandbox import Sandbox
from importer.sending import Stop


def options(sb: Sandbox, **more: object) -> RunOptions:
    return RunOptions(
        instance_id=INSTANCE,
        contact_flow_id=FLOW,
        endpoint_url=sb.url,
        **more,  # type: ignore[arg-type]
    )


def test_each_file_is_its_own_batch_and_an_unreadable_one_does_not_stop_the_others(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    first = write_input(tmp_path / "first.csv", task_rows(2))
    absent = tmp_path / "absent.csv"
    recorder = Recorder()

    summary = run_inputs([str(first), str(absent)], options(sb), reporter=recorder)

    assert summary.exit_code == ExitCode.ROWS_FAILED
    assert [(f.input, f.batch_id, f.exit_code) for f in summary.files] == [
        (str(first), "first.csv", 0),
        (str(absent), "", 2),
    ]
    assert statuses(results_of(first)) == {"created": 2}
    assert recorder.said("error") == [f"{absent}: no such file"]
    assert f"Input: {first}" in recorder.said("info")


def test_a_stop_asked_for_before_sending_leaves_every_row_and_file_for_the_next_run(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    first = write_input(tmp_path / "first.csv", task_rows(2))
    second = write_input(tmp_path / "second.csv", task_rows(2, start=2))
    stop = Stop()
    stop.request("told to stop")

    summary = run_inputs([str(first), str(second)], options(sb), stop=stop)

    assert summary.exit_code == 3 and summary.reason.startswith("stopped early: told to stop")
    assert statuses(results_of(first)) == {"not_attempted": 2}
    assert summary.skipped == [
        {"input": str(second), "reason": "not started: the run stopped early"}
    ]
    assert sb.counters()["requests"] == 0


def test_a_file_whose_rows_were_all_created_is_archived_but_never_from_a_sandbox_run(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(2))
    archive = tmp_path / "archive"
    recorder = Recorder()

    pretend = run_inputs(
        [str(source)], options(sb, archive_dir=archive, sandbox=True), reporter=recorder
    )
    assert source.exists() and pretend.files[0].archived_to == ""
    assert recorder.said("warning")[0].startswith("a sandbox run never moves input files")

    summary = run_inputs([str(source)], options(sb, archive_dir=archive))
    assert summary.files[0].archived_to == str(archive / "tasks.csv")
    assert not source.exists() and (archive / "tasks.results.csv").exists()
