"""An opened spreadsheet, CSV or Excel alike: its header, and rows of text after it.

Every cell comes out as the text a person typed: leading zeros kept, whole numbers without
``.0``, empty cells as ``""``. Each row keeps the row number Excel shows (header = row 1 when
the header is the first non-blank row; blank rows still count).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from importer.errors import InputFileError
from importer.model import RowError, SourceRow
from importer.reading.xlsx_package import column_letter


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
        return label_of(self.path, self.sheet)


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


def label_of(path: Path, sheet: str | None) -> str:
    """A file (and sheet) as named in messages."""
    return f"{path}, sheet '{sheet}'" if sheet else str(path)


def table_of(cells: Cells) -> Table:
    """The table of an opened spreadsheet: its header names its columns."""
    columns = header_columns(cells.label, cells.header, cells.header_number)
    return Table(
        cells.path,
        columns,
        rows_from_cells(columns, cells.records, cells.problems),
        sheet=cells.sheet,
        encoding=cells.encoding,
        delimiter=cells.delimiter,
        warnings=cells.warnings,
        sheets=cells.sheets,
    )


# --- header -----------------------------------------------------------------------------------


def is_blank(cells: Iterable[str]) -> bool:
    """Whether every cell is empty or whitespace."""
    return not any(map(str.strip, cells))


def first_header(
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


def rows_from_cells(
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


def error_reason(error: Exception) -> str:
    """The first line of an error's text (its type when it has none), for messages."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
