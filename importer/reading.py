"""Read CSV and Excel files into rows of text. The only module that imports calamine.

Every cell comes out as the text a person typed: leading zeros kept, whole numbers without
``.0``, empty cells as ``""``. Each row keeps the row number Excel shows (header = row 1 when
the header is the first non-blank row; blank rows still count).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import logging
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from importer import xlsx_scan
from importer.errors import InputFileError
from importer.model import RowError, SourceRow
from importer.read_limits import MAX_CELL_CHARS, MAX_LINE_CHARS
from importer.xlsx_cells import CellNotes, Shown, cell_notes
from importer.xlsx_package import column_letter, open_package

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

log = logging.getLogger(__name__)

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
DELIMITERS = (",", ";", "\t")
_SNIFF_BYTES = 64 * 1024
_CHUNK_BYTES = 1024 * 1024
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or another zip file",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an old Excel workbook (.xls) or another Office file",
}
_BINARY_NUL_SHARE = 0.1
"""Text with a stray NUL is still text; a file whose first bytes are 10% NUL is not."""
_EXACT_FLOAT_INTEGERS = 2**53
_EXCEL_DIGITS = 15
"""Excel keeps and shows 15 significant digits."""

csv.field_size_limit(MAX_CELL_CHARS)


@dataclass
class _Opened:
    """What every opened spreadsheet knows: the file, the sheet, how it was decoded."""

    path: Path
    sheet: str | None = field(default=None, kw_only=True)
    encoding: str | None = field(default=None, kw_only=True)
    delimiter: str | None = field(default=None, kw_only=True)
    warnings: list[str] = field(default_factory=list, kw_only=True)
    sheets: list[str] = field(default_factory=list, kw_only=True)
    """A workbook's worksheets, by name (none for CSV)."""

    @property
    def label(self) -> str:
        """The file (and sheet) as named in messages."""
        return _label(self.path, self.sheet)


@dataclass
class Table(_Opened):
    """An opened spreadsheet: its header and a one-pass iterator over its data rows."""

    columns: list[str]
    rows: Iterator[SourceRow]


@dataclass
class Cells(_Opened):
    """An opened spreadsheet before its header names the columns: the header row as read
    (unstripped), the one-pass (row number, cells) records after it and, in a workbook, the
    cells that hold no readable value by row number (column index, message).
    """

    header: list[str]
    header_number: int
    records: Iterator[tuple[int, list[str]]]
    problems: dict[int, list[tuple[int, str]]] = field(default_factory=dict)


def _label(path: Path, sheet: str | None) -> str:
    return f"{path}, sheet '{sheet}'" if sheet else str(path)


def open_table(path: str | os.PathLike[str], sheet: str | None = None) -> Table:
    """Open a CSV or Excel file; raise InputFileError with a one-line reason if it can't be."""
    return table_of(open_cells(path, sheet))


def table_of(cells: Cells) -> Table:
    """The table of an opened spreadsheet: its header names its columns."""
    columns = header_columns(cells.label, cells.header, cells.header_number)
    return Table(
        cells.path,
        columns,
        _rows_from_cells(columns, cells.records, cells.problems),
        sheet=cells.sheet,
        encoding=cells.encoding,
        delimiter=cells.delimiter,
        warnings=cells.warnings,
        sheets=cells.sheets,
    )


def open_cells(path: str | os.PathLike[str], sheet: str | None = None) -> Cells:
    """Open a CSV or Excel file as ``open_table`` does, leaving its header to the caller."""
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


def is_blank(cells: Iterable[str]) -> bool:
    """Whether every cell is empty or whitespace."""
    return not any(map(str.strip, cells))


def _first_header(
    label: str,
    records: Iterator[tuple[int, list[str]]],
    problems: dict[int, list[tuple[int, str]]],
    empty: str,
) -> tuple[int, list[str]]:
    """The first non-blank record (row number, cells): the header row.

    ``empty`` is the message when there is none; a header cell with a problem is an error.
    """
    for number, cells in records:
        if number in problems:
            _column, message = problems[number][0]
            raise InputFileError(f"{label}: the header row {number}: {message}")
        if not is_blank(cells):
            return number, cells
    raise InputFileError(empty)


