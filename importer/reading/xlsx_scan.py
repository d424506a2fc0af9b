"""Streaming scans of an .xlsx workbook, run before calamine loads any of it.

calamine holds a whole sheet in memory: every cell of the rectangle up to the last value
(counted from A1, as this tool reads it), a copy of a shared text in every cell that uses
it, and all the workbook's shared texts from the moment the file is opened. A 2 KB file with
one stray value at XFD1048576 asks for 17 billion cells and aborts the process; a 1 MB file
can unpack into a gigabyte-long text. These scans stream the parts, never holding a text
whole, and refuse such a file saying where it goes wrong (importer.reading.limits has the
caps):

- the sheet's used range, rows x columns from A1, within MAX_SHEET_CELLS;
- no text longer than MAX_CELL_CHARS (a shared text, or a text in the sheet);
- the shared texts and the sheet's cells together within MAX_SHEET_CHARS characters, a
  shared text counted once more for each cell that uses it.

Each part is first scanned with byte searches (importer.reading.xlsx_quick), which can only
prove a part within the caps and which the files Excel, LibreOffice and openpyxl write pass
quickly. A part they cannot prove (written unusually, or past a cap) is scanned again with
expat, which decides exactly and names the cell. importer.reading.xlsx_first_row reads a
sheet's first row the same way, without loading the sheet.
"""

from __future__ import annotations

from array import array

from importer.errors import InputFileError
from importer.reading.limits import MAX_CELL_CHARS, MAX_SHEET_CELLS, MAX_SHEET_CHARS
from importer.reading.xlsx_expat import TOO_LONG, CellScan, Scan, Stop, local_name, parse, refuse
from importer.reading.xlsx_package import Package, cell_name, column_letter
from importer.reading.xlsx_quick import (
    SharedTexts,
    Unsure,
    check_unique_count,
    quick_shared,
    quick_sheet,
)

_DEFAULT_TYPES = frozenset({None, "n", "s", "b", "e"})
"""Cell types whose empty <v> calamine reads as no value."""


def check_workbook(package: Package) -> SharedTexts:
    """Check the parts calamine reads as it opens the workbook; the shared texts' sizes."""
    styles = package.part("styles.xml")
    if styles is not None:
        package.read(styles)  # refused past MAX_PART_BYTES
    member = package.part("sharedStrings.xml")
    if member is None:
        return SharedTexts()
    try:
        shared = quick_shared(package, member)
    except Unsure:
        shared = _exact_shared(package, member)
    if shared.total > MAX_SHEET_CHARS:
        raise InputFileError(
            f"{package.path}: its shared texts hold {shared.total:,} characters, more than the "
            f"{MAX_SHEET_CHARS:,} read from a workbook; split it into smaller files"
        )
    return shared


def check_sheet(package: Package, sheet: str, shared: SharedTexts) -> None:
    """Refuse the sheet if calamine would hold more of it than the caps allow."""
    member = package.sheet_part(sheet)
    if member is None:
        return  # calamine refuses the sheet itself
    try:
        if quick_sheet(package, member, shared):
            return
    except Unsure:
        pass
    parse(package, member, _SheetScan(f"{package.path}, sheet '{sheet}'", shared))


class _SharedScan(Scan):
    """Each shared string's text length, as calamine takes them: <si> elements after <sst>
    opens and before it closes, each ending at its first matching end tag."""

    def __init__(self, package: Package, member: str) -> None:
        self.package, self.member = package, member
        self.lengths = array("I")
        self.state = "before"  # then "inside" <sst>, then "after"
        self.closing: str | None = None
        self.length = self.run = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.run = 0
        local = local_name(name)
        if self.state == "before" and local == "sst":
            self.state = "inside"
            unique = attributes.get("uniqueCount", "")
            if unique.isascii() and unique.isdigit():
                check_unique_count(self.package, self.member, int(unique))
        elif self.state == "inside" and self.closing is None and local == "si":
            self.closing, self.length = name, 0

    def end(self, name: str) -> None:
        self.run = 0
        if self.closing is not None and name == self.closing:
            self.lengths.append(self.length)
            self.closing = None
            if len(self.lengths) > MAX_SHEET_CELLS:
                raise InputFileError(
                    f"{self.package.path}: {self.member} holds more than {MAX_SHEET_CELLS:,} "
                    "shared texts; split the workbook into smaller files"
                )
        elif self.closing is None and self.state == "inside" and local_name(name) == "sst":
            self.state = "after"

    def text(self, data: str) -> None:
        self.run += len(data)
        if self.closing is not None:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise Stop(len(self.lengths))
        elif self.run > MAX_CELL_CHARS:
            refuse(self.package, self.member, f"holds a text of {TOO_LONG}")


