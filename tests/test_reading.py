"""Reading CSV and Excel files: every cell as typed, Excel row numbers, one-line file errors."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest
from spreadsheets import write_csv, write_xlsx

from importer.errors import InputFileError
from importer.reading import cell_text, column_letter, open_table


def rows_of(path: Path, sheet: str | None = None) -> list[tuple[int, dict[str, str]]]:
    table = open_table(path, sheet)
    return [(row.number, row.values) for row in table.rows]


# --- Excel: values as typed -----------------------------------------------------------------


def test_xlsx_cells_come_out_as_typed(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "typed.xlsx",
        [
            ["Text", "Integer", "Float", "Empty", "Date", "DateTime", "Bool", "Negative"],
            [
                "00042",
                12345,
                1.5,
                None,
                dt.date(2026, 3, 28),
                dt.datetime(2026, 3, 28, 9, 30),
                True,
                -2.25,
            ],
            [
                "x",
                0,
                0.1,
                "",
                dt.datetime(2026, 3, 28),
                dt.datetime(2026, 3, 28, 9, 30, 15),
                False,
                -7,
            ],
        ],
    )
    assert rows_of(path) == [
        (
            2,
            {
                "Text": "00042",
                "Integer": "12345",
                "Float": "1.5",
                "Empty": "",
                "Date": "2026-03-28",
                "DateTime": "2026-03-28 09:30:00",
                "Bool": "TRUE",
                "Negative": "-2.25",
            },
        ),
        (
            3,
            {
                "Text": "x",
                "Integer": "0",
                "Float": "0.1",
                "Empty": "",
                "Date": "2026-03-28",
                "DateTime": "2026-03-28 09:30:15",
                "Bool": "FALSE",
                "Negative": "-7",
            },
        ),
    ]


@pytest.mark.parametrize("text", ["NA", "N/A", "n/a", "null", "NULL", "None", "nan", "NaN", "-nan"])
def test_xlsx_text_that_pandas_would_call_missing_is_kept(tmp_path: Path, text: str) -> None:
    # pandas' default NA strings must not turn a typed word into an empty cell.
    path = write_xlsx(tmp_path / "na.xlsx", [["Name", "Description"], ["Task", text]])
    assert rows_of(path) == [(2, {"Name": "Task", "Description": text})]


def test_xlsx_text_looking_like_a_formula_is_read_as_text(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "f.xlsx", [["Name", "Description"], ["Task", "=1+2"]])
    assert rows_of(path) == [(2, {"Name": "Task", "Description": "=1+2"})]


def test_xlsx_non_string_values_never_show_float_artifacts() -> None:
    assert cell_text(12345.0) == "12345"
    assert cell_text(float("nan")) == ""
    assert cell_text(None) == ""
    assert cell_text(True) == "TRUE"
    assert cell_text(dt.time(9, 30)) == "09:30:00"


# --- Excel: sheets --------------------------------------------------------------------------


def test_xlsx_default_is_the_first_visible_sheet(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "sheets.xlsx",
        [["Name"], ["from visible"]],
        sheet="Visible",
        hidden_first={"Secret": [["Name"], ["from hidden"]]},
        more_sheets={"Later": [["Name"], ["from later"]]},
    )
    table = open_table(path)
    assert table.sheet == "Visible"
    assert [row.values for row in table.rows] == [{"Name": "from visible"}]


def test_xlsx_sheet_option_picks_that_sheet(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "sheets.xlsx",
        [["Name"], ["first"]],
        more_sheets={"Second": [["Name", "Extra"], ["second", "x"]]},
    )
    assert rows_of(path, sheet="Second") == [(2, {"Name": "second", "Extra": "x"})]
    assert "Second" in open_table(path, "Second").label


def test_xlsx_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "s.xlsx", [["Name"]], more_sheets={"Other": [["Name"]]})
    with pytest.raises(InputFileError) as caught:
        open_table(path, sheet="Nope")
    message = str(caught.value)
    assert "'Nope'" in message
    assert "'Tasks'" in message
    assert "'Other'" in message
    assert "\n" not in message


# --- Excel: row numbers ---------------------------------------------------------------------


def test_xlsx_row_numbers_are_excels_and_blank_rows_still_count(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "rows.xlsx",
        [["Name"], ["first"], [], [None], ["after blank"], ["last"]],
    )
    assert rows_of(path) == [
        (2, {"Name": "first"}),
        (5, {"Name": "after blank"}),
        (6, {"Name": "last"}),
    ]


def test_xlsx_header_below_row_1_keeps_true_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "low.xlsx",
        [[], [], ["Name", "Description"], ["a", "b"], [], ["c", "d"]],
    )
    table = open_table(path)
    assert table.columns == ["Name", "Description"]
    assert [(row.number, row.values["Name"]) for row in table.rows] == [(4, "a"), (6, "c")]


def test_xlsx_header_on_row_3_from_column_b_keeps_rows_and_columns(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "offset.xlsx",
        [
            [],
            [],
            [None, "Name", "Description"],
            [None, "a", 1.0],
            [],
            [None, "c", dt.date(2026, 3, 28)],
            [None, None, None, "stray"],
        ],
    )
    table = open_table(path)
    assert table.columns == ["Column A", "Name", "Description"]
    assert [(row.number, row.values, row.overflow) for row in table.rows] == [
        (4, {"Column A": "", "Name": "a", "Description": "1"}, []),
        (6, {"Column A": "", "Name": "c", "Description": "2026-03-28"}, []),
        (7, {"Column A": "", "Name": "", "Description": ""}, ["D"]),
    ]


def test_xlsx_data_only_in_a_later_column_keeps_its_letter(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "late.xlsx", [[], [None, None, "Name"], [None, None, "x"]])
    table = open_table(path)
    assert table.columns == ["Column A", "Column B", "Name"]
    assert [(row.number, row.values["Name"]) for row in table.rows] == [(3, "x")]


def test_xlsx_numbers_dates_and_durations_as_before(tmp_path: Path) -> None:
    values = [
        1e20,
        2.0**53,
        -0.0,
        1e16,
        0.25,
        -7.0,
        dt.datetime(2026, 3, 28, 0, 0),
        dt.datetime(2026, 3, 28, 9, 30, 15, 600000),
        dt.time(9, 30, 15, 500000),
        dt.timedelta(hours=30, minutes=5),
        False,
        " spaced ",
    ]
    header = [f"c{index}" for index in range(len(values))]
    path = write_xlsx(tmp_path / "n.xlsx", [header, values])
    (row,) = open_table(path).rows
    assert list(row.values.values()) == [
        "100000000000000000000",
        "9007199254740992",
        "0",
        "10000000000000000",
        "0.25",
        "-7",
        "2026-03-28",
        "2026-03-28 09:30:15",
        "09:30:15.500000",
        "1 day, 6:05:00",
        "FALSE",
        " spaced ",
    ]


def test_xlsx_error_and_uncached_formula_cells_are_empty_and_flagged(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Error", "Formula"])
    sheet.append(["a", None, "=1+2"])
    sheet["B2"].value = "#DIV/0!"
    sheet["B2"].data_type = "e"
    path = tmp_path / "e.xlsx"
    workbook.save(path)
    (row,) = open_table(path).rows
    assert row.values == {"Name": "a", "Error": "", "Formula": ""}
    assert [(problem.column, problem.message[:12]) for problem in row.problems] == [
        ("Error", "cell B2 show"),
        ("Formula", "cell C2 hold"),
    ]


def test_xlsx_single_column_blank_rows_and_whitespace_cells(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "one.xlsx", [["Name"], [" "], [], ["x"], ["\t"]])
    assert rows_of(path) == [(4, {"Name": "x"})]


def test_xlsm_is_read(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "macro.xlsm", [["Name", "Zip"], ["Task", "00042"]])
    assert rows_of(path) == [(2, {"Name": "Task", "Zip": "00042"})]


# --- Excel: header problems -----------------------------------------------------------------


def test_xlsx_duplicate_headers_name_both_columns(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "dup.xlsx", [["Name", "Description", "name"], ["a", "b", "c"]])
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    message = str(caught.value)
    assert "columns A and C" in message
    assert "\n" not in message


def test_xlsx_blank_header_cell_is_named_after_its_column(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "blank.xlsx", [["Name", "Description", None, "Zip"], ["a", "b", "c", "d"]]
    )
    table = open_table(path)
    assert table.columns == ["Name", "Description", "Column C", "Zip"]
    assert next(table.rows).values["Column C"] == "c"


def test_xlsx_value_beyond_the_header_is_reported_as_overflow(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "wide.xlsx", [["Name", "Description"], ["a", "b", None, "stray"]])
    (row,) = open_table(path).rows
    assert row.values == {"Name": "a", "Description": "b"}
    assert row.overflow == ["D"]


def test_xlsx_empty_sheet_is_an_input_error(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "empty.xlsx", [])
    with pytest.raises(InputFileError, match="empty"):
        open_table(path)


def test_file_that_is_not_a_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("Name,Description\na,b\n")
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    assert "\n" not in str(caught.value)
    assert "fake.xlsx" in str(caught.value)


# --- CSV: encodings -------------------------------------------------------------------------


def test_csv_utf8(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "u.csv", [["Name", "Zip"], ["café 日本", "00042"]])
    table = open_table(path)
    assert table.encoding == "utf-8"
    assert table.warnings == []
    assert [row.values for row in table.rows] == [{"Name": "café 日本", "Zip": "00042"}]


def test_csv_utf8_with_bom_does_not_leak_into_the_first_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bom.csv", [["Name", "Zip"], ["café", "007"]], bom=True)
    table = open_table(path)
    assert table.columns == ["Name", "Zip"]
    assert table.warnings == []
    assert [row.values for row in table.rows] == [{"Name": "café", "Zip": "007"}]


def test_csv_cp1252_falls_back_with_a_warning(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "win.csv", [["Name", "Price"], ["café", "5 €"]], encoding="cp1252")
    table = open_table(path)
    assert table.encoding == "cp1252"
    assert [row.values for row in table.rows] == [{"Name": "café", "Price": "5 €"}]
    assert len(table.warnings) == 1
    assert "cp1252" in table.warnings[0]
    assert "win.csv" in table.warnings[0]


def test_csv_utf16_with_bom_is_read(tmp_path: Path) -> None:
    data = "Name\tZip\r\ncafé\t00042\r\n".encode("utf-16-le")
    path = tmp_path / "u16.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + data)
    assert rows_of(path) == [(2, {"Name": "café", "Zip": "00042"})]


# --- CSV: structure -------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    other = "," if delimiter != "," else ";"
    path = write_csv(
        tmp_path / "d.csv",
        [["Name", "Description", "Zip"], ["a", f"x{other}y", "00042"]],
        delimiter=delimiter,
    )
    table = open_table(path)
    assert table.delimiter == delimiter
    assert [row.values for row in table.rows] == [
        {"Name": "a", "Description": f"x{other}y", "Zip": "00042"}
    ]


def test_csv_quoted_delimiter_in_the_header_does_not_fool_the_sniffer(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('"Name, full";Zip;Notes\n"a, b";1;2\n', encoding="utf-8")
    table = open_table(path)
    assert table.delimiter == ";"
    assert table.columns == ["Name, full", "Zip", "Notes"]


def test_csv_quoted_newlines_and_quotes_inside_cells(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "q.csv",
        [
            ["Name", "Description"],
            ["multi\nline", 'he said "hi", then left'],
            ["next", "plain"],
        ],
    )
    # One record per Excel row, even when a cell holds a line break.
    assert rows_of(path) == [
        (2, {"Name": "multi\nline", "Description": 'he said "hi", then left'}),
        (3, {"Name": "next", "Description": "plain"}),
    ]


def test_csv_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("Name,Zip\r\na,1\r\n\r\n,\r\n  ,  \r\nb,2\r\n", encoding="utf-8")
    assert rows_of(path) == [(2, {"Name": "a", "Zip": "1"}), (6, {"Name": "b", "Zip": "2"})]


def test_csv_leading_blank_lines_push_the_header_down(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("\n\nName\na\n", encoding="utf-8")
    assert rows_of(path) == [(4, {"Name": "a"})]


def test_csv_short_row_is_padded_and_long_row_flags_overflow(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("Name,Zip,Notes\nshort,1\nlong,2,3,extra\ntrailing,4,5,\n", encoding="utf-8")
    rows = list(open_table(path).rows)
    assert [(row.number, row.values, row.overflow) for row in rows] == [
        (2, {"Name": "short", "Zip": "1", "Notes": ""}, []),
        (3, {"Name": "long", "Zip": "2", "Notes": "3"}, ["D"]),
        # an empty trailing cell (a trailing delimiter) is not an overflow
        (4, {"Name": "trailing", "Zip": "4", "Notes": "5"}, []),
    ]


def test_csv_duplicate_headers_name_both_column_letters(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", [["Name", "Zip", "Notes", "ZIP "], ["a", "1", "", "2"]])
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    message = str(caught.value)
    assert "columns B and D" in message
    assert "dup.csv" in message
    assert "\n" not in message


def test_csv_blank_header_cell_is_named_after_its_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "b.csv", [["Name", "Zip", "", "Notes"], ["a", "1", "x", "n"]])
    table = open_table(path)
    assert table.columns == ["Name", "Zip", "Column C", "Notes"]
    assert next(table.rows).values["Column C"] == "x"


def test_csv_headers_are_stripped(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [["  Name ", "Zip\t"], ["a", "1"]])
    assert open_table(path).columns == ["Name", "Zip"]


def test_csv_header_only_has_no_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", [["Name", "Zip"]])
    table = open_table(path)
    assert table.columns == ["Name", "Zip"]
    assert list(table.rows) == []


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 2, 25, 26, 27, 701, 702)] == [
        "A",
        "C",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


# --- file errors: one line, naming the file -------------------------------------------------


def _one_line_error(path: Path, sheet: str | None = None) -> str:
    with pytest.raises(InputFileError) as caught:
        open_table(path, sheet)
    message = str(caught.value)
    assert "\n" not in message
    assert path.name in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in _one_line_error(tmp_path / "absent.csv")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert "directory" in _one_line_error(folder)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "empty" in _one_line_error(path)


def test_file_of_blank_lines_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "blanks.csv"
    path.write_text("\n , \n\n", encoding="utf-8")
    _one_line_error(path)


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    path.write_text("[]", encoding="utf-8")
    message = _one_line_error(path)
    assert ".json" in message
    assert ".csv" in message


def test_sheet_option_on_a_csv_is_an_input_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [["Name"], ["a"]])
    assert "--sheet" in _one_line_error(path, sheet="Tasks")


def test_binary_file_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00garbage")
    _one_line_error(path)


@pytest.mark.parametrize(
    ("bom", "bad", "expected"),
    [(b"", b"\x81", "UTF-8 or Windows-1252"), (codecs.BOM_UTF8, b"\xff", "UTF-8")],
)
def test_undecodable_byte_is_named_by_its_line(
    tmp_path: Path, bom: bytes, bad: bytes, expected: str
) -> None:
    # far enough down that a streaming reader would already be past the first buffer
    path = tmp_path / "bad.csv"
    path.write_bytes(bom + b"Name,Zip\r\n" + b"caf\xc3\xa9,1\r\n" * 5000 + b"x" + bad + b",2\r\n")
    message = _one_line_error(path)
    assert f"line 5002: byte 0x{bad[0]:02X}" in message
    assert f"not {expected} text" in message
