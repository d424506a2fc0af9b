"""Read CSV and Excel files into rows of text. The only module that imports calamine.

Every cell comes out as the text a person typed: leading zeros kept, whole numbers without
``.0``, empty cells as ``""``. Each row keeps the row number Excel shows (header = row 1 when
the header is the first non-blank row; blank rows still count).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import logging
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from importer.errors import InputFileError
from importer.model import SourceRow

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

log = logging.getLogger(__name__)

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
DELIMITERS = (",", ";", "\t")
_SNIFF_BYTES = 64 * 1024
_CHUNK_BYTES = 1024 * 1024
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

csv.field_size_limit(2**31 - 1)


@dataclass
class Table:
    """An opened spreadsheet: its header and a one-pass iterator over its data rows."""

    path: Path
    columns: list[str]
    rows: Iterator[SourceRow]
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The file (and sheet) as named in messages."""
        return f"{self.path}, sheet '{self.sheet}'" if self.sheet else str(self.path)


def column_letter(index: int) -> str:
    """Excel's column letter for a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def open_table(path: str | os.PathLike[str], sheet: str | None = None) -> Table:
    """Open a CSV or Excel file; raise InputFileError with a one-line reason if it can't be."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, not a CSV or Excel file")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"{path}: permission denied; check the file's read permission")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _open_excel(path, sheet)
    if sheet is not None:
        raise InputFileError(f"{path}: --sheet only applies to Excel files")
    if suffix in CSV_SUFFIXES:
        return _open_csv(path)
    raise InputFileError(
        f"{path}: unsupported file type '{suffix}'; use .csv, .xlsx or .xlsm "
        "(.xls and .ods are read too)"
    )


# --- header -----------------------------------------------------------------------------------


def _is_blank(cells: Iterable[str]) -> bool:
    return not any(map(str.strip, cells))


