"""The byte searches that prove a workbook part within the caps without parsing it.

The files Excel, LibreOffice and openpyxl write pass them quickly. A part they cannot prove
(written unusually, or past a cap) raises Unsure: importer.reading.xlsx_scan then scans it
exactly with expat.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter, methodcaller

from importer.errors import InputFileError
from importer.reading.limits import MAX_CELL_CHARS, MAX_SHEET_CELLS, MAX_SHEET_CHARS
from importer.reading.xlsx_package import DAMAGED, Package

_BLOCK = MAX_CELL_CHARS // 2
"""A '<' in every stretch this long keeps every text and tag under MAX_CELL_CHARS bytes."""
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


class Unsure(Exception):
    """The byte search cannot prove the part within the caps: scan it with expat."""


@dataclass
class SharedTexts:
    """The shared strings' sizes: ``lengths[i]`` is at least the length of text ``i``."""

    lengths: array = field(default_factory=lambda: array("I"))

    def __post_init__(self) -> None:
        self.longest = max(self.lengths, default=0)
        self.total = sum(self.lengths)


def _pieces(chunks: Iterable[bytes], mark: bytes, after: bool) -> Iterator[bytes]:
    """The stream cut at the last ``mark`` of each chunk (just before it, or just after), so
    that a piece never ends between two marks; Unsure past MAX_CELL_CHARS without one."""
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
            raise Unsure
    if carry:
        yield carry


def _body(piece: bytes, first: bool) -> bytes:
    """A piece without the XML declaration that may open the part; Unsure if it holds a
    comment, CDATA, DOCTYPE or processing instruction (their length is not bounded here)."""
    if first:
        piece = piece.removeprefix(b"\xef\xbb\xbf")
        if piece.startswith(b"<?xml"):
            piece = piece[piece.find(b"?>") + 2 :]
    if b"<!" in piece or b"<?" in piece:
        raise Unsure
    return piece


def quick_shared(package: Package, member: str) -> SharedTexts:
    """Each shared string's length in bytes of XML (never less than its text)."""
    lengths = array("I")
    first = True
    for piece in _pieces(package.chunks(member), b"</si>", after=True):
        body = _body(piece, first)
        if first:
            start = body.find(b"<sst")
            if start < 0 or -1 < body.find(b"<si") < start:
                raise Unsure
            unique = _UNIQUE_COUNT.search(body)
            if unique:
                check_unique_count(package, member, int(unique.group(1)))
            first = False
        strings = piece.split(b"</si>")
        if strings.pop().count(b"<si") or set(map(methodcaller("count", b"<si"), strings)) - {1}:
            raise Unsure
        lengths.extend(len(string) - _SHARED_OPENING for string in strings)
        if len(lengths) > MAX_SHEET_CELLS or max(map(len, strings), default=0) > MAX_CELL_CHARS:
            raise Unsure
    shared = SharedTexts(lengths)
    if shared.total > MAX_SHEET_CHARS:
        raise Unsure
    return shared


def quick_sheet(package: Package, member: str, shared: SharedTexts) -> bool:
    """Whether the sheet is provably within the caps (its used range counts every cell,
    empty or not; every text in it counts, a shared text by its upper bound)."""
    rows = columns = text = from_shared = 0
    lengths = shared.lengths
    for number, piece in enumerate(_pieces(package.chunks(member), b"<", after=False)):
        body = _body(piece, number == 0)
        if _PREFIXED.search(body) or any(
            body.find(b"<", start, start + _BLOCK) < 0 for start in range(0, len(body), _BLOCK)
        ):
            raise Unsure
        cells = _CELL.findall(piece)
        text += len(piece) - _CELL_MARKUP * len(cells)  # all but the cells' tags may be text
        if cells:
            letters = set(map(itemgetter(0), cells))
            if b"" in letters:
                raise Unsure
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
        raise Unsure
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


def check_unique_count(package: Package, member: str, count: int) -> None:
    """calamine reserves room for the count the shared strings declare."""
    if count > MAX_SHEET_CELLS:
        raise InputFileError(
            f"{package.path}: {member} declares {count:,} shared texts, more than the "
            f"{MAX_SHEET_CELLS:,} read; the file is damaged or not a task list: {DAMAGED}"
        )
