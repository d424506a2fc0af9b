"""Streaming scans of an .xlsx workbook, run before calamine loads any of it.

calamine holds a whole sheet in memory: every cell of the rectangle up to the last value
(counted from A1, as this tool reads it), a copy of a shared text in every cell that uses
it, and all the workbook's shared texts from the moment the file is opened. A 2 KB file with
one stray value at XFD1048576 asks for 17 billion cells and aborts the process; a 1 MB file
can unpack into a gigabyte-long text. These scans stream the parts, never holding a text
whole, and refuse such a file saying where it goes wrong (importer.read_limits has the caps):

- the sheet's used range, rows x columns from A1, within MAX_SHEET_CELLS;
- no text longer than MAX_CELL_CHARS (a shared text, or a text in the sheet);
- the shared texts and the sheet's cells together within MAX_SHEET_CHARS characters, a
  shared text counted once more for each cell that uses it.

Each part is first scanned with byte searches, which can only prove a part within the caps
and which the files Excel, LibreOffice and openpyxl write pass quickly. A part they cannot
prove (written unusually, or past a cap) is scanned again with expat, which decides exactly
and names the cell. ``first_row`` reads a sheet's first row the same way, without loading
the sheet.
"""

from __future__ import annotations

import contextlib
import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter, methodcaller
from xml.parsers import expat

from importer.errors import InputFileError
from importer.read_limits import MAX_CELL_CHARS, MAX_SHEET_CELLS, MAX_SHEET_CHARS
from importer.xlsx_package import DAMAGED, Package, cell_name, cell_position, column_letter

_BLOCK = MAX_CELL_CHARS // 2
"""A '<' in every stretch this long keeps every text and tag under MAX_CELL_CHARS bytes."""
_MAX_PENDING_BYTES = 2 * MAX_CELL_CHARS
"""Most bytes expat may hold for one unfinished tag, comment or instruction."""
_CELL = re.compile(
    rb'<c(?: r="([A-Z]{1,3})([0-9]{1,7})"(?: (?:s|t|cm|vm|ph)="[^"<>&]*")*\s?/?>|[\s/>])'
)
"""A cell's start tag: written as Excel, LibreOffice and openpyxl write it (reference and
position captured), or any other way (nothing captured)."""
_PREFIXED = re.compile(rb":[cv][\s/>]")
_VALUE = re.compile(rb"<v(?:>([0-9]{1,10})</v>|(>)|)")
"""A <v> element: a whole number it holds (maybe a shared text's index), or '>' for any
other value, or neither (written otherwise, or another element starting with v)."""
_CELL_MARKUP = len('<c r="A1">')
"""The fewest bytes of a cell's start tag, which are no text."""
_SHARED_OPENING = len("<si>")
"""Bytes of a shared string's XML that are no text (the split took its "</si>")."""
_UNIQUE_COUNT = re.compile(rb'<sst\s[^>]*?\buniqueCount="([0-9]+)"')
_TOO_LONG = (
    f"more than {MAX_CELL_CHARS:,} characters (a spreadsheet cell holds at most 32,767); "
    "check that this is the right file"
)
_DEFAULT_TYPES = frozenset({None, "n", "s", "b", "e"})
"""Cell types whose empty <v> calamine reads as no value."""
_KEPT_TEXT = 1000
"""Most characters kept of one cell by ``first_row`` (headers are short)."""


class _Unsure(Exception):
    """The byte search cannot prove the part within the caps: scan it with expat."""


class _Stop(Exception):
    """Ends an expat scan early (``value``: what it found)."""

    def __init__(self, value: object = None) -> None:
        self.value = value


@dataclass
class SharedTexts:
    """The shared strings' sizes: ``lengths[i]`` is at least the length of text ``i``."""

    lengths: array = field(default_factory=lambda: array("I"))

    def __post_init__(self) -> None:
        self.longest = max(self.lengths, default=0)
        self.total = sum(self.lengths)


def check_workbook(package: Package) -> SharedTexts:
    """Check the parts calamine reads as it opens the workbook; the shared texts' sizes."""
    styles = package.part("styles.xml")
    if styles is not None:
        package.read(styles)  # refused past MAX_PART_BYTES
    member = package.part("sharedStrings.xml")
    if member is None:
        return SharedTexts()
    try:
        shared = _quick_shared(package, member)
    except _Unsure:
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
        if _quick_sheet(package, member, shared):
            return
    except _Unsure:
        pass
    _parse(package, member, _SheetScan(f"{package.path}, sheet '{sheet}'", shared))


