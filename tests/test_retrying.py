"""retry as a library call against the sandbox: a line fixed in the results file is sent,
created lines are not, the batch continued is named (the command: test_cli_retry.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cli_runs import FLOW, INSTANCE, edit_results, results_of, statuses, task_rows, write_input
from recording import Recorder

from importer.options import RunOptions
from importer.retrying import retry_results
from importer.running import run_inputs
from importer.sandbox import Sandbox


def test_a_line_fixed_in_the_results_file_is_sent_into_the_run_s_batch(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", [*task_rows(2), ["", "no name", "7", "low"]])
    options = RunOptions(instance_id=INSTANCE, contact_flow_id=FLOW, endpoint_url=sb.url)
    first = run_inputs([str(source)], options)
    results = first.files[0].results
    edit_results(Path(results), lambda line: {"Name": "fixed"} if not line["Name"] else None)
    recorder = Recorder()

    summary = retry_results(results, options, reporter=recorder)

    assert summary.exit_code == 0 and summary.files[0].batch_id == "tasks.csv"
    assert summary.files[0].api_calls == 1
    assert statuses(results_of(source)) == {"created": 3}
    assert "Retrying 1 of 3 rows (2 already created)." in recorder.said("info")
    assert recorder.said("info")[3].startswith("Continuing batch 'tasks.csv' (")
    assert sb.counters()["created"] == 3
