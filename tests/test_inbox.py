"""Which files a run reads: named files, folders and globs (an inbox), and the inbox files
left for the next run (results files, Excel's owner files, files still being written,
symbolic links that lead nowhere)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import cli_args, task_rows, validate_args, write_input

from importer.cli import main
from importer.inbox import InputFile, excel_owner_file, find_inputs
from importer.locations import S3
from importer.sandbox import Sandbox


def no_s3() -> S3:
    raise AssertionError("no S3 location was named")


def test_a_file_open_in_excel_or_still_growing_is_left_for_the_next_run(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "ready.csv", task_rows(2))
    write_input(inbox / "open.csv", task_rows(2, start=10))
    (inbox / "~$open.csv").write_bytes(b"owner")
    growing = write_input(inbox / "growing.csv", task_rows(2, start=20))
    stop = threading.Event()

    def keep_writing() -> None:
        with growing.open("a", encoding="utf-8") as out:
            while not stop.is_set():
                out.write("Task x,more,1,low\n")
                out.flush()
                time.sleep(0.02)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        args = cli_args("run", inbox, sb, tmp_path, "--settle-seconds", "1")
        assert main(args) == 0
    finally:
        stop.set()
        writer.join()

    assert len(sb.tasks()) == 2
    assert (inbox / "ready.results.csv").exists()
    assert not (inbox / "open.results.csv").exists()
    assert not (inbox / "growing.results.csv").exists()
    err = capsys.readouterr().err
    assert "open.csv: open in Excel since " in err
    assert "(~$open.csv beside it; if nobody has it open, delete that file)" in err
    assert "growing.csv: still being written" in err


def test_symbolic_links_that_lead_nowhere_are_named_and_the_rest_is_sent(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "ready.csv", task_rows(2))
    try:
        os.symlink(tmp_path / "gone.csv", inbox / "dangling.csv")
        os.symlink(inbox / "loop.csv", inbox / "loop.csv")
    except (OSError, NotImplementedError) as error:
        pytest.skip(f"symbolic links cannot be made here: {error}")
    sb = sandbox()

    assert main(cli_args("run", inbox, sb, tmp_path, "--settle-seconds", "0")) == 0

    err = capsys.readouterr().err
    for name in ("dangling.csv", "loop.csv"):
        assert (
            f"Skipped {inbox / name}: a symbolic link that leads nowhere: a loop or a missing "
            "target"
        ) in err
    assert len(sb.tasks()) == 2
    assert main([*validate_args(inbox), "--results-dir", str(tmp_path / "checked")]) == 0
    assert "a symbolic link that leads nowhere" in capsys.readouterr().err


def test_a_folder_passes_over_results_hidden_and_owner_files_and_other_types(
    tmp_path: Path,
) -> None:
    names = ["b.csv", "a.XLSX", "a.results.csv", ".hidden.csv", "~$a.XLSX", "notes.txt", "c.ods"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.csv").mkdir()

    found = find_inputs([str(tmp_path)], no_s3, settle_seconds=0)

    assert [item.location for item in found.inputs] == [
        str(tmp_path / "b.csv"),
        str(tmp_path / "c.ods"),
    ]
    assert all(item.from_inbox for item in found.inputs)
    ((location, why),) = found.skipped  # a.XLSX is open in Excel: its ~$ file is beside it
    assert location == str(tmp_path / "a.XLSX")
    assert why.startswith("open in Excel since ") and "(~$a.XLSX beside it;" in why


def test_named_files_are_read_even_missing_and_each_file_once(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"x")
    (tmp_path / "b.csv").write_bytes(b"x")
    specs = [str(tmp_path / "absent.csv"), str(tmp_path / "*.csv"), str(tmp_path / "a.csv")]

    found = find_inputs(specs, no_s3, settle_seconds=0)

    assert found.inputs == [
        InputFile(str(tmp_path / "absent.csv"), from_inbox=False),
        InputFile(str(tmp_path / "a.csv"), from_inbox=True),
        InputFile(str(tmp_path / "b.csv"), from_inbox=True),
    ]


def test_excels_owner_file_is_found_for_short_and_long_names(tmp_path: Path) -> None:
    short, long = tmp_path / "tasks.xlsx", tmp_path / "march-tasks-for-the-team.xlsx"
    assert excel_owner_file(short) is None
    (tmp_path / "~$tasks.xlsx").write_bytes(b"owner")
    (tmp_path / "~$rch-tasks-for-the-team.xlsx").write_bytes(b"owner")
    assert excel_owner_file(short) == tmp_path / "~$tasks.xlsx"
    assert excel_owner_file(long) == tmp_path / "~$rch-tasks-for-the-team.xlsx"


def test_results_files_are_passed_over_by_name_also_the_copy_beside_one_open_in_excel(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = ["tasks.csv", "tasks.results.csv", "tasks.results (1).xlsx", "t.sandbox.results.csv"]
    for name in names:
        (inbox / name).write_text("Name\nx\n", encoding="utf-8")

    found = find_inputs([str(inbox)], no_s3, settle_seconds=0)

    assert [Path(item.location).name for item in found.inputs] == ["tasks.csv"]
