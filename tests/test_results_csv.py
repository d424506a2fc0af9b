"""The CSV results file: protected cells, UTF-8 for Excel, input columns as read."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_files import INPUT_COLUMNS, RISKY, outcomes
from results_files import write_results as write
from spreadsheets import read_csv, read_results

from importer.model import Outcome, Status
from importer.results import RESULT_COLUMNS, protect, unprotect


def test_csv_results_content(tmp_path: Path) -> None:
    path = write(tmp_path / "t.results.csv", outcomes())
    header, *lines = read_csv(path)
    assert header == [*RESULT_COLUMNS, *INPUT_COLUMNS]
    assert lines[0] == ["2", "created", "cid-1", "", "", "1", "tok-2", "a", "00042", ""]
    assert lines[1] == [
        "4",
        "invalid",
        "",
        "Validation",
        "Name: too long",
        "",
        "tok-4",
        "'=1+2",
        "'-5",
        "'@x",
    ]
    restored = read_results(path)
    assert [unprotect(restored[1][c]) for c in INPUT_COLUMNS] == ["=1+2", "-5", "@x"]


def test_input_columns_keep_their_order_and_names(tmp_path: Path) -> None:
    columns = ["Zeta", "alpha", "Column C", "Attributes.x"]
    item = Outcome(2, Status.VALID, "t", dict(zip(columns, "1234", strict=True)))
    header, line = read_csv(write(tmp_path / "r.csv", [item], columns))
    assert header[len(RESULT_COLUMNS) :] == columns
    assert line[len(RESULT_COLUMNS) :] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("value", RISKY)
def test_csv_protection_round_trips(value: str) -> None:
    protected = protect(value)
    assert protected.startswith("'")
    assert unprotect(protected) == value


@pytest.mark.parametrize("value", ["plain", "00042", "", "a=b", "1-2", "café"])
def test_csv_protection_leaves_ordinary_text_alone(value: str) -> None:
    assert protect(value) == value
    assert unprotect(protect(value)) == value


def test_csv_results_open_in_excel_as_utf8(tmp_path: Path) -> None:
    item = Outcome(2, Status.VALID, "t", {"Name": "café 日本", "Zip": "", "Notes": ""})
    data = write(tmp_path / "r.csv", [item]).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM makes Excel read UTF-8
    assert "café 日本".encode() in data


def test_csv_results_protect_every_formula_trigger_in_every_column(tmp_path: Path) -> None:
    cells = ["=a", "+a", "-a", "@a", "\ta", "\ra", "'a", "a=", " =a", "", "é", "\n=a"]
    columns = [f"c{index}" for index in range(len(cells))]
    item = Outcome(
        2,
        Status.INVALID,
        "-tok",
        dict(zip(columns, cells, strict=True)),
        contact_id="=cid",
        error_code="@code",
        error_message="+message",
    )
    header, line = read_csv(write(tmp_path / "r.csv", [item], columns))
    assert header == [*RESULT_COLUMNS, *columns]
    assert line == [
        "2",
        "invalid",
        "'=cid",
        "'@code",
        "'+message",
        "",
        "'-tok",
        *(protect(cell) for cell in cells),
    ]
    assert line[len(RESULT_COLUMNS) :][:7] == ["'=a", "'+a", "'-a", "'@a", "'\ta", "'\ra", "''a"]
    assert line[len(RESULT_COLUMNS) :][7:] == ["a=", "' =a", "", "é", "'\n'=a"]


@pytest.mark.parametrize(
    ("value", "protected"),
    [
        ("x;=1+1", "'x;'=1+1"),
        ("x,=1+1", "'x,'=1+1"),
        ("x\t@SUM(A1)", "'x\t'@SUM(A1)"),
        ("a\r\n-1", "'a\r\n'-1"),
        ("x; =1", "'x;' =1"),
        ('x;"=1"', "'x;'\"=1\""),
        ('x; " =1', "'x;' \" =1"),
        ("x;'=1", "'x;''=1"),
        ("x;''=1", "'x;'''=1"),
        ("x;=1;=2", "'x;'=1;'=2"),
        ("=1;=2", "'=1;'=2"),
        (' "=1', "' \"=1"),
    ],
)
def test_csv_protection_covers_every_field_another_separator_would_see(
    value: str, protected: str
) -> None:
    # A reader that splits at ';' (or ',', tab, a line break) sees a field start after each.
    assert protect(value) == protected
    assert unprotect(protected) == value


@pytest.mark.parametrize(
    "value", ["a;b", "x;'quoted", "x; '=1", "1,5;2,5", "café;\tthé", "x;a=1", "it's -1"]
)
def test_csv_protection_leaves_separators_without_a_formula_after_them_alone(value: str) -> None:
    assert protect(value) == value
    assert unprotect(value) == value


def test_csv_results_missing_input_value_is_empty(tmp_path: Path) -> None:
    item = Outcome(3, Status.VALID, "t", {"Name": "a"}, attempts=2)
    _, line = read_csv(write(tmp_path / "r.csv", [item]))
    assert line == ["3", "valid", "", "", "", "2", "t", "a", "", ""]
