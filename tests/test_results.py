"""Writing a results file: text only, never formulas, written atomically or not at all."""

from __future__ import annotations

import gc
import sys
import tempfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from results_files import INPUT_COLUMNS, RISKY, outcomes
from results_files import write_results as write
from spreadsheets import read_results

from importer.errors import UsageError
from importer.model import Outcome, Status
from importer.results import RESULT_COLUMNS, ResultsWriter


def test_xlsx_results_are_all_text_and_never_formulas(tmp_path: Path) -> None:
    risky = Outcome(2, Status.VALID, "tok", {"Name": RISKY[0], "Zip": "00042", "Notes": RISKY[4]})
    risky.error_message = "=cmd|' /C calc'!A0"
    path = write(tmp_path / "r.xlsx", [risky, *outcomes()])
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == [*RESULT_COLUMNS, *INPUT_COLUMNS]
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if cell.value is not None:
                assert cell.data_type in ("s", "inlineStr"), (cell.coordinate, cell.data_type)
    values = [[cell.value or "" for cell in row] for row in rows[1:]]
    # in xlsx the values are stored verbatim (text cells need no ' prefix)
    assert values[0][:7] == ["2", "valid", "", "", "=cmd|' /C calc'!A0", "", "tok"]
    assert values[0][7:] == ["=1+2", "00042", '=HYPERLINK("http://x")']
    assert values[2][7:] == ["=1+2", "-5", "@x"]


def test_results_commit_replaces_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("old results\n", encoding="utf-8")
    write(path, outcomes())
    assert len(read_results(path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_aborted_writer_leaves_the_previous_file_and_no_temp_files(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"r{suffix}"
    path.write_bytes(b"previous results")
    with pytest.raises(RuntimeError, match="crash"), ResultsWriter(path, INPUT_COLUMNS) as writer:
        writer.write(outcomes()[0])
        raise RuntimeError("crash")
    assert path.read_bytes() == b"previous results"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_explicit_abort_leaves_nothing_behind(tmp_path: Path) -> None:
    writer = ResultsWriter(tmp_path / "new.csv", INPUT_COLUMNS)
    writer.write(outcomes()[0])
    assert len(list(tmp_path.iterdir())) == 1  # only the temporary file, under another name
    assert not (tmp_path / "new.csv").exists()
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_results_directory_is_created(tmp_path: Path) -> None:
    path = write(tmp_path / "out" / "deeper" / "r.csv", outcomes())
    assert path.exists()


@pytest.mark.parametrize("name", ["r.txt", "r.xls", "r"])
def test_unsupported_results_suffix_is_a_usage_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError, match=r"\.csv or \.xlsx"):
        ResultsWriter(tmp_path / name, INPUT_COLUMNS)
    assert list(tmp_path.iterdir()) == []


def test_aborted_xlsx_writer_cleans_up_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An abort must close the workbook writer's scratch files and remove them, and leave
    # nothing to the garbage collector ("Exception ignored in ..." tracebacks).
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    results = tmp_path / "results"
    writer = ResultsWriter(results / "r.xlsx", INPUT_COLUMNS)
    writer.write(outcomes()[0])
    assert list(scratch.iterdir()) != []  # the rows so far
    writer.abort()
    del writer
    gc.collect()
    assert unraisable == []
    assert list(scratch.iterdir()) == []
    assert list(results.iterdir()) == []


def test_more_lines_than_a_workbook_holds_is_a_usage_error_and_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Excel's 1,048,576 rows, made 1 + 2 here: the third line must not be dropped quietly.
    from importer.results.workbook import ResultsWorkbook

    monkeypatch.setattr(ResultsWorkbook, "max_lines", 2)
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"previous results")
    many = [Outcome(n, Status.VALID, f"t{n}", {"Name": "a"}) for n in range(2, 5)]

    with pytest.raises(UsageError, match=r"r\.xlsx: a workbook holds 2 lines.*--results r\.csv"):
        write(path, many, ["Name"])

    assert path.read_bytes() == b"previous results"
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]
    assert len(read_results(write(tmp_path / "r.csv", many, ["Name"]))) == 3  # CSV: no limit
