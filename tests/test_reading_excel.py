"""Reading Excel workbooks: every cell as typed, Excel row numbers, sheets, header rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from spreadsheets import rows_of, write_xlsx

from importer.errors import InputFileError
from importer.reading import cell_text, open_table

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


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (450.36, "450.36"),
        (0.1 + 0.2, "0.3"),  # 17 digits stored: Excel's 15 shown
        (-0.5, "-0.5"),
        (1 / 3, "0.333333333333333"),
        (123456789012345.6, "123456789012346"),
        (12345678901234567890.0, "12345678901234600000"),
        (1e-7, "0.0000001"),  # no exponent
        (2.5e20, "250000000000000000000"),
    ],
)
def test_xlsx_numbers_read_as_excel_shows_them_whatever_their_digits(
    number: float, shown: str
) -> None:
    assert cell_text(number) == shown


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
