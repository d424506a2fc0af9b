"""A corpus of messy real-world input files and what a user sees for each.

Most files are generated here; tests/corpus/ ships the few no Python library writes (see its
README). Complements tests/test_reading.py (which covers the basics of each format): these
are the files ops staff really get from colleagues, checked through the pipeline or the CLI.
"""

from __future__ import annotations

import codecs
import os
import shutil
import sys
import tracemalloc
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from spreadsheets import (
    FLOW,
    INSTANCE,
    MAIN_NS,
    prepare,
    read_results,
    write_csv,
    write_xlsx,
    write_xlsx_parts,
)

from importer.cli import main
from importer.errors import InputFileError
from importer.reading import MAX_CELL_CHARS, open_table

CORPUS = Path(__file__).parent / "corpus"
ROUTED = ["InstanceId", "ContactFlowId"]


def values_of(path: Path, sheet: str | None = None) -> list[tuple[int, dict[str, str]]]:
    return [(row.number, row.values) for row in open_table(path, sheet).rows]


def results_of(path: Path) -> Path:
    return path.with_name(f"{path.stem}.results.csv")


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`task-importer validate PATH` (results in ``results_of(PATH)``): exit code and stderr."""
    code = main(
        [
            "validate",
            str(path),
            "--instance-id",
            INSTANCE,
            "--contact-flow-id",
            FLOW,
            "--results",
            str(results_of(path)),
        ]
    )
    return code, capsys.readouterr().err


# --- a minimal .xlsx written by hand: formulas, errors, styles openpyxl cannot write ---------

_STYLES = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="0.0%"/></numFmts>'
    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="9" applyNumberFormat="1"/>'
    '<xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>'
)
PLAIN, PERCENT, PERCENT_1DP = "0", "1", "2"


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def raw_xlsx(path: Path, rows: list[list[str]], merges: list[str] = ()) -> Path:
    """An .xlsx whose sheet 'Tasks' holds these rows of ready-made <c> elements."""
    sheet_rows = "".join(
        f'<row r="{number}">{"".join(cells)}</row>' for number, cells in enumerate(rows, 1)
    )
    merged = "".join(f'<mergeCell ref="{ref}"/>' for ref in merges)
    sheet = (
        f'<worksheet xmlns="{MAIN_NS}"><sheetData>{sheet_rows}</sheetData>'
        + (f"<mergeCells>{merged}</mergeCells>" if merged else "")
        + "</worksheet>"
    )
    return write_xlsx_parts(path, {"Tasks": sheet}, styles=_STYLES)


def task_header(*extra: str) -> list[str]:
    return [
        text_cell(f"{letter}1", name)
        for letter, name in zip("ABCDEFG", [*ROUTED, *extra], strict=False)
    ]


def task_cells(row: int, *extra: str) -> list[str]:
    return [text_cell(f"A{row}", INSTANCE), text_cell(f"B{row}", FLOW), *extra]


# --- Excel: what the sheet shows, not what a script left behind -----------------------------


def test_formula_cells_give_their_saved_results(tmp_path: Path) -> None:
    path = raw_xlsx(
        tmp_path / "formulas.xlsx",
        [
            task_header("Name", "Attributes.total", "Attributes.label", "Attributes.blank"),
            task_cells(
                2,
                '<c r="C2" t="str"><f>"Call "&amp;"back"</f><v>Call back</v></c>',
                '<c r="D2"><f>0.1+0.2</f><v>0.30000000000000004</v></c>',
                '<c r="E2" t="str"><f>TEXT(42,"00000")</f><v>00042</v></c>',
                '<c r="F2" t="str"><f>IF(1,"","x")</f><v></v></c>',
            ),
        ],
    )
    (row,) = prepare(path)[1]
    assert row.ok, row.errors
    assert row.request["Name"] == "Call back"
    assert row.request["Attributes"] == {"total": "0.3", "label": "00042"}


def test_formula_without_a_saved_result_is_an_error_on_its_row_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What openpyxl and other scripts write: the formula, no result (<v/>).
    path = raw_xlsx(
        tmp_path / "script-made.xlsx",
        [
            task_header("Name", "Attributes.total"),
            task_cells(2, text_cell("C2", "fine"), '<c r="D2"><f>SUM(1,2)</f><v>3</v></c>'),
            task_cells(3, text_cell("C3", "broken"), '<c r="D3"><f>SUM(1,2)</f><v/></c>'),
            task_cells(4, text_cell("C4", "no v"), '<c r="D4"><f>SUM(1,2)</f></c>'),
            # a row whose only content is such a formula is not a blank row
            [text_cell("A5", ""), '<c r="C5"><f>A1&amp;"x"</f></c>'],
        ],
    )
    rows = prepare(path)[1]
    assert [(row.number, row.ok) for row in rows] == [(2, True), (3, False), (4, False), (5, False)]
    assert rows[0].request["Attributes"] == {"total": "3"}
    message = "; ".join(str(error) for error in rows[1].errors)
    assert message.startswith("Attributes.total: cell D3 holds a formula whose result is not saved")
    assert "save it" in message
    assert "cell C5 holds a formula" in str(rows[3].errors[0])

    assert validate(path, capsys)[0] == 1
    lines = read_results(results_of(path))
    assert [line["status"] for line in lines] == ["valid", "invalid", "invalid", "invalid"]
    assert "cell D4" in lines[2]["error_message"]


def test_excel_error_cells_are_an_error_on_their_row(tmp_path: Path) -> None:
    path = raw_xlsx(
        tmp_path / "errors.xlsx",
        [
            task_header("Name", "Description"),
            task_cells(2, text_cell("C2", "a"), '<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'),
            task_cells(3, text_cell("C3", "b"), '<c r="D3" t="e"><v>#N/A</v></c>'),
        ],
    )
    rows = prepare(path)[1]
    assert [str(row.errors[0]) for row in rows] == [
        "Description: cell D2 shows the Excel error #DIV/0!; fix the formula or type the value",
        "Description: cell D3 shows the Excel error #N/A; fix the formula or type the value",
    ]


def test_a_header_cell_without_a_value_is_a_file_error(tmp_path: Path) -> None:
    path = raw_xlsx(tmp_path / "h.xlsx", [[text_cell("A1", "Name"), '<c r="B1"><f>"x"</f></c>']])
    with pytest.raises(InputFileError, match="header row 1: cell B1 holds a formula"):
        open_table(path)


def test_percentages_read_as_shown(tmp_path: Path) -> None:
    cells = [
        f'<c r="A2" s="{PERCENT}"><v>0.15</v></c>',
        f'<c r="B2" s="{PERCENT_1DP}"><v>0.125</v></c>',
        f'<c r="C2" s="{PLAIN}"><v>0.15</v></c>',
        f'<c r="D2" s="{PERCENT}"><v>1.5</v></c>',
    ]
    header = [text_cell(f"{letter}1", letter) for letter in "ABCD"]
    path = raw_xlsx(tmp_path / "pct.xlsx", [header, cells])
    assert values_of(path) == [(2, {"A": "15%", "B": "12.5%", "C": "0.15", "D": "150%"})]


def test_numbers_read_as_excel_shows_them_in_the_formula_bar(tmp_path: Path) -> None:
    numbers = {
        "huge": ("1.23456789012345E+19", "12345678901234500000"),  # typed 12345678901234567890
        "card": ("4111111111111110", "4111111111111110"),  # Excel keeps 15 digits
        "noise": ("0.30000000000000004", "0.3"),
        "tiny": ("1E-05", "0.00001"),
        "negative": ("-2.5E+20", "-250000000000000000000"),
    }
    header = [text_cell(f"{letter}1", name) for letter, name in zip("ABCDE", numbers, strict=True)]
    cells = [
        f'<c r="{letter}2"><v>{stored}</v></c>'
        for letter, (stored, _) in zip("ABCDE", numbers.values(), strict=True)
    ]
    path = raw_xlsx(tmp_path / "numbers.xlsx", [header, cells])
    assert values_of(path) == [(2, {name: shown for name, (_, shown) in numbers.items()})]


def test_a_cell_merged_down_several_rows_belongs_to_each_row(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "merged.xlsx",
        [
            ["Customer", "Name", "Notes", "Other"],
            ["ACME", "first", "wide note", None],
            [None, "second", "x", "y"],
            [None, "third", "z", None],
        ],
    )
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    workbook.active.merge_cells("A2:A4")  # one customer, three tasks
    workbook.active.merge_cells("C2:D2")  # a note spread over two columns
    workbook.save(path)
    assert values_of(path) == [
        (2, {"Customer": "ACME", "Name": "first", "Notes": "wide note", "Other": ""}),
        (3, {"Customer": "ACME", "Name": "second", "Notes": "x", "Other": "y"}),
        (4, {"Customer": "ACME", "Name": "third", "Notes": "z", "Other": ""}),
    ]


def test_header_only_workbook_has_no_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_xlsx(tmp_path / "header.xlsx", [["Name", "Description"]])
    assert values_of(path) == []
    assert validate(path, capsys)[0] == 0
    assert read_results(results_of(path)) == []


def test_formatted_but_empty_rows_and_columns_after_the_data_are_ignored(tmp_path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Zip"])
    sheet.append(["a", "00042"])
    for ref in ("C1", "C2", "Z1", "A50", "Z50"):  # styled cells without a value
        sheet[ref].font = Font(bold=True)
    sheet["A40"] = " "
    path = tmp_path / "trailing.xlsx"
    workbook.save(path)
    table = open_table(path)
    assert table.columns == ["Name", "Zip"]
    assert [(row.number, row.values, row.overflow) for row in table.rows] == [
        (2, {"Name": "a", "Zip": "00042"}, [])
    ]


# --- old and open formats (files in tests/corpus/, made with LibreOffice) -------------------

FIELD_EXPORT_ROWS = [
    (
        2,
        {
            "Name": "Call back 1",
            "Attributes.zip": "00042",
            "Attributes.count": "12345",
            "Attributes.ratio": "0.25",
            "Attributes.due": "2026-03-28",
            "Attributes.at": "2026-03-28 09:30:00",
            "Attributes.big": "12345678901234600000",
        },
    ),
    (
        4,
        {
            "Name": "Café ✓ 2",
            "Attributes.zip": "007",
            "Attributes.count": "-7",
            "Attributes.ratio": "1.5",
            "Attributes.due": "2026-12-31",
            "Attributes.at": "2026-12-31 23:59:59",
            "Attributes.big": "4111111111111111",
        },
    ),
]


@pytest.mark.parametrize("name", ["field-export.xls", "field-export.ods"])
def test_xls_and_ods_read_like_xlsx(name: str) -> None:
    table = open_table(CORPUS / name)
    assert table.sheet == "Tasks"  # the hidden first sheet 'Lookup' is skipped
    assert [(row.number, row.values) for row in table.rows] == FIELD_EXPORT_ROWS
    assert values_of(CORPUS / name, "Notes") == [(2, {"Name": "from the later sheet"})]


def test_an_xls_saved_under_an_xlsx_name_is_read(tmp_path: Path) -> None:
    renamed = shutil.copy(CORPUS / "field-export.xls", tmp_path / "export.xlsx")
    assert values_of(Path(renamed)) == FIELD_EXPORT_ROWS


# --- CSV: what Excel and other tools export ---------------------------------------------------


@pytest.mark.parametrize("suffix", [".txt", ".csv"])
def test_excel_unicode_text_export(tmp_path: Path, suffix: str) -> None:
    # Excel's "Unicode Text": UTF-16 LE with BOM, tabs, quotes only where needed.
    shalom = "\u05e9\u05dc\u05d5\u05dd 👋"  # right-to-left text and an emoji
    text = f'Name\tDescription\tZip\r\n"Call\r\nback"\t"say ""hi"""\t00042\r\n{shalom}\t\t7\r\n'
    path = tmp_path / f"unicode{suffix}"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    table = open_table(path)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert [(row.number, row.values) for row in table.rows] == [
        (2, {"Name": "Call\r\nback", "Description": 'say "hi"', "Zip": "00042"}),
        (3, {"Name": shalom, "Description": "", "Zip": "7"}),
    ]


