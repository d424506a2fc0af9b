"""What calamine does not say about an .xlsx sheet, read from the sheet's XML.

calamine gives each cell's value; a person also sees whether a number is shown as a
percentage (0.15 shows as 15%), and whether a cell shows an Excel error (#DIV/0!) or a
formula whose result was never saved (files written by scripts rather than Excel), which
calamine reads as empty. Those cells must not pass as empty: each is a problem on its row.

The sheet's XML is scanned only when it can hold such cells, so ordinary files cost one
substring search.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

_ZIP_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTRIBUTE = re.compile(rb'\b([rts])="([^"]*)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>(.*?)</(?:\w+:)?v>|<(?:\w+:)?v\s*/>", re.S)
_REFERENCE = re.compile(r"([A-Z]+)([0-9]+)")
_PERCENT_FORMAT_IDS = frozenset({"9", "10"})  # Excel's built-in 0% and 0.00%
_QUOTED_IN_FORMAT = re.compile(r'"[^"]*"|\\.')


@dataclass
class CellNotes:
    """Cells by (row, column), 0-based from A1."""

    problems: dict[tuple[int, int], str] = field(default_factory=dict)
    """Cells without a readable value, with the reason and the fix."""
    percent: set[tuple[int, int]] = field(default_factory=set)
    """Cells shown as a percentage."""


def cell_notes(path: Path, sheet: str) -> CellNotes:
    """The notes of one sheet of an .xlsx/.xlsm file; none for other formats or odd files."""
    notes = CellNotes()
    if path.suffix.lower() not in _ZIP_SUFFIXES or not zipfile.is_zipfile(path):
        return notes
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, sheet)
            if part is None:
                return notes
            percent_styles = _percent_styles(archive)
            data = archive.read(part)
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return notes  # calamine read the values; the notes are an extra
    if percent_styles or _FORMULA.search(data) or b't="e"' in data:
        _scan(data, percent_styles, notes)
    return notes


def _scan(data: bytes, percent_styles: frozenset[str], notes: CellNotes) -> None:
    for match in _CELL.finditer(data):
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        where = _position(attributes.get(b"r", b"").decode("ascii", "replace"))
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
        elif attributes.get(b"s", b"").decode("ascii", "replace") in percent_styles:
            notes.percent.add(where)


def _cached(value: re.Match[bytes] | None, kind: bytes | None) -> bool:
    """Whether a formula cell holds its saved result (an empty one only as text)."""
    if value is None:
        return False
    return bool(value.group(1)) or kind == b"str"


def _position(reference: str) -> tuple[int, int] | None:
    """(row, column), 0-based, of a reference such as 'F2'."""
    match = _REFERENCE.fullmatch(reference)
    if match is None:
        return None
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - 64
    return int(match.group(2)) - 1, column - 1


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(element: ElementTree.Element, name: str) -> str | None:
    """An attribute by local name, whatever its namespace."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the named sheet's cells."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    ids = [
        _attribute(element, "id")
        for element in workbook.iter()
        if _local(element.tag) == "sheet" and element.get("name") == sheet
    ]
    if not ids:
        return None
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for relation in relations.iter():
        if _local(relation.tag) == "Relationship" and relation.get("Id") == ids[0]:
            target = relation.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    return None


def _percent_styles(archive: zipfile.ZipFile) -> frozenset[str]:
    """Indexes (as text, like a cell's s="...") of the cell styles that show a percentage."""
    try:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return frozenset()
    percent_ids = set(_PERCENT_FORMAT_IDS)
    for element in styles.iter():
        if _local(element.tag) == "numFmt":
            code = _QUOTED_IN_FORMAT.sub("", element.get("formatCode", ""))
            if "%" in code:
                percent_ids.add(element.get("numFmtId", ""))
    formats = next((e for e in styles.iter() if _local(e.tag) == "cellXfs"), None)
    if formats is None:
        return frozenset()
    return frozenset(
        str(index)
        for index, style in enumerate(e for e in formats if _local(e.tag) == "xf")
        if style.get("numFmtId") in percent_ids
    )
