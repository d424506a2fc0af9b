"""The results file: fixed columns, input columns as read, text only, written atomically."""

from __future__ import annotations

import csv
import gc
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from spreadsheets import read_csv, read_results

from importer.errors import InputFileError, UsageError
from importer.model import Outcome, Status
from importer.results import (
    RESULT_COLUMNS,
    ResultsWriter,
    default_results_path,
    protect,
    results_path_for,
    unprotect,
)
from importer.results import read_results as read_back

INPUT_COLUMNS = ["Name", "Zip", "Notes"]
RISKY = ["=1+2", "+44 20 7946 0000", "-5", "@SUM(A1:A2)", '=HYPERLINK("http://x")', "'quoted"]


def outcomes() -> list[Outcome]:
    return [
        Outcome(
            2,
            Status.CREATED,
            "tok-2",
            {"Name": "a", "Zip": "00042", "Notes": ""},
            "cid-1",
            attempts=1,
        ),
        Outcome(
            4,
            Status.INVALID,
            "tok-4",
            {"Name": "=1+2", "Zip": "-5", "Notes": "@x"},
            error_code="Validation",
            error_message="Name: too long",
        ),
    ]


def write(path: Path, items: list[Outcome], columns: list[str] = INPUT_COLUMNS) -> Path:
    with ResultsWriter(path, columns) as writer:
        for item in items:
            writer.write(item)
    return path


def test_result_columns_then_input_columns() -> None:
    assert RESULT_COLUMNS == (
        "row",
        "status",
        "contact_id",
        "error_code",
        "error_message",
        "attempts",
        "client_token",
    )


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


def test_default_results_path_is_beside_the_input(tmp_path: Path) -> None:
    assert (
        default_results_path(tmp_path / "in" / "tasks.csv") == tmp_path / "in" / "tasks.results.csv"
    )
    assert default_results_path("march.tasks.csv") == Path("march.tasks.results.csv")


@pytest.mark.parametrize("name", ["tasks.xlsx", "tasks.XLSM", "tasks.xls", "tasks.ods"])
def test_spreadsheet_input_gets_a_results_workbook(tmp_path: Path, name: str) -> None:
    assert default_results_path(tmp_path / name) == tmp_path / "tasks.results.xlsx"


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


def test_csv_results_open_in_excel_as_utf8(tmp_path: Path) -> None:
    item = Outcome(2, Status.VALID, "t", {"Name": "café 日本", "Zip": "", "Notes": ""})
    data = write(tmp_path / "r.csv", [item]).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM makes Excel read UTF-8
    assert "café 日本".encode() in data


def test_aborted_xlsx_writer_cleans_up_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An abort must not leave openpyxl's streaming writer to the garbage collector: that
    # prints "Exception ignored in ..." tracebacks and keeps a scratch file until exit.
    from openpyxl.worksheet import _writer

    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    before = set(_writer.ALL_TEMP_FILES)
    writer = ResultsWriter(tmp_path / "r.xlsx", INPUT_COLUMNS)
    writer.write(outcomes()[0])
    writer.abort()
    del writer
    gc.collect()
    assert unraisable == []
    leftovers = [p for p in _writer.ALL_TEMP_FILES if p not in before and Path(p).exists()]
    assert leftovers == []
    assert list(tmp_path.iterdir()) == []


def test_results_path_never_replaces_the_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "tasks.csv"
    assert results_path_for(source, None) == tmp_path / "tasks.results.csv"
    assert results_path_for(source, tmp_path / "out.xlsx") == tmp_path / "out.xlsx"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="is the input file"):
        results_path_for(source, "tasks.csv")  # the same file, named relatively


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


# --- input columns named like results columns --------------------------------------------

CRM_COLUMNS = ["Name", "Status", "row", "Contact_ID", "attempts"]


def crm_outcomes() -> list[Outcome]:
    """A CRM export's rows: its own Status, row and contact id columns."""
    values = {"Name": "a", "Status": "open", "row": "17", "Contact_ID": "crm-1", "attempts": "4"}
    return [
        Outcome(5, Status.FAILED, "tok-5", values, error_code="X", error_message="boom"),
        Outcome(
            6,
            Status.CREATED,
            "tok-6",
            {**values, "Status": "closed", "row": ""},
            contact_id="cid-6",
            attempts=1,
        ),
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_input_columns_named_like_results_columns_are_read_as_input(
    tmp_path: Path, suffix: str
) -> None:
    items = crm_outcomes()
    path = write(tmp_path / f"r{suffix}", items, CRM_COLUMNS)

    input_columns, lines = read_back(path)

    assert input_columns == CRM_COLUMNS
    assert [
        (line.row, line.status, line.contact_id, line.attempts, line.client_token) for line in lines
    ] == [(5, "failed", "", 0, "tok-5"), (6, "created", "cid-6", 1, "tok-6")]
    assert [line.values for line in lines] == [item.values for item in items]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_edited_input_status_cell_is_input_not_the_rows_status(
    tmp_path: Path, suffix: str
) -> None:
    path = write(tmp_path / f"r{suffix}", crm_outcomes(), CRM_COLUMNS)
    input_status = len(RESULT_COLUMNS) + CRM_COLUMNS.index("Status")
    if suffix == ".xlsx":
        workbook = load_workbook(path)
        workbook["Results"].cell(2, input_status + 1).value = "escalated"
        workbook.save(path)
    else:
        header, *lines = read_csv(path)
        lines[0][input_status] = "escalated"
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            csv.writer(stream).writerows([header, *lines])

    _, (edited, _) = read_back(path)

    assert edited.status == "failed"
    assert edited.values["Status"] == "escalated"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_two_input_columns_with_one_name_are_still_refused(tmp_path: Path, suffix: str) -> None:
    item = Outcome(2, Status.FAILED, "t", {"Name": "a", "NAME": "b"})
    path = write(tmp_path / f"r{suffix}", [item], ["Name", "NAME"])

    with pytest.raises(InputFileError, match="columns H and I both have the header 'NAME'"):
        read_back(path)
