"""The files a run writes: a path that cannot be one is refused before anything is sent,
results and summaries are as readable as any other file there (umask, or the mode of the
file they replace), and a results file open in Excel is left as it is, the new results
written beside it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import (
    FLOW,
    HEADER,
    WAIT_S,
    after_header,
    cli_args,
    log_messages,
    statuses,
    task_rows,
    write_input,
)
from spreadsheets import open_in_excel, read_results, write_xlsx

from importer.cli import main
from importer.sandbox import Sandbox


@pytest.mark.parametrize("option", ["--results", "--summary-json"])
def test_an_output_path_that_is_a_folder_stops_the_run_before_anything_is_sent(
    option: str,
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(3))
    folder = tmp_path / "out.csv"
    folder.mkdir()
    capsys.readouterr()

    assert main(cli_args("run", source, sb, tmp_path, option, str(folder))) == 2

    err = capsys.readouterr().err
    assert len(after_header(log_messages(err))) == 1, err
    assert "folder" in err
    assert sb.counters()["requests"] == 0
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_a_results_dir_that_is_a_file_stops_the_run_before_anything_is_sent(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(3))
    a_file = tmp_path / "results"
    a_file.write_text("not a folder")
    capsys.readouterr()

    assert main(cli_args("run", source, sb, tmp_path, "--results-dir", str(a_file))) == 2

    err = capsys.readouterr().err
    assert len(after_header(log_messages(err))) == 1, err
    assert f"--results-dir {a_file} is a file" in err
    assert sb.counters()["requests"] == 0
    assert a_file.read_text() == "not a folder"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_results_and_summary_files_follow_the_umask_or_keep_the_mode_they_replace(
    tmp_path: Path,
) -> None:
    # In a child process: the umask is the process's, and read once.
    source = write_input(tmp_path / "tasks.csv", task_rows(2))
    results = tmp_path / "tasks.sandbox.results.csv"

    def run(umask: int, summary: Path) -> None:
        command = [sys.executable, "-m", "importer", "run", str(source), "--sandbox"]
        command += ["--contact-flow-id", FLOW, "--no-progress", "--summary-json", str(summary)]
        done = subprocess.run(
            command, cwd=tmp_path, umask=umask, capture_output=True, text=True, timeout=WAIT_S
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(summary.read_text())["exit_code"] == 0

    run(0o022, tmp_path / "first.json")
    assert _mode(results) == 0o644
    assert _mode(tmp_path / "first.json") == 0o644

    results.chmod(0o664)
    (tmp_path / "first.json").chmod(0o640)
    run(0o007, tmp_path / "first.json")
    run(0o007, tmp_path / "second.json")

    assert _mode(results) == 0o664
    assert _mode(tmp_path / "first.json") == 0o640
    assert _mode(tmp_path / "second.json") == 0o660


def test_a_results_file_open_in_excel_stays_and_the_new_results_go_beside_it(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sb = sandbox()
    source = write_xlsx(tmp_path / "tasks.xlsx", [HEADER, *task_rows(4)])
    args = cli_args("run", source, sb, tmp_path)
    assert main(args) == 0
    results = tmp_path / "tasks.results.xlsx"
    earlier = results.read_bytes()

    open_in_excel(monkeypatch, results)
    write_xlsx(source, [HEADER, *task_rows(6)])  # two rows added for the next run
    capsys.readouterr()
    assert main(args) == 0

    first_copy = tmp_path / "tasks.results (1).xlsx"
    err = capsys.readouterr().err
    assert f"results file {results} cannot be replaced: it is open in another program" in err
    assert f"These results are in {first_copy} beside it" in err
    assert results.read_bytes() == earlier
    assert statuses(read_results(first_copy)) == {"already_created": 4, "created": 2}
    assert sb.counters()["created"] == 6

    assert main(args) == 0  # still open: the next run takes the next free name
    second_copy = tmp_path / "tasks.results (2).xlsx"
    assert statuses(read_results(second_copy)) == {"already_created": 6}
    assert statuses(read_results(first_copy)) == {"already_created": 4, "created": 2}
    assert results.read_bytes() == earlier


def test_the_summary_and_the_results_line_name_the_file_written_beside_one_open_in_excel(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sb = sandbox()
    source = write_xlsx(tmp_path / "tasks.xlsx", [HEADER, *task_rows(2)])
    results, summary = tmp_path / "tasks.results.xlsx", tmp_path / "summary.json"
    args = cli_args("run", source, sb, tmp_path, "--summary-json", str(summary))
    assert main(args) == 0
    open_in_excel(monkeypatch, results)
    capsys.readouterr()

    assert main(args) == 0

    written = tmp_path / "tasks.results (1).xlsx"
    assert f"Results: {written}" in capsys.readouterr().err
    assert json.loads(summary.read_text())["results"] == [str(written)]
