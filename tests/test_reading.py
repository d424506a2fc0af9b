"""Opening an input file: by its suffix, and one-line errors naming the file."""

from __future__ import annotations

from pathlib import Path

from spreadsheets import one_line_error, write_csv

from importer.reading import column_letter


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


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in one_line_error(tmp_path / "absent.csv")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert "directory" in one_line_error(folder)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "empty" in one_line_error(path)


def test_file_of_blank_lines_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "blanks.csv"
    path.write_text("\n , \n\n", encoding="utf-8")
    one_line_error(path)


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    path.write_text("[]", encoding="utf-8")
    message = one_line_error(path)
    assert ".json" in message
    assert ".csv" in message


def test_sheet_option_on_a_csv_is_an_input_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [["Name"], ["a"]])
    assert "--sheet" in one_line_error(path, sheet="Tasks")