def first_row(package: Package, sheet: str, width: int) -> list[str] | None:
    """The first ``width`` cells of the sheet's first row that holds a value, as text
    (shared texts looked up; at most 1,000 characters each), read without loading the
    sheet; None if it has no value or the workbook does not hold that sheet."""
    member = package.sheet_part(sheet)
    if member is None:
        return None
    try:
        _parse(package, member, _FirstRow(width))
    except _Stop as found:
        cells: dict[int, str | int] = found.value  # type: ignore[assignment]
    else:
        return None
    wanted = {value for value in cells.values() if isinstance(value, int)}
    texts = _shared_texts(package, wanted) if wanted else {}
    row = [""] * width
    for column, value in cells.items():
        row[column] = texts.get(value, "") if isinstance(value, int) else value
    return row


# --- the byte searches -------------------------------------------------------------------------


def _pieces(chunks: Iterable[bytes], mark: bytes, after: bool) -> Iterator[bytes]:
    """The stream cut at the last ``mark`` of each chunk (just before it, or just after), so
    that a piece never ends between two marks; _Unsure past MAX_CELL_CHARS without one."""
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk
        cut = buffer.rfind(mark)
        if cut > 0 or (after and cut == 0):
            cut += len(mark) if after else 0
            yield buffer[:cut]
            carry = buffer[cut:]
        else:
            carry = buffer
        if len(carry) > MAX_CELL_CHARS:
            raise _Unsure
    if carry:
        yield carry


def _body(piece: bytes, first: bool) -> bytes:
    """A piece without the XML declaration that may open the part; _Unsure if it holds a
    comment, CDATA, DOCTYPE or processing instruction (their length is not bounded here)."""
    if first:
        piece = piece.removeprefix(b"\xef\xbb\xbf")
        if piece.startswith(b"<?xml"):
            piece = piece[piece.find(b"?>") + 2 :]
    if b"<!" in piece or b"<?" in piece:
        raise _Unsure
    return piece


def _quick_shared(package: Package, member: str) -> SharedTexts:
    """Each shared string's length in bytes of XML (never less than its text)."""
    lengths = array("I")
    first = True
    for piece in _pieces(package.chunks(member), b"</si>", after=True):
        body = _body(piece, first)
        if first:
            start = body.find(b"<sst")
            if start < 0 or -1 < body.find(b"<si") < start:
                raise _Unsure
            unique = _UNIQUE_COUNT.search(body)
            if unique:
                _check_unique_count(package, member, int(unique.group(1)))
            first = False
        strings = piece.split(b"</si>")
        if strings.pop().count(b"<si") or set(map(methodcaller("count", b"<si"), strings)) - {1}:
            raise _Unsure
        lengths.extend(len(string) - _SHARED_OPENING for string in strings)
        if len(lengths) > MAX_SHEET_CELLS or max(map(len, strings), default=0) > MAX_CELL_CHARS:
            raise _Unsure
    shared = SharedTexts(lengths)
    if shared.total > MAX_SHEET_CHARS:
        raise _Unsure
    return shared


def _quick_sheet(package: Package, member: str, shared: SharedTexts) -> bool:
    """Whether the sheet is provably within the caps (its used range counts every cell,
    empty or not; every text in it counts, a shared text by its upper bound)."""
    rows = columns = text = from_shared = 0
    lengths = shared.lengths
    for number, piece in enumerate(_pieces(package.chunks(member), b"<", after=False)):
        body = _body(piece, number == 0)
        if _PREFIXED.search(body) or any(
            body.find(b"<", start, start + _BLOCK) < 0 for start in range(0, len(body), _BLOCK)
        ):
            raise _Unsure
        cells = _CELL.findall(piece)
        text += len(piece) - _CELL_MARKUP * len(cells)  # all but the cells' tags may be text
        if cells:
            letters = set(map(itemgetter(0), cells))
            if b"" in letters:
                raise _Unsure
            rows = max(rows, max(map(int, set(map(itemgetter(1), cells)))))
            columns = max(columns, max(map(_column_number, letters)))
        if lengths:
            from_shared += _shared_in_values(piece, lengths)
    return (
        rows * columns <= MAX_SHEET_CELLS and shared.total + text + from_shared <= MAX_SHEET_CHARS
    )