def _header_columns(label: str, header: Sequence[str], row_number: int) -> list[str]:
    """Header names: stripped, trailing blanks dropped, inner blanks named 'Column F'."""
    names = [cell.strip() for cell in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise InputFileError(f"{label}: row {row_number} has no column headers")
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            names[index] = name = f"Column {column_letter(index)}"
        folded = name.casefold()
        if folded in seen:
            first = column_letter(seen[folded])
            raise InputFileError(
                f"{label}: columns {first} and {column_letter(index)} both have the header "
                f"'{name}'; rename one so every header is unique"
            )
        seen[folded] = index
    return names


def _rows_from_cells(
    columns: list[str], records: Iterable[tuple[int, list[str]]]
) -> Iterator[SourceRow]:
    """Turn (row number, cells) records into SourceRows; blank records are skipped."""
    width = len(columns)
    for number, cells in records:
        if _is_blank(cells):
            continue
        row = SourceRow(number, dict(zip(columns, cells, strict=False)))
        if len(cells) != width:
            _fit_to_header(row, columns, cells)
        yield row


def _fit_to_header(row: SourceRow, columns: list[str], cells: list[str]) -> None:
    """Give a short row empty cells; name the non-blank cells beyond the header."""
    width = len(columns)
    if len(cells) < width:
        row.values.update(dict.fromkeys(columns[len(cells) :], ""))
    extra = [i for i in range(width, len(cells)) if cells[i].strip()]
    if extra:
        row.overflow = [column_letter(i) for i in extra]


# --- Excel ------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """The text of an Excel cell as a person sees it typed (not as Excel stores it)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _open_excel(path: Path, sheet: str | None) -> Table:
    workbook, sheets, visible = _open_workbook(path)
    try:
        sheet = _pick_sheet(path, sheet, sheets, visible)
        label = f"{path}, sheet '{sheet}'"
        try:
            # From A1 (skip_empty_area=False): list index + 1 is the Excel row number.
            rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except Exception as error:
            raise InputFileError(f"{label}: cannot be read ({_reason(error)})") from error
    finally:
        workbook.close()
    # Most cells are text already: cell_text only for numbers, dates and booleans.
    records = (
        (number, [cell if type(cell) is str else cell_text(cell) for cell in cells])
        for number, cells in enumerate(rows, start=1)
    )
    for number, cells in records:
        if not _is_blank(cells):
            columns = _header_columns(label, cells, number)
            break
    else:
        raise InputFileError(f"{label}: the sheet is empty; the first row must hold the headers")
    return Table(path, columns, _rows_from_cells(columns, records), sheet=sheet)


def _pick_sheet(path: Path, sheet: str | None, sheets: list[str], visible: list[str]) -> str:
    """The sheet asked for, or the first visible one."""
    if sheet is None:
        if not visible:
            raise InputFileError(f"{path}: the workbook has no visible worksheet")
        return visible[0]
    if sheet not in sheets:
        names = ", ".join(f"'{name}'" for name in sheets)
        raise InputFileError(f"{path}: no sheet named '{sheet}'; the sheets are {names}")
    return sheet


def _open_workbook(path: Path) -> tuple[CalamineWorkbook, list[str], list[str]]:
    """The open workbook, its worksheets and its visible worksheets, by name."""
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        worksheets = [
            meta
            for meta in workbook.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
    except python_calamine.PasswordError as error:
        raise InputFileError(
            f"{path}: the workbook is password-protected; save an unprotected copy"
        ) from error
    except Exception as error:  # calamine raises several unrelated types for a bad file
        raise InputFileError(
            f"{path}: cannot be read as an Excel workbook ({_reason(error)}); "
            "open it in Excel and save it again as .xlsx"
        ) from error
    visible = [
        meta.name for meta in worksheets if meta.visible == python_calamine.SheetVisibleEnum.Visible
    ]
    return workbook, [meta.name for meta in worksheets], visible


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


# --- CSV --------------------------------------------------------------------------------------


def _detect_encoding(path: Path, head: bytes) -> tuple[str, list[str]]:
    """Pick the encoding: BOMs first, then UTF-8 if the whole file decodes, else cp1252."""
    if head.startswith(_UTF16_BOMS):
        return "utf-16", []
    if head.startswith(codecs.BOM_UTF8):
        encoding, warnings, expected = "utf-8-sig", [], "UTF-8"
    elif b"\x00" in head:
        raise InputFileError(
            f"{path}: looks like a binary file, not CSV text; export the sheet as CSV UTF-8"
        )
    elif _undecodable(path, "utf-8") is None:
        return "utf-8", []
    else:
        encoding, expected = "cp1252", "UTF-8 or Windows-1252"
        warnings = [
            f"{path}: not valid UTF-8; read as Windows-1252 (cp1252). "
            "Check accented characters in the results, or save the file as 'CSV UTF-8'"
        ]
    # Check the whole file now: a decode error met while reading rows cannot say where it is.
    problem = _undecodable(path, encoding)
    if problem:
        line, byte = problem
        raise InputFileError(
            f"{path}: line {line}: byte 0x{byte:02X} is not {expected} text; "
            "save the file as 'CSV UTF-8'"
        )
    return encoding, warnings


def _undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """The line number and value of the first byte that does not decode, or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as stream:
        try:
            while chunk := stream.read(_CHUNK_BYTES):
                decoder.decode(chunk)
                line += chunk.count(b"\n")
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            # error.object: the bytes decoded (a carried-over partial character has no b"\n")
            return line + error.object[: error.start].count(b"\n"), error.object[error.start]
    return None


def _sniff_delimiter(sample: str) -> str:
    """The delimiter used most in the first line outside quotes (',' when none is used)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in sample:
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            if any(counts.values()):
                break
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _open_csv(path: Path) -> Table:
    with path.open("rb") as stream:
        head = stream.read(_SNIFF_BYTES)
    encoding, warnings = _detect_encoding(path, head)
    sample = head.decode(encoding, errors="replace")
    delimiter = _sniff_delimiter(sample)
    text = path.open(encoding=encoding, errors="strict", newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    label = str(path)

    def records() -> Iterator[tuple[int, list[str]]]:
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except (csv.Error, UnicodeDecodeError) as error:
            raise InputFileError(f"{label}: row {number + 1}: {_reason(error)}") from error
        finally:
            text.close()

    iterator = records()
    for number, cells in iterator:
        if not _is_blank(cells):
            columns = _header_columns(label, cells, number)
            break
    else:
        raise InputFileError(f"{path}: the file is empty; the first row must hold the headers")
    return Table(
        path,
        columns,
        _rows_from_cells(columns, iterator),
        encoding=encoding,
        delimiter=delimiter,
        warnings=warnings,
    )
