"""What calamine does not say about an .xlsx sheet, read from the sheet's XML.

calamine gives each cell's value; a person also sees whether a number is shown as a
percentage (0.15 shows as 15%) or padded with zeros (100455 formatted 0000000 shows as
0100455, the usual way to keep the leading zeros of an id typed as a number), and whether a
cell shows an Excel error (#DIV/0!) or a formula whose result was never saved (files written
by scripts rather than Excel), which calamine reads as empty. Those cells must not pass as
empty: each is a problem on its row.

The sheet's XML is scanned only when it can hold such cells, so ordinary files cost a few
substring searches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree import ElementTree

from importer.errors import InputFileError
from importer.reading.xlsx_package import Package, cell_position

_CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTRIBUTE = re.compile(rb'\b([rts])="([^"]*)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>(.*?)</(?:\w+:)?v>|<(?:\w+:)?v\s*/>", re.S)
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
    """The notes of one sheet of an .xlsx/.xlsm workbook; none for odd files."""
    notes = CellNotes()
    part = package.sheet_part(sheet)
    if part is None:
        return notes
    try:
        shown = _shown_styles(package)
        data = package.read(part, limit=None)  # the sheet was checked: importer.reading.xlsx_scan
    except (InputFileError, ElementTree.ParseError):
        return notes  # calamine read the values; the notes are an extra
    used = {style: shape for style, shape in shown.items() if b's="%s"' % style in data}
    if used or _FORMULA.search(data) or b't="e"' in data:
        _scan(data, used, notes)
    return notes


def _scan(data: bytearray, shown_styles: dict[bytes, Shown], notes: CellNotes) -> None:
    for match in _CELL.finditer(data):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        where = cell_position(attributes.get(b"r", b"").decode("ascii", "replace"))
        if where is None:
            continue
        content = match.group(2) or b""
        value = _VALUE.search(content)
        reference = attributes[b"r"].decode("ascii")
        if attributes.get(b"t") == b"e":
            shown = (value.group(1) or b"").decode("utf-8", "replace") if value else ""
            notes.problems[where] = (
                f"cell {reference} shows the Excel error {shown or '(error)'}; "
                "fix the formula or type the value"
            )
        elif _FORMULA.search(content) and not _cached(value, attributes.get(b"t")):
            notes.problems[where] = (
                f"cell {reference} holds a formula whose result is not saved in the file; "
                "open the file in Excel and save it (Excel saves the results), or type the value"
            )
        elif attributes.get(b"s") in shown_styles:
            notes.shown[where] = shown_styles[attributes[b"s"]]


def _cached(value: re.Match[bytes] | None, kind: bytes | None) -> bool:
    """Whether a formula cell holds its saved result (an empty one only as text)."""
    if value is None:
        return False
    return bool(value.group(1)) or kind == b"str"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _shown_styles(package: Package) -> dict[bytes, Shown]:
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
        str(index).encode(): formats[style.get("numFmtId", "")]
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