def header_columns(
    label: str, header: Sequence[str], row_number: int, first_index: int = 0
) -> list[str]:
    """Header names: stripped, trailing blanks dropped, inner blanks named 'Column F'.

    ``header`` starts at the sheet's column ``first_index`` (0-based; for the letters named).
    Two names that are the same ignoring case are an error.
    """
    names = [cell.strip() for cell in header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise InputFileError(f"{label}: row {row_number} has no column headers")
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=first_index):
        if not name:
            names[index - first_index] = name = f"Column {column_letter(index)}"
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
    columns: list[str],
    records: Iterable[tuple[int, list[str]]],
    problems: dict[int, list[tuple[int, str]]] | None = None,
) -> Iterator[SourceRow]:
    """Turn (row number, cells) records into SourceRows; blank records are skipped.

    ``problems`` maps a row number to (column index, message) for cells that hold no
    readable value; a row with one is never skipped as blank.
    """
    width = len(columns)
    problems = problems or {}
    for number, cells in records:
        found = problems.get(number)
        if not found and is_blank(cells):
            continue
        row = SourceRow(number, dict(zip(columns, cells, strict=False)))
        if len(cells) != width:
            _fit_to_header(row, columns, cells)
        if found:
            row.problems = [unreadable_cell(columns, i, message) for i, message in found]
        yield row


def unreadable_cell(columns: list[str], index: int, message: str) -> RowError:
    """The row error for the cell at ``index`` that holds no readable value."""
    column = columns[index] if index < len(columns) else f"Column {column_letter(index)}"
    return RowError(column, message, code="UnreadableCell")


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
        return number_text(value)
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def number_text(value: float) -> str:
    """A number as Excel shows it in the formula bar: no float noise, no exponent.

    Whole numbers up to 2**53 are exact; others keep Excel's 15 significant digits, so
    0.1 + 0.2 reads 0.3 and 12345678901234567890 reads 12345678901234600000.
    """
    if not math.isfinite(value):
        return ""
    if value.is_integer() and abs(value) <= _EXACT_FLOAT_INTEGERS:
        return str(int(value))
    text = format(Decimal(f"{value:.{_EXCEL_DIGITS}g}").normalize(), "f")
    return "0" if text == "-0" else text


