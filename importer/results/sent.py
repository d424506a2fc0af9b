"""Whether a results file records rows sent, read only as far as the first line that does.

validate (and a sandbox run) must not replace a results file that holds a run's ContactIds.
The file is read a line at a time and stops at the first line that records a row sent; a
file that records none is read to its end, but never held whole, looking only at the status
and contact_id cells of each line. The lines up to one that records a row sent are then read
whole, as retry reads them, so that a damaged one is an error.

In a workbook a byte search finds the status and contact_id cells of the Results sheet as
Excel, openpyxl and XlsxWriter write them, without loading the sheet; a sheet written any
other way (a cell without its reference, a namespace prefix, a formula or an error in those
columns) is read line by line instead.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from importer.reading.xlsx_first_row import first_row, shared_texts
from importer.reading.xlsx_package import Package, open_package
from importer.results.format import RESULT_COLUMNS, RESULTS_SHEET, is_results_header
from importer.results.read import results_cells, results_lines

_CELL = re.compile(rb'<c r="([BC])([0-9]{1,7})"((?: (?:s|t|cm|vm|ph)="[^"<>&]*")*)\s?(/>|>)')
"""The start tag of a status (B) or contact_id (C) cell, as the writers we know write it."""
_B_OR_C = re.compile(rb'<c r="[BC][0-9]')
_CHECKED = re.compile(
    rb'<c r="B[0-9]{1,7}"(?: s="[0-9]{1,5}")? t="inlineStr"><is><t>(?:valid|invalid)</t></is></c>'
)
"""A status cell of a line that records no row sent, as our results writers write it."""
_EMPTY_CONTACT_ID = re.compile(
    rb'<c r="C[0-9]{1,7}"(?: s="[0-9]{1,5}")?(?:/>| t="inlineStr"><is><t></t></is></c>)'
)
"""An empty contact_id cell, as our results writers write it (or none at all)."""
_ANY_CELL = re.compile(rb"<c[\s/>]")
_PREFIXED = re.compile(rb"<[\w.-]+:(?:c|row|v|is|t|f)[\s/>]")
_KIND = re.compile(rb' t="([^"]*)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")
MAX_CARRY = 8 * 1024 * 1024
"""Most bytes held between two cell ends; a sheet with a longer stretch is read line by line."""
NOT_SENT = ("", "valid", "invalid")
"""The statuses of a line that records no row sent (with no contact_id)."""


class _Unsure(Exception):
    """The sheet is not written as the byte search expects: read it line by line."""


def first_sent_line(path: str | os.PathLike[str]) -> int | None:
    """The number (as Excel shows it) of the first line of a results file that records a
    row sent to Amazon Connect (a contact_id, or a status other than valid or invalid);
    None if no line does. A file that cannot be read as results is an InputFileError."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        package = open_package(path)
        if package is not None:
            with package:
                try:
                    return _first_sent_in_sheet(package)
                except _Unsure:
                    pass
    if _first_sent_record(path) is None:
        return None
    # Read the lines up to it as retry reads them: a damaged one is an error.
    _, lines = results_lines(path)
    return next((line.number for line in lines if line.records_sent), None)


def _first_sent_record(path: Path) -> int | None:
    """The number of the first line whose status and contact_id cells record a row sent
    (only those two cells read: a third of the time of reading each line whole)."""
    cells, _, unprotect_cell = results_cells(path)
    for number, record in cells.records:
        if any(index < len(RESULT_COLUMNS) for index, _ in cells.problems.get(number, ())):
            return number  # a results cell without a readable value: read whole, refused
        status = unprotect_cell(record[1]).strip() if len(record) > 1 else ""
        contact_id = unprotect_cell(record[2]).strip() if len(record) > 2 else ""
        if contact_id or status not in NOT_SENT:
            return number
    return None


def _first_sent_in_sheet(package: Package) -> int | None:
    member = package.sheet_part(RESULTS_SHEET)
    header = first_row(package, RESULTS_SHEET, len(RESULT_COLUMNS))
    if member is None or header is None or not is_results_header(header):
        raise _Unsure  # results_lines says what is wrong
    known: dict[int, str] = {}
    header_row = None
    for piece in _whole_cells(package.chunks(member)):
        if _PREFIXED.search(piece) or len(_ANY_CELL.findall(piece)) != piece.count(b'<c r="'):
            raise _Unsure
        if header_row is not None and _all_checked(piece):
            continue
        cells = list(_cells(piece))
        wanted = {value for *_, value in cells if isinstance(value, int) and value not in known}
        if wanted:
            known.update(shared_texts(package, wanted))
            if not wanted <= known.keys():
                raise _Unsure
        for row, column, value in cells:
            text = (known[value] if isinstance(value, int) else value).strip()
            if not text:
                continue
            if header_row is None:
                header_row = row  # the header: the first row with a status or contact_id
            elif row != header_row and (column == b"C" or text not in NOT_SENT):
                return row
    return None


def _cells(piece: bytes) -> Iterator[tuple[int, bytes, str | int]]:
    """The status and contact_id cells of a piece of the sheet: (row, column letter, text
    or shared text index)."""
    found = 0
    for match in _CELL.finditer(piece):
        found += 1
        column, row, attributes, closing = match.groups()
        body = b""
        if closing == b">":
            end = piece.find(b"</c>", match.end())
            if end < 0:
                raise _Unsure
            body = piece[match.end() : end]
        yield int(row), column, _value(attributes, body)
    if found != len(_B_OR_C.findall(piece)):
        raise _Unsure


def _all_checked(piece: bytes) -> bool:
    """Whether every status cell of the piece says valid or invalid and every contact_id
    cell is empty, as our writers write them (a quick answer for most of a validated file)."""
    statuses, contact_ids = piece.count(b'<c r="B'), piece.count(b'<c r="C')
    return statuses == len(_CHECKED.findall(piece)) and contact_ids == len(
        _EMPTY_CONTACT_ID.findall(piece)
    )


def _value(attributes: bytes, body: bytes) -> str | int:
    """A cell's text, or the index of its shared text."""
    kind = _KIND.search(attributes)
    kind_name = kind.group(1) if kind else b"n"
    if b"<f" in body or kind_name == b"e":
        raise _Unsure  # a formula or an error: results_lines says whether it is readable
    if kind_name == b"inlineStr":
        return html.unescape(b"".join(_TEXT.findall(body)).decode())
    value = _VALUE.search(body)
    if kind_name == b"s":
        if value is None or not value.group(1).isdigit():
            raise _Unsure
        return int(value.group(1))
    return html.unescape(value.group(1).decode()) if value else ""


def _whole_cells(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The stream cut just after the last cell or row end of each chunk, so no cell is
    split."""
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk
        cut = max(_end(buffer, b"</c>"), _end(buffer, b"</row>"))
        if cut:
            yield buffer[:cut]
            buffer = buffer[cut:]
        if len(buffer) > MAX_CARRY:
            raise _Unsure
        carry = buffer
    if carry:
        yield carry


def _end(buffer: bytes, tag: bytes) -> int:
    """Where the last ``tag`` in ``buffer`` ends; 0 if there is none."""
    at = buffer.rfind(tag)
    return at + len(tag) if at >= 0 else 0
