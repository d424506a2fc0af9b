"""Names that differ only in case are one file on Windows and macOS: a run refuses them as
one results file (or as the input itself) on every OS, before anything is sent, rather than
overwrite one file's results with another's there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import cli_args, task_rows, validate_args, write_input

from importer.cli import main
from importer.errors import UsageError
from importer.results import results_path_for
from importer.sandbox import Sandbox

CASE = "names that differ only in case are one file on Windows and macOS"


def _case_sensitive(folder: Path) -> bool:
    probe = folder / "Probe"
    probe.write_text("")
    try:
        return not (folder / "probe").exists()
    finally:
        probe.unlink()


@pytest.mark.parametrize(
    ("first_name", "second_name"),
    [("a/tasks.csv", "b/tasks.csv"), ("monday/Tasks.csv", "tuesday/tasks.csv")],
    ids=["same name", "names differing only in case"],
)
def test_inputs_whose_results_would_overwrite_each_other_send_nothing(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    first_name: str,
    second_name: str,
) -> None:
    """Names that differ only in case are one file on Windows and macOS: refused on every OS."""
    sb = sandbox()
    first, second = tmp_path / first_name, tmp_path / second_name
    for path in (first, second):
        path.parent.mkdir()
    write_input(first, task_rows(2))
    write_input(second, task_rows(2, start=5))
    args = cli_args("run", first, sb, tmp_path, "--results-dir", str(tmp_path / "out"))
    args.insert(2, str(second))

    assert main(args) == 2

    err = capsys.readouterr().err
    assert f"{first} and {second} would both write their results to" in err
    assert (CASE in err) == (first.name != second.name)
    assert sb.counters()["requests"] == 0


def test_two_inputs_in_one_folder_differing_only_in_case_send_nothing(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not _case_sensitive(tmp_path):
        pytest.skip("this file system cannot hold Tasks.csv beside tasks.csv")
    sb = sandbox()
    first = write_input(tmp_path / "Tasks.csv", task_rows(2))
    second = write_input(tmp_path / "tasks.csv", task_rows(2, start=5))
    args = cli_args("run", first, sb, tmp_path)
    args.insert(2, str(second))

    assert main(args) == 2

    err = capsys.readouterr().err
    assert "would both write their results to" in err and CASE in err
    assert sb.counters()["requests"] == 0
    assert sorted(p.name for p in tmp_path.glob("*.results.*")) == []


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_results_file_named_as_the_input_in_other_case_is_refused(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(2))
    before = source.read_bytes()
    results = tmp_path / "TASKS.csv"
    args = cli_args("run", source, sb, tmp_path) if command == "run" else validate_args(source)

    assert main([*args, "--results", str(results)]) == 2

    err = capsys.readouterr().err
    assert f"results file {results} is the input file ({CASE})" in err
    assert source.read_bytes() == before
    assert sb.counters()["requests"] == 0


def test_the_library_refuses_a_results_path_that_is_the_input_in_other_case(
    tmp_path: Path,
) -> None:
    source = tmp_path / "Tasks.xlsx"

    with pytest.raises(UsageError, match="differ only in case"):
        results_path_for(source, tmp_path / "tasks.XLSX")
    assert results_path_for(source, None) == tmp_path / "Tasks.results.xlsx"