def _shown_text(value: object, shown: Shown) -> str:
    """A number as its cell's format shows it: 0.15 as 15%, 100455 as 0100455 (only whole
    numbers are padded with zeros)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return cell_text(value)
    if shown.percent:
        return f"{number_text(value * 100)}%"
    if isinstance(value, float) and not value.is_integer():
        return number_text(value)
    digits = str(abs(value)) if isinstance(value, int) else number_text(abs(value))
    sign = "-" if value < 0 else ""
    return f"{sign}{shown.prefix}{digits.rjust(shown.digits, '0')}{shown.suffix}"


def _open_excel(path: Path, sheet: str | None) -> Cells:
    with contextlib.ExitStack() as stack:
        # An .xlsx is checked before calamine opens it (which reads every shared text) and
        # before it loads the sheet (every cell of its used range): see importer.xlsx_scan.
        package = open_package(path)
        if package is not None:
            stack.enter_context(package)
            shared = xlsx_scan.check_workbook(package)
        workbook, sheets, visible = _open_workbook(path, stack)
        stack.callback(workbook.close)
        sheet = _pick_sheet(path, sheet, sheets, visible)
        label = f"{path}, sheet '{sheet}'"
        if package is not None:
            xlsx_scan.check_sheet(package, sheet, shared)
        try:
            # From A1 (skip_empty_area=False): list index + 1 is the Excel row number.
            worksheet = workbook.get_sheet_by_name(sheet)
            rows = worksheet.to_python(skip_empty_area=False)
            merged = worksheet.merged_cell_ranges or []
        except Exception as error:
            raise InputFileError(f"{label}: cannot be read ({_reason(error)})") from error
        notes = cell_notes(package, sheet) if package is not None else CellNotes()
    _fill_merged_down(rows, merged)
    for (row, column), shown in notes.shown.items():
        if row < len(rows) and column < len(rows[row]):
            rows[row][column] = _shown_text(rows[row][column], shown)
    # Most cells are text already: cell_text only for numbers, dates and booleans.
    records = (
        (number, [cell if type(cell) is str else cell_text(cell) for cell in cells])
        for number, cells in enumerate(rows, start=1)
    )
    problems = _problems_by_row(notes)
    empty = f"{label}: the sheet is empty; the first row must hold the headers"
    number, header = _first_header(label, records, problems, empty)
    return Cells(path, header, number, records, problems, sheet=sheet, sheets=sheets)


def first_row(path: str | os.PathLike[str], sheet: str, width: int) -> list[str] | None:
    """The first ``width`` cells of the first row holding a value of a workbook's sheet, as
    text; None if it has no value.

    Cheap for .xlsx and .xlsm, whose sheet is streamed only as far as that row; other
    formats load the sheet.
    """
    path = Path(path)
    package = open_package(path)
    if package is not None:
        with package:
            return xlsx_scan.first_row(package, sheet, width)
    with contextlib.ExitStack() as stack:
        workbook, sheets, _visible = _open_workbook(path, stack)
        stack.callback(workbook.close)
        if sheet not in sheets:
            return None
        try:
            rows = workbook.get_sheet_by_name(sheet).to_python(nrows=1)
        except Exception as error:
            raise InputFileError(
                f"{_label(path, sheet)}: cannot be read ({_reason(error)})"
            ) from error
    return [cell_text(cell) for cell in rows[0][:width]] if rows else None


def _fill_merged_down(
    rows: list[list[object]], merged: Iterable[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    """A cell merged over several rows shows its value on each: give each row that value.

    A cell merged across columns belongs to its first column (the others stay empty).
    """
    for (top, column), (bottom, _right) in merged:
        if top >= len(rows) or column >= len(rows[top]):
            continue
        value = rows[top][column]
        for row in rows[top + 1 : bottom + 1]:
            if column < len(row):
                row[column] = value


def _problems_by_row(notes: CellNotes) -> dict[int, list[tuple[int, str]]]:
    """Unreadable cells by Excel row number: (column index, message)."""
    problems: dict[int, list[tuple[int, str]]] = {}
    for (row, column), message in sorted(notes.problems.items()):
        problems.setdefault(row + 1, []).append((column, message))
    return problems


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


def _open_workbook(
    path: Path, stack: contextlib.ExitStack
) -> tuple[CalamineWorkbook, list[str], list[str]]:
    """The open workbook, its worksheets and its visible worksheets, by name."""
    import python_calamine

    try:
        workbook = _load_workbook(path, stack)
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


def _load_workbook(path: Path, stack: contextlib.ExitStack) -> CalamineWorkbook:
    """Open by file name; failing that, by content (an .xls saved under an .xlsx name)."""
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise
    except Exception as by_name:
        stream = stack.enter_context(path.open("rb"))
        try:
            return python_calamine.CalamineWorkbook.from_filelike(stream)
        except python_calamine.PasswordError:
            raise
        except Exception:
            raise by_name from None


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


# --- CSV --------------------------------------------------------------------------------------


def _detect_encoding(path: Path, head: bytes) -> tuple[str, list[str]]:
    """Pick the encoding: BOMs first, then UTF-8 if the whole file decodes, else cp1252."""
    if head.startswith(_UTF16_BOMS):
        if path.stat().st_size % 2:
            raise InputFileError(
                f"{path}: is UTF-16 text with an odd number of bytes, so it was cut short; "
                "export or copy the file again"
            )
        return "utf-16", []
    if head.startswith(codecs.BOM_UTF8):
        encoding, warnings, expected = "utf-8-sig", [], "UTF-8"
    else:
        _refuse_binary(path, head)
        if _undecodable(path, "utf-8") is None:
            return "utf-8", []
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


def _refuse_binary(path: Path, head: bytes) -> None:
    """InputFileError for a file that is not text at all (a stray NUL is still text)."""
    for signature, kind in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise InputFileError(
                f"{path}: is {kind}, not CSV text; name it after its type "
                "(.xlsx, .xls) or export the sheet as CSV UTF-8"
            )
    if head.count(0) > _BINARY_NUL_SHARE * len(head):
        raise InputFileError(
            f"{path}: looks like a binary file, not CSV text; export the sheet as CSV UTF-8"
        )


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


class _LineTooLong(Exception):
    pass


class _RecordLines:
    """The file's lines as the csv reader takes them; ``take()`` hands over the last record's.

    A line longer than MAX_LINE_CHARS raises _LineTooLong before it is all in memory.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lines: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._stream.readline(MAX_LINE_CHARS)
        if not line:
            raise StopIteration
        if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise _LineTooLong
        self._lines.append(line)
        return line

    def take(self) -> list[str]:
        lines, self._lines = self._lines, []
        return lines


