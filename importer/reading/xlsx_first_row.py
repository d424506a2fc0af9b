"""A workbook sheet's first row that holds a value, read without loading the sheet."""

from __future__ import annotations

import contextlib

from importer.reading.xlsx_expat import KEPT_TEXT, CellScan, Scan, Stop, local_name, parse
from importer.reading.xlsx_package import Package


def first_row(package: Package, sheet: str, width: int) -> list[str] | None:
    """The first ``width`` cells of the sheet's first row that holds a value, as text
    (shared texts looked up; at most 1,000 characters each), read without loading the
    sheet; None if it has no value or the workbook does not hold that sheet."""
    member = package.sheet_part(sheet)
    if member is None:
        return None
    try:
        parse(package, member, _FirstRow(width))
    except Stop as found:
        cells: dict[int, str | int] = found.value  # type: ignore[assignment]
    else:
        return None
    wanted = {value for value in cells.values() if isinstance(value, int)}
    texts = shared_texts(package, wanted) if wanted else {}
    row = [""] * width
    for column, value in cells.items():
        row[column] = texts.get(value, "") if isinstance(value, int) else value
    return row


class _FirstRow(CellScan):
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
            raise Stop(self.cells)


class _SharedText(Scan):
    """The texts of the wanted shared strings (up to the last one wanted)."""

    def __init__(self, wanted: set[int]) -> None:
        self.wanted, self.last = wanted, max(wanted)
        self.texts: dict[int, str] = {}
        self.index = -1
        self.closing: str | None = None
        self.parts: list[str] = []

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.closing is None and local_name(name) == "si":
            self.closing, self.parts = name, []
            self.index += 1

    def end(self, name: str) -> None:
        if name == self.closing:
            self.closing = None
            if self.index in self.wanted:
                self.texts[self.index] = "".join(self.parts)
            if self.index >= self.last:
                raise Stop

    def text(self, data: str) -> None:
        if self.closing is not None and sum(map(len, self.parts)) < KEPT_TEXT:
            self.parts.append(data)


def shared_texts(package: Package, wanted: set[int]) -> dict[int, str]:
    """The texts of the ``wanted`` shared strings (at most 1,000 characters each), streamed
    as far as the last one wanted."""
    member = package.part("sharedStrings.xml")
    if member is None:
        return {}
    scan = _SharedText(wanted)
    with contextlib.suppress(Stop):
        parse(package, member, scan)
    return scan.texts