def _shared_in_values(piece: bytes, lengths: array) -> int:
    """The most shared text the cell values in ``piece`` can stand for: a value that is a
    whole number can be a shared text's index, any other reads as index 0 (as calamine
    reads it)."""
    values = _VALUE.findall(piece)
    if not values:
        return 0
    if (b"", b"") in values:
        raise _Unsure
    indexes = [*map(int, filter(None, map(itemgetter(0), values)))]
    others = len(values) - len(indexes)
    if indexes and max(indexes) >= len(lengths):
        indexes = [index for index in indexes if index < len(lengths)]
    return sum(map(lengths.__getitem__, indexes)) + others * lengths[0]


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_unique_count(package: Package, member: str, count: int) -> None:
    """calamine reserves room for the count the shared strings declare."""
    if count > MAX_SHEET_CELLS:
        raise InputFileError(
            f"{package.path}: {member} declares {count:,} shared texts, more than the "
            f"{MAX_SHEET_CELLS:,} read; the file is damaged or not a task list: {DAMAGED}"
        )


# --- expat: exact scans --------------------------------------------------------------------------


class _Scan:
    """Handlers for expat; ``text`` is called with character data a piece at a time."""

    def start(self, name: str, attributes: dict[str, str]) -> None: ...
    def end(self, name: str) -> None: ...
    def text(self, data: str) -> None: ...


def _parse(package: Package, member: str, scan: _Scan) -> None:
    """Run ``scan`` over the part, streaming; a tag, comment or instruction longer than
    _MAX_PENDING_BYTES, a DOCTYPE, or XML that is not well-formed is refused."""
    parser = expat.ParserCreate()
    parser.buffer_text = True  # fewer calls; expat still hands text over every 8 KB
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.text
    parser.StartDoctypeDeclHandler = lambda *_: _refuse(package, member, "declares a DOCTYPE")
    fed = 0
    try:
        for chunk in package.chunks(member):
            parser.Parse(chunk, False)
            fed += len(chunk)
            if fed - max(parser.CurrentByteIndex, 0) > _MAX_PENDING_BYTES:
                _refuse(package, member, f"holds a tag or comment longer than {_TOO_LONG}")
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        _refuse(package, member, f"is not well-formed XML ({error})")


def _refuse(package: Package, member: str, what: str) -> None:
    raise InputFileError(f"{package.path}: its part {member} {what}; {DAMAGED}")