def _ends_inside_quotes(raw: str, delimiter: str) -> bool:
    """Whether a record's text ends inside a quoted cell (as the csv module reads quotes)."""
    quoted, field_start, index = False, True, 0
    while index < len(raw):
        if quoted:
            close = raw.find('"', index)
            if close < 0:
                return True
            if raw.startswith('""', close):
                index = close + 2
                continue
            quoted, field_start, index = False, False, close + 1
            continue
        char = raw[index]
        if char == '"' and field_start:
            quoted = True
        else:
            field_start = char in (delimiter, "\r", "\n")
        index += 1
    return quoted


def _csv_records(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every record; InputFileError, naming the row, for broken quoting."""
    errors = "surrogatepass" if encoding == "utf-16" else "strict"
    with path.open(encoding=encoding, errors=errors, newline="") as text:
        lines = _RecordLines(text)
        reader = csv.reader(lines, delimiter=delimiter, strict=False)
        # One record behind, so a last record that swallowed the rest of the file is never
        # passed on.
        number, last, pending = 0, [], None
        try:
            for number, cells in enumerate(reader, start=1):
                last = lines.take()
                if pending is not None:
                    yield pending
                pending = number, cells
        except _LineTooLong:
            raise InputFileError(
                f"{path}: row {number + 1}: a line is longer than {MAX_LINE_CHARS:,} "
                "characters; no row of tasks is that long: check that this is the right file"
            ) from None
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise InputFileError(
                    f"{path}: row {number + 1}: a cell is longer than {MAX_CELL_CHARS:,} "
                    'characters (a spreadsheet cell holds at most 32,767); if a quote (") in '
                    "this row is never closed, the rest of the file reads as one cell: check "
                    "its quotes"
                ) from error
            raise InputFileError(f"{path}: row {number + 1}: {_reason(error)}") from error
        except UnicodeDecodeError as error:
            raise InputFileError(f"{path}: row {number + 1}: {_reason(error)}") from error
    if last and _ends_inside_quotes("".join(last), delimiter):
        swallowed = (
            f"the last {len(last)} lines of the file were" if len(last) > 1 else "the line was"
        )
        raise InputFileError(
            f'{path}: row {number}: a quote (") opens a cell that is never closed, so '
            f"{swallowed} read as one cell; add the closing quote"
        )
    if pending is not None:
        yield pending


def _open_csv(path: Path) -> Cells:
    with path.open("rb") as stream:
        head = stream.read(_SNIFF_BYTES)
    encoding, warnings = _detect_encoding(path, head)
    sample = head.decode(encoding, errors="replace")
    delimiter = _sniff_delimiter(sample)
    records = _csv_records(path, encoding, delimiter)
    empty = f"{path}: the file is empty; the first row must hold the headers"
    number, header = _first_header(str(path), records, {}, empty)
    return Cells(
        path, header, number, records, encoding=encoding, delimiter=delimiter, warnings=warnings
    )