def _exact_shared(package: Package, member: str) -> SharedTexts:
    scan = _SharedScan(package, member)
    try:
        parse(package, member, scan)
    except Stop as long_text:
        index: int = long_text.value  # type: ignore[assignment]
        raise InputFileError(
            f"{package.path}: {_user_of(package, index)} holds {TOO_LONG}"
        ) from None
    return SharedTexts(scan.lengths)


class _SheetScan(CellScan):
    """The used range, the longest text and all the text calamine would hold of a sheet."""

    def __init__(self, label: str, shared: SharedTexts) -> None:
        super().__init__(label)
        self.shared = shared
        self.chars = shared.total
        self.has_value = False
        self.last_row: tuple[int, int] = (-1, 0)
        self.last_column: tuple[int, int] = (0, -1)

    def open_cell(self) -> None:
        self.has_value = False

    def open_part(self, local: str) -> None:
        self.has_value |= local == "is" or (local == "v" and self.kind not in _DEFAULT_TYPES)

    def text(self, data: str) -> None:
        super().text(data)
        self.chars += len(data)
        if self.in_value and data:
            self.has_value = True
        if self.chars > MAX_SHEET_CHARS:
            self._too_much_text()

    def close_cell(self) -> None:
        index = self.shared_index()
        if index is not None and index < len(self.shared.lengths):
            self.chars += self.shared.lengths[index]
            if self.chars > MAX_SHEET_CHARS:
                self._too_much_text()
        if not self.has_value or self.cell is None:
            return
        if self.cell[0] > self.last_row[0]:
            self.last_row = self.cell
        if self.cell[1] > self.last_column[1]:
            self.last_column = self.cell
        rows, columns = self.last_row[0] + 1, self.last_column[1] + 1
        if rows * columns <= MAX_SHEET_CELLS:
            return
        if self.last_row == self.last_column:
            far = f"cell {cell_name(*self.last_row)} holds a value far outside the data"
        else:
            far = (
                f"the values reach row {rows:,} (cell {cell_name(*self.last_row)}) and column "
                f"{column_letter(columns - 1)} (cell {cell_name(*self.last_column)}), so a "
                "value lies far outside the data"
            )
        raise InputFileError(
            f"{self.label}: {far}: the sheet would be {rows:,} rows by {columns:,} columns, "
            f"more than the {MAX_SHEET_CELLS:,} cells read; delete it or clear the "
            "rows/columns beyond your table"
        )

    def _too_much_text(self) -> None:
        raise InputFileError(
            f"{self.label}: its cells hold more than {MAX_SHEET_CHARS:,} characters (a shared "
            "text counted for each cell that uses it), more than is read from one sheet; "
            "split it into smaller files"
        )


class _SharedUse(CellScan):
    """Stops at the first cell that uses a given shared text."""

    def __init__(self, index: int) -> None:
        super().__init__("")
        self.index = index

    def close_cell(self) -> None:
        if self.shared_index() == self.index and self.cell is not None:
            raise Stop(cell_name(*self.cell))


def _user_of(package: Package, index: int) -> str:
    """Where shared text ``index`` is used: 'cell B2 of sheet 'Tasks'' if a sheet uses it."""
    for sheet in package.sheets:
        if sheet.part is None:
            continue
        try:
            parse(package, sheet.part, _SharedUse(index))
        except Stop as found:
            return f"cell {found.value} of sheet '{sheet.name}'"
        except InputFileError:
            continue
    return f"shared text {index + 1} (used by no cell)"