def _local(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


class _SharedScan(_Scan):
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
        local = _local(name)
        if self.state == "before" and local == "sst":
            self.state = "inside"
            unique = attributes.get("uniqueCount", "")
            if unique.isascii() and unique.isdigit():
                _check_unique_count(self.package, self.member, int(unique))
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
        elif self.closing is None and self.state == "inside" and _local(name) == "sst":
            self.state = "after"

    def text(self, data: str) -> None:
        self.run += len(data)
        if self.closing is not None:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise _Stop(len(self.lengths))
        elif self.run > MAX_CELL_CHARS:
            _refuse(self.package, self.member, f"holds a text of {_TOO_LONG}")


def _exact_shared(package: Package, member: str) -> SharedTexts:
    scan = _SharedScan(package, member)
    try:
        _parse(package, member, scan)
    except _Stop as long_text:
        index: int = long_text.value  # type: ignore[assignment]
        raise InputFileError(
            f"{package.path}: {_user_of(package, index)} holds {_TOO_LONG}"
        ) from None
    return SharedTexts(scan.lengths)


class _Cells(_Scan):
    """Follows cells as calamine places them: by their reference, else after the previous
    cell of the row; a row by its number, else after the previous row."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.row = self.column = 0
        self.cell: tuple[int, int] | None = None
        self.kind: str | None = None
        self.in_value = False
        self.value: list[str] = []
        self.run = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.run = 0
        local = _local(name)
        if local == "c":
            reference = attributes.get("r")
            if reference is None:
                self.cell = (self.row, self.column)
            else:
                self.cell = self._position(reference)
                self.column = self.cell[1]
            self.kind, self.in_value, self.value = attributes.get("t"), False, []
            self.open_cell()
        elif self.cell is not None:
            self.in_value = local in ("v", "t")
            self.open_part(local)
        elif local == "row" and "r" in attributes:
            self.row = self._position(f"A{attributes['r']}", attributes["r"])[0]

    def end(self, name: str) -> None:
        self.run = 0
        local = _local(name)
        if local == "c" and self.cell is not None:
            self.close_cell()
            self.column += 1
            self.cell = None
        elif local in ("v", "t"):
            self.in_value = False
        elif local == "row":
            self.close_row()
            self.row += 1
            self.column = 0

    def text(self, data: str) -> None:
        self.run += len(data)
        if self.run > MAX_CELL_CHARS:
            where = f"cell {cell_name(*self.cell)}" if self.cell else f"row {self.row + 1}"
            raise InputFileError(f"{self.label}: {where} holds a text of {_TOO_LONG}")
        if self.in_value and sum(map(len, self.value)) < _KEPT_TEXT:
            self.value.append(data)

    def _position(self, reference: str, written: str | None = None) -> tuple[int, int]:
        """(row, column) of a cell reference (``written`` as the file writes it)."""
        position = cell_position(reference)
        if position is None:
            raise InputFileError(
                f"{self.label}: {written or reference!r} is not a cell or row reference; {DAMAGED}"
            )
        return position

    def shared_index(self) -> int | None:
        """The shared text the open cell uses, if it is one."""
        text = "".join(self.value)
        if self.kind != "s":
            return None
        return int(text) if text.isascii() and text.isdigit() else 0

    def open_cell(self) -> None: ...
    def open_part(self, local: str) -> None: ...
    def close_cell(self) -> None: ...
    def close_row(self) -> None: ...


class _SheetScan(_Cells):
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


class _FirstRow(_Cells):
    """Stops at the end of the first row with a value: its first ``width`` columns ->
    text or shared index."""

    def __init__(self, width: int) -> None:
        super().__init__("")
        self.width = width
        self.cells: dict[int, str | int] = {}
        self.has_value = False

    def close_cell(self) -> None:
        index = self.shared_index()
        text = "".join(self.value)
        if index is not None or text.strip():
            self.has_value = True
            if self.column < self.width:
                self.cells[self.column] = index if index is not None else text

    def close_row(self) -> None:
        if self.has_value:
            raise _Stop(self.cells)


class _SharedUse(_Cells):
    """Stops at the first cell that uses a given shared text."""

    def __init__(self, index: int) -> None:
        super().__init__("")
        self.index = index

    def close_cell(self) -> None:
        if self.shared_index() == self.index and self.cell is not None:
            raise _Stop(cell_name(*self.cell))


def _user_of(package: Package, index: int) -> str:
    """Where shared text ``index`` is used: 'cell B2 of sheet 'Tasks'' if a sheet uses it."""
    for sheet in package.sheets:
        if sheet.part is None:
            continue
        try:
            _parse(package, sheet.part, _SharedUse(index))
        except _Stop as found:
            return f"cell {found.value} of sheet '{sheet.name}'"
        except InputFileError:
            continue
    return f"shared text {index + 1} (used by no cell)"


class _SharedText(_Scan):
    """The texts of the wanted shared strings (up to the last one wanted)."""

    def __init__(self, wanted: set[int]) -> None:
        self.wanted, self.last = wanted, max(wanted)
        self.texts: dict[int, str] = {}
        self.index = -1
        self.closing: str | None = None
        self.parts: list[str] = []

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.closing is None and _local(name) == "si":
            self.closing, self.parts = name, []
            self.index += 1

    def end(self, name: str) -> None:
        if name == self.closing:
            self.closing = None
            if self.index in self.wanted:
                self.texts[self.index] = "".join(self.parts)
            if self.index >= self.last:
                raise _Stop

    def text(self, data: str) -> None:
        if self.closing is not None and sum(map(len, self.parts)) < _KEPT_TEXT:
            self.parts.append(data)


def _shared_texts(package: Package, wanted: set[int]) -> dict[int, str]:
    member = package.part("sharedStrings.xml")
    if member is None:
        return {}
    scan = _SharedText(wanted)
    with contextlib.suppress(_Stop):
        _parse(package, member, scan)
    return scan.texts
