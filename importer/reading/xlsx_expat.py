"""Streaming a workbook part through expat, and following its cells as calamine places them.

``parse`` never holds a text whole: expat gets the part a chunk at a time, and a tag,
comment or instruction longer than MAX_PENDING_BYTES, a DOCTYPE, or XML that is not
well-formed is refused as a damaged file.
"""

from __future__ import annotations

from xml.parsers import expat

from importer.errors import InputFileError
from importer.reading.limits import MAX_CELL_CHARS
from importer.reading.xlsx_package import DAMAGED, Package, cell_name, cell_position

MAX_PENDING_BYTES = 2 * MAX_CELL_CHARS
"""Most bytes expat may hold for one unfinished tag, comment or instruction."""
TOO_LONG = (
    f"more than {MAX_CELL_CHARS:,} characters (a spreadsheet cell holds at most 32,767); "
    "check that this is the right file"
)
KEPT_TEXT = 1000
"""Most characters kept of one cell's text (headers are short)."""


class Stop(Exception):
    """Ends an expat scan early (``value``: what it found)."""

    def __init__(self, value: object = None) -> None:
        self.value = value


class Scan:
    """Handlers for expat; ``text`` is called with character data a piece at a time."""

    def start(self, name: str, attributes: dict[str, str]) -> None: ...
    def end(self, name: str) -> None: ...
    def text(self, data: str) -> None: ...


def parse(package: Package, member: str, scan: Scan) -> None:
    """Run ``scan`` over the part, streaming; a tag, comment or instruction longer than
    MAX_PENDING_BYTES, a DOCTYPE, or XML that is not well-formed is refused."""
    parser = expat.ParserCreate()
    parser.buffer_text = True  # fewer calls; expat still hands text over every 8 KB
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.text
    parser.StartDoctypeDeclHandler = lambda *_: refuse(package, member, "declares a DOCTYPE")
    fed = 0
    try:
        for chunk in package.chunks(member):
            parser.Parse(chunk, False)
            fed += len(chunk)
            if fed - max(parser.CurrentByteIndex, 0) > MAX_PENDING_BYTES:
                refuse(package, member, f"holds a tag or comment longer than {TOO_LONG}")
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        refuse(package, member, f"is not well-formed XML ({error})")


def refuse(package: Package, member: str, what: str) -> None:
    """Refuse the workbook: its part ``member`` ``what`` (says what is wrong with it)."""
    raise InputFileError(f"{package.path}: its part {member} {what}; {DAMAGED}")


def local_name(name: str) -> str:
    """An element's name without its namespace prefix."""
    return name.rpartition(":")[2] if ":" in name else name


class CellScan(Scan):
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
        local = local_name(name)
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
        local = local_name(name)
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
            raise InputFileError(f"{self.label}: {where} holds a text of {TOO_LONG}")
        if self.in_value and sum(map(len, self.value)) < KEPT_TEXT:
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
