"""What calamine does not say about an .xlsx sheet, read from the sheet's XML.

calamine gives each cell's value; a person also sees whether a number is shown as a
percentage (0.15 shows as 15%) or padded with zeros (100455 formatted 0000000 shows as
0100455, the usual way to keep the leading zeros of an id typed as a number), and whether a
cell shows an Excel error (#DIV/0!) or a formula whose result was never saved (files written
by scripts rather than Excel), which calamine reads as empty. Those cells must not pass as
empty: each is a problem on its row.

The sheet is streamed, never held whole: a byte search over its chunks finds whether it can
hold such a cell at all (a style read as shown, a formula, an error), so ordinary files cost
a few substring searches; only then does expat read its cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree

from importer.errors import InputFileError
from importer.reading.xlsx_expat import Scan, local_name, parse
from importer.reading.xlsx_package import Package, cell_position

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
"""A formula's start tag, for the byte search that decides whether to parse the sheet."""
_ERROR_TYPES = (b't="e"', b"t='e'")
_BUILT_IN_PERCENT = ("9", "10")  # Excel's built-in 0% and 0.00%
_LITERAL = r'"[^"]*"|\\.'
"""Text a number format shows as written: quoted, or one character after a backslash."""
_QUOTED_IN_FORMAT = re.compile(_LITERAL)
_ZERO_PADDED = re.compile(rf"((?:{_LITERAL})*)(00+)((?:{_LITERAL})*)")


@dataclass(frozen=True)
class Shown:
    """How a cell's number format shows a number, for the formats read as shown."""

    percent: bool = False
    digits: int = 0
    """Whole numbers are padded with zeros to this many digits (format 0000000)."""
    prefix: str = ""
    suffix: str = ""
    """Text the format shows before and after the digits (format "ID-"00000)."""


@dataclass
class CellNotes:
    """Cells by (row, column), 0-based from A1."""

    problems: dict[tuple[int, int], str] = field(default_factory=dict)
    """Cells without a readable value, with the reason and the fix."""
    shown: dict[tuple[int, int], Shown] = field(default_factory=dict)
    """Cells whose number is read as its format shows it."""


def cell_notes(package: Package, sheet: str) -> CellNotes:
    """The notes of one sheet of an .xlsx/.xlsm workbook; none for odd files.

    A sheet that holds a cell to note and is not well-formed XML is refused (InputFileError),
    as importer.reading.xlsx_scan refuses it when it parses it.
    """
    notes = CellNotes()
    part = package.sheet_part(sheet)
    if part is None:
        return notes
    try:
        shown = _shown_styles(package)
        if not _may_hold_notes(package.chunks(part), shown):
            return notes
    except (InputFileError, ElementTree.ParseError):
        return notes  # calamine read the values; the notes are an extra
    parse(package, part, _NoteScan(shown, notes))
    return notes


def _may_hold_notes(chunks: Iterable[bytes], shown: dict[str, Shown]) -> bool:
    """Whether the sheet's XML holds a cell of a style read as shown, a formula or an error
    (a byte search: True can be a false alarm, False is sure)."""
    markers = [
        *_ERROR_TYPES,
        *(f"s={quote}{style}{quote}".encode() for style in shown for quote in "\"'"),
    ]
    for piece in _whole_tags(chunks):
        if _FORMULA_TAG.search(piece) or any(marker in piece for marker in markers):
            return True
    return False


def _whole_tags(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The stream cut just before the last '<' of each chunk, so no tag is split."""
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk
        cut = buffer.rfind(b"<")
        if cut > 0:
            yield buffer[:cut]
            buffer = buffer[cut:]
        carry = buffer
    if carry:
        yield carry


class _NoteScan(Scan):
    """Notes each cell (``<c>`` with its reference) as it closes: an error, a formula without
    its saved result (its first ``<v>`` missing or empty), or a number in a style read as
    shown."""

    def __init__(self, shown: dict[str, Shown], notes: CellNotes) -> None:
        self.shown = shown
        self.notes = notes
        self.cell: dict[str, str] | None = None
        """The open cell's attributes."""
        self.formula = False
        self.has_value = False
        """Whether the open cell has a <v>; ``value`` holds the text of its first one."""
        self.value: list[str] = []
        self.in_value = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = local_name(name)
        if local == "c":
            self.cell, self.formula, self.has_value = attributes, False, False
        elif self.cell is None:
            return
        elif local == "f":
            self.formula = True
        elif local == "v" and not self.has_value:
            self.has_value, self.in_value, self.value = True, True, []

    def end(self, name: str) -> None:
        local = local_name(name)
        if local == "v":
            self.in_value = False
        elif local == "c" and self.cell is not None:
            self._note(self.cell)
            self.cell = None

    def text(self, data: str) -> None:
        if self.in_value:
            self.value.append(data)

    def _note(self, attributes: dict[str, str]) -> None:
        reference = attributes.get("r", "")
        where = cell_position(reference)
        if where is None:
            return
        kind = attributes.get("t")
        value = "".join(self.value) if self.has_value else ""
        if kind == "e":
            self.notes.problems[where] = (
                f"cell {reference} shows the Excel error {value or '(error)'}; "
                "fix the formula or type the value"
            )
        elif self.formula and not (value or (self.has_value and kind == "str")):
            self.notes.problems[where] = (
                f"cell {reference} holds a formula whose result is not saved in the file; "
                "open the file in Excel and save it (Excel saves the results), or type the value"
            )
        elif attributes.get("s") in self.shown:
            self.notes.shown[where] = self.shown[attributes["s"]]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _shown_styles(package: Package) -> dict[str, Shown]:
    """The cell styles (their index as a cell's s="..." holds it) whose number format is read
    as shown: percentages and zero-padded whole numbers."""
    member = package.part("styles.xml")
    if member is None:
        return {}
    styles = ElementTree.fromstring(package.read(member))
    formats = dict.fromkeys(_BUILT_IN_PERCENT, Shown(percent=True))
    for element in styles.iter():
        if _local(element.tag) == "numFmt":
            shape = _format_shape(element.get("formatCode", ""))
            if shape is not None:
                formats[element.get("numFmtId", "")] = shape
    cell_formats = next((e for e in styles.iter() if _local(e.tag) == "cellXfs"), None)
    if cell_formats is None:
        return {}
    return {
        str(index): formats[style.get("numFmtId", "")]
        for index, style in enumerate(e for e in cell_formats if _local(e.tag) == "xf")
        if style.get("numFmtId", "") in formats
    }


def _format_shape(code: str) -> Shown | None:
    """How a format code shows a number, if it is one read as shown."""
    if "%" in _QUOTED_IN_FORMAT.sub("", code):
        return Shown(percent=True)
    padded = _ZERO_PADDED.fullmatch(code)
    if padded is None:
        return None
    before, zeros, after = padded.groups()
    return Shown(digits=len(zeros), prefix=_literal_text(before), suffix=_literal_text(after))


def _literal_text(parts: str) -> str:
    return "".join(
        part[1:-1] if part.startswith('"') else part[1:]
        for part in _QUOTED_IN_FORMAT.findall(parts)
    )