def test_utf16_with_a_lone_surrogate_is_an_error_on_that_row_only(tmp_path: Path) -> None:
    text = "InstanceId\tContactFlowId\tName\r\n"
    text += f"{INSTANCE}\t{FLOW}\tbroken \ud83d here\r\n{INSTANCE}\t{FLOW}\tfine\r\n"
    path = tmp_path / "damaged.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le", "surrogatepass"))
    rows = prepare(path)[1]
    assert [row.ok for row in rows] == [False, True]
    assert "not valid Unicode text" in str(rows[0].errors[0])


def test_utf16_cut_short_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "Name\r\nab".encode("utf-16-le")[:-1])
    with pytest.raises(InputFileError, match="odd number of bytes, so it was cut short"):
        open_table(path)


def test_european_excel_csv_is_cp1252_with_semicolons(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "eu.csv",
        [["Name", "Betrag", "Notiz"], ["Müller", "1.234,50 €", "a;b"]],
        encoding="cp1252",
        delimiter=";",
    )
    table = open_table(path)
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert [row.values for row in table.rows] == [
        {"Name": "Müller", "Betrag": "1.234,50 €", "Notiz": "a;b"}
    ]


def test_a_stray_nul_in_a_cell_is_text_not_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"Name,Description\r\na,before\x00after\r\n")
    assert values_of(path) == [(2, {"Name": "a", "Description": "before\x00after"})]


