"""Reading CSV files: encodings, the delimiter, quoting, row numbers, one-line errors."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from spreadsheets import one_line_error, rows_of, write_csv

from importer.errors import InputFileError
from importer.reading import open_table

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


def test_binary_file_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00garbage")
    one_line_error(path)


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
    message = one_line_error(path)
    assert f"line 5002: byte 0x{bad[0]:02X}" in message
    assert f"not {expected} text" in message