def test_a_quote_never_closed_is_a_located_error_not_lost_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "quote.csv"
    path.write_text(
        f"InstanceId,ContactFlowId,Name\n{INSTANCE},{FLOW},fine\n"
        f'{INSTANCE},{FLOW},"oops\n{INSTANCE},{FLOW},swallowed\n{INSTANCE},{FLOW},too\n',
        encoding="utf-8",
    )
    code, err = validate(path, capsys)
    assert code == 2
    assert 'quote.csv: row 3: a quote (") opens a cell that is never closed' in err
    assert "add the closing quote" in err
    assert not results_of(path).exists()


def test_a_closed_multi_line_last_cell_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text('Name,Notes\na,"two\nlines, ""quoted"""\n', encoding="utf-8")
    assert values_of(path) == [(2, {"Name": "a", "Notes": 'two\nlines, "quoted"'})]


def test_a_workbook_named_csv_says_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    write_xlsx(tmp_path / "real.xlsx", [["Name"], ["a"]]).rename(path)
    with pytest.raises(InputFileError, match=r"is an Excel workbook \(\.xlsx\)"):
        open_table(path)


# --- sizes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opening", "chunk", "expected"),
    [
        ("", "x" * 1_000_000, "a line is longer than 16,000,000 characters"),
        ('"', "line of a long note\n" * 50_000, f"a cell is longer than {MAX_CELL_CHARS:,}"),
    ],
    ids=["one-line", "quoted-lines"],
)
def test_a_50_mb_cell_is_a_located_error_without_reading_it_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], opening: str, chunk: str, expected: str
) -> None:
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(f"InstanceId,ContactFlowId,Name,Description\n{INSTANCE},{FLOW},ok,fine\n")
        out.write(f"{INSTANCE},{FLOW},big,{opening}")
        for _ in range(50_000_000 // len(chunk)):
            out.write(chunk)
        out.write(f"{opening}\n")
    tracemalloc.start()
    try:
        code, err = validate(path, capsys)
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    print(f"\n50 MB cell: exit {code}, peak Python memory {peak_mb:.0f} MB")
    assert code == 2
    assert f"huge.csv: row 3: {expected}" in err
    assert peak_mb < 100, "the whole cell was read into memory"


def test_30000_columns_work_and_the_warning_stays_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = ["Name", *(f"Extra {n}" for n in range(29_999))]
    rows = [[f"Task {r}", *(str(n) for n in range(29_999))] for r in range(3)]
    path = write_csv(tmp_path / "wide.csv", [header, *rows])
    code, err = validate(path, capsys)
    assert code == 0
    (warning,) = [line for line in err.splitlines() if "not sent to Amazon Connect" in line]
    assert "'Extra 19'" in warning
    assert "'Extra 20'" not in warning
    assert "and 29,979 more" in warning
    lines = read_results(results_of(path))
    assert [line["Extra 29998"] for line in lines] == ["29998"] * 3


# --- files that cannot be read at all: one line, exit 2, nothing written ----------------------


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _blank_lines(path: Path) -> Path:
    path.write_text(" , \n\n,,\n", encoding="utf-8")
    return path


def _protected(path: Path) -> Path:
    shutil.copy(CORPUS / "password-secret.xlsx", path)
    return path


def _truncated_xlsx(path: Path) -> Path:
    write_xlsx(path, [["Name"], ["a"]])
    path.write_bytes(path.read_bytes()[:300])
    return path


def _image(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    return path


def _unreadable(path: Path) -> Path:
    write_csv(path, [["Name"], ["a"]])
    path.chmod(0)
    return path


FILE_ERRORS = {
    "empty.csv": (_empty, "the file is empty"),
    "blank-lines.csv": (_blank_lines, "the file is empty"),
    "protected.xlsx": (_protected, "password-protected; save an unprotected copy"),
    "truncated.xlsx": (_truncated_xlsx, "cannot be read as an Excel workbook"),
    "image.csv": (_image, "looks like a binary file"),
    "missing.csv": (Path, "no such file"),
    "locked.csv": (_unreadable, "permission denied"),
}


@pytest.mark.parametrize("name", FILE_ERRORS)
def test_unreadable_files_are_one_line_errors_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    if name == "locked.csv" and (sys.platform == "win32" or os.geteuid() == 0):
        pytest.skip("root (or Windows) reads a file whatever its permissions")
    make, expected = FILE_ERRORS[name]
    path = make(tmp_path / name)
    code, err = validate(path, capsys)
    assert code == 2
    (line,) = [line for line in err.splitlines() if expected in line]
    assert name in line
    assert "Traceback" not in err
    assert not results_of(path).exists()
