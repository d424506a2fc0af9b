"""The results workbook (.xlsx): what happened to every row, readable at a glance in Excel.

Sheet ``Results``: the results columns, then the input columns, every value text exactly as
read (never a formula; ``_xlsx_text`` escapes what XML cannot hold, so it reads back the
same). The header row and the row and status columns are frozen, the autofilter is on, each
column is as wide as its longest value (at most MAX_WIDTH characters), and status cells are
coloured: created and valid green, already_created grey, failed and invalid red,
not_attempted amber, stopped (ended by undo) lavender. Each input cell that made a row
invalid is filled red and carries a comment saying what is wrong and how to fix it. An
error that no single input cell caused (a constant from --contact-flow-id, a column the
file lacks) and a row's API error are commented on the status cell.

Sheet ``Summary``: the number of rows and the count of each status that occurs, then the
(label, value) lines given to ``add_summary``, in order (run times, rate, settings, the
retry command line). ``validate`` gives none, so its Summary is the counts alone.

Column widths go before the first row of the sheet, so rows are spooled to an anonymous
temporary file as they arrive (memory stays flat however many rows) and the workbook is
built from the spool on ``close``. openpyxl holds every comment in memory until it saves,
so only the first MAX_COMMENTS problem cells get one; later ones are still filled red, their
errors are in error_message, and the Summary says so.
"""

from __future__ import annotations

import contextlib
import math
import pickle
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from importer.model import Outcome, Status
from importer.results.format import RESULT_COLUMNS, RESULTS_SHEET, outcome_cells

SUMMARY_SHEET = "Summary"
MAX_WIDTH = 60
MAX_COMMENTS = 10_000
XLSX_CELL_LIMIT = 32_767
_TRUNCATED = " [truncated: Excel holds at most 32,767 characters per cell]"
STATUS_COLUMN = RESULT_COLUMNS.index("status")
_FROZEN = "C2"  # the header row and the row and status columns
_AUTHOR = "task-importer"
_FONT = "Calibri"  # the workbook's default font: styled cells look like the others
_COMMENT_WIDTH_PX = 320
_COMMENT_CHARS_PER_LINE = 48
_COMMENT_LIMIT = 2_000  # characters: a comment is a note, error_message has the whole text
_CONTROLS = "\x00-\x08\x0b-\x1f"
"""The C0 controls but tab and line feed: XML forbids them, or (CR) reads them as line feeds."""
_UNSTORABLE = "\ud800-\udfff\ufffe\uffff"
"""Lone surrogates (UTF-8 has no bytes for them) and the noncharacters XML forbids."""
_CELL_ESCAPES = re.compile(f"_x(?=[0-9A-Fa-f]{{4}}[_{_CONTROLS}])|[{_CONTROLS}]|[{_UNSTORABLE}]")
"""What ``_xlsx_text`` changes: a literal ``_x`` where a reader would decode ``_xHHHH_`` (or
where the escape of the control after the digits would complete one), controls, the rest."""
_COMMENT_UNSTORABLE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_UNSTORABLE}]")
"""What a comment cannot hold (CR can be there: read as a line feed, the same to see)."""


class Look(NamedTuple):
    """A cell's fill and font."""

    fill: PatternFill
    font: Font


def _look(background: str, text: str, bold: bool = False) -> Look:
    return Look(
        PatternFill("solid", start_color=background, end_color=background),
        Font(name=_FONT, size=11, color=text, bold=bold),
    )


GREEN = _look("C6EFCE", "006100")
GREY = _look("D9D9D9", "404040")
RED = _look("FFC7CE", "9C0006")
AMBER = _look("FFEB9C", "9C5700")
LAVENDER = _look("E4DFEC", "5B3B8C")
HEADER = _look("DDEBF7", "000000", bold=True)
LABEL = Look(PatternFill(), Font(name=_FONT, size=11, bold=True))
STATUS_LOOKS: dict[str, Look] = {
    Status.VALID: GREEN,
    Status.CREATED: GREEN,
    Status.ALREADY_CREATED: GREY,
    Status.INVALID: RED,
    Status.FAILED: RED,
    Status.NOT_ATTEMPTED: AMBER,
    Status.STOPPED: LAVENDER,
}
PROBLEM = RED
"""The look of an input cell that made its row invalid."""
SUMMARY_ORDER = (
    Status.VALID,
    Status.CREATED,
    Status.ALREADY_CREATED,
    Status.INVALID,
    Status.FAILED,
    Status.NOT_ATTEMPTED,
    Status.STOPPED,
)

_Record = tuple[list[str], str, list[tuple[int, str]]]
"""A spooled row: its cells, its status, and (column index, comment) for each problem cell."""


def error_columns(where: str, columns: Sequence[str]) -> list[str]:
    """The input columns a ``RowError.column`` names; empty when no input cell is to blame.

    It names one header (as the mapping saw it; matched ignoring case), or the columns of a
    format string joined with ", ". Anything else (a field fed by a constant such as
    "ContactFlowId (from --contact-flow-id)", a required field the file has no column for,
    a cell beyond the header) names no cell.
    """
    folded = {name.casefold(): name for name in columns}
    whole = folded.get(where.casefold())
    if whole is not None:
        return [whole]
    parts = [folded.get(part.casefold()) for part in where.split(", ")]
    return [part for part in parts if part is not None] if len(parts) > 1 and all(parts) else []


class ResultsWorkbook:
    """The .xlsx sink of ResultsWriter: ``write`` outcomes, ``add_summary``, then ``close``."""

    def __init__(self, path: Path, input_columns: list[str]) -> None:
        self._path = path
        self._columns = list(input_columns)
        self._header = [*RESULT_COLUMNS, *self._columns]
        self._widths = [len(name) + 2 for name in self._header]  # + the filter button
        self._spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close or discard)
        self._rows = 0
        self._counts: Counter[str] = Counter()
        self._summary: list[tuple[str, str]] = []
        self._cells_for: dict[str, tuple[int, ...]] = {}
        self._comments = 0

    def write(self, outcome: Outcome) -> None:
        cells = outcome_cells(outcome, self._columns)
        self._fit(cells)
        record: _Record = (cells, str(outcome.status), self._problems(outcome))
        pickle.dump(record, self._spool, pickle.HIGHEST_PROTOCOL)
        self._rows += 1
        self._counts[outcome.status] += 1

    def add_summary(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._summary.extend((str(label), str(value)) for label, value in pairs)

    def close(self) -> None:
        workbook = Workbook(write_only=True)
        try:
            self._write_results(workbook.create_sheet(RESULTS_SHEET))
            self._write_summary(workbook.create_sheet(SUMMARY_SHEET))
            workbook.save(self._path)
        except BaseException:
            _discard(workbook)
            raise
        finally:
            self._spool.close()

    def discard(self) -> None:
        self._spool.close()

    # --- while writing ------------------------------------------------------------------------

    def _fit(self, cells: list[str]) -> None:
        widths = self._widths
        for index, cell in enumerate(cells):
            if len(cell) > widths[index] and widths[index] < MAX_WIDTH:
                widths[index] = max(widths[index], min(MAX_WIDTH, _display_width(cell)))

    def _problems(self, outcome: Outcome) -> list[tuple[int, str]]:
        """(column index, comment) for each cell to flag: the errors' cells, else status."""
        notes: dict[int, list[str]] = {}
        for error in outcome.errors:
            for index in self._indexes(error.column) or (STATUS_COLUMN,):
                notes.setdefault(index, []).append(str(error))
        if not outcome.errors and outcome.error_message:
            code, message = outcome.error_code, outcome.error_message
            notes[STATUS_COLUMN] = [f"{code}: {message}" if code else message]
        return [(index, "\n".join(texts)) for index, texts in notes.items()]

    def _indexes(self, where: str) -> tuple[int, ...]:
        found = self._cells_for.get(where)
        if found is None:
            offset = len(RESULT_COLUMNS)
            names = error_columns(where, self._columns)
            found = tuple(offset + self._columns.index(name) for name in names)
            self._cells_for[where] = found
        return found

    # --- on close -----------------------------------------------------------------------------

    def _records(self) -> Iterator[_Record]:
        self._spool.seek(0)
        for _ in range(self._rows):
            yield pickle.load(self._spool)

    def _write_results(self, sheet: Any) -> None:
        sheet.freeze_panes = _FROZEN
        for index, width in enumerate(self._widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width + 1
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(self._header))}{self._rows + 1}"
        sheet.append([_styled(_text_cell(sheet, name), HEADER) for name in self._header])
        for cells, status, problems in self._records():
            row: list[Any] = [_text_cell(sheet, cell) if cell else None for cell in cells]
            look = STATUS_LOOKS.get(status)
            if look is not None:
                row[STATUS_COLUMN] = _styled(row[STATUS_COLUMN], look)
            for index, text in problems:
                row[index] = self._flag(row[index] or WriteOnlyCell(sheet), text, index)
            sheet.append(row)

    def _flag(self, cell: Any, text: str, index: int) -> Any:
        """A problem cell: red (the status cell keeps its status colour), with the comment."""
        if index != STATUS_COLUMN:
            _styled(cell, PROBLEM)
        if self._comments < MAX_COMMENTS:
            cell.comment = _comment(text)
            self._comments += 1
        return cell

    def _write_summary(self, sheet: Any) -> None:
        lines: list[tuple[str, Any, Look | None]] = [("Rows", self._rows, None)]
        for status in SUMMARY_ORDER:
            if self._counts[status]:
                lines.append((str(status), self._counts[status], STATUS_LOOKS[status]))
        notes = list(self._summary)
        if self._comments >= MAX_COMMENTS:
            note = f"only the first {MAX_COMMENTS:,} problem cells have a comment; every "
            notes.append(("Comments", note + "row's errors are in its error_message"))
        if notes:
            lines.append(("", None, None))
            lines += [(label, value, None) for label, value in notes]
        label_width = max(len(label) for label, _, _ in lines)
        value_width = max(len(str(value)) for _, value, _ in lines if value is not None)
        sheet.column_dimensions["A"].width = label_width + 2
        sheet.column_dimensions["B"].width = min(value_width, 2 * MAX_WIDTH) + 2
        for label, value, look in lines:
            if not label:
                sheet.append([])
                continue
            second = _text_cell(sheet, value) if isinstance(value, str) else value
            sheet.append([_styled(_text_cell(sheet, label), look or LABEL), second])


def _display_width(text: str) -> int:
    return max(map(len, text.splitlines())) if "\n" in text else len(text)


def _xlsx_text(text: str) -> str:
    """``text`` as a cell stores it, for Excel, LibreOffice and calamine to read ``text`` back.

    OOXML escapes a character as ``_xHHHH_`` (its UTF-16 code in hex): so are the controls
    XML cannot hold and CR (XML would read a line feed), and a literal ``_x`` that a reader
    would take for the start of an escape becomes ``_x005F_x``. Tab and line feed stay as
    they are. Lone surrogates, U+FFFE and U+FFFF, which no workbook holds, become U+FFFD.
    Excel decodes every ``_xHHHH_``, calamine those up to ``_x00FF_``, LibreOffice the
    controls' and ``_x005F_``: only those are written. openpyxl decodes none of them.

    Whitespace alone (say one space) may read back trimmed: openpyxl's writer, unless it
    uses lxml, does not mark it to be kept, and no escape of a space reads back everywhere.
    The importer strips every cell it sends, so the tasks sent are the same.
    """
    return _CELL_ESCAPES.sub(_cell_escape, text)


def _cell_escape(match: re.Match[str]) -> str:
    found = match.group()
    if found == "_x":
        return "_x005F_x"
    code = ord(found)
    return f"_x{code:04X}_" if code < 0x20 else "\ufffd"


def _text_cell(sheet: Any, value: str) -> Any:
    """A string cell holding ``value`` as text (never a formula, number or error value)."""
    cell = WriteOnlyCell(sheet, value=_stored_text(value))
    cell.data_type = "s"
    return cell


def _stored_text(value: str) -> str:
    """``value`` as a cell stores it, cut short (saying so) where the stored text is too long.

    The limit is on the stored text: openpyxl would cut it there, maybe inside an escape.
    """
    text = _xlsx_text(value)
    if len(text) <= XLSX_CELL_LIMIT:
        return text
    room = XLSX_CELL_LIMIT - len(_TRUNCATED)
    fits, too_long = 0, min(room, len(value)) + 1  # the longest prefix that fits: bisect
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if len(_xlsx_text(value[:middle])) <= room:
            fits = middle
        else:
            too_long = middle
    return _xlsx_text(value[:fits]) + _TRUNCATED


def _styled(cell: Any, look: Look) -> Any:
    cell.fill = look.fill
    cell.font = look.font
    return cell


def _comment(text: str) -> Comment:
    """A note to read (never read back): what a comment cannot hold becomes U+FFFD."""
    text = _COMMENT_UNSTORABLE.sub("\ufffd", text)
    if len(text) > _COMMENT_LIMIT:
        text = text[: _COMMENT_LIMIT - 1] + "…"
    lines = sum(max(1, math.ceil(len(line) / _COMMENT_CHARS_PER_LINE)) for line in text.split("\n"))
    return Comment(text, _AUTHOR, height=min(400, 24 + 18 * lines), width=_COMMENT_WIDTH_PX)


def _discard(workbook: Workbook) -> None:
    """End openpyxl's streaming writers now and remove their scratch files.

    Left to the garbage collector, an open row generator writes to a closed file and prints
    "Exception ignored in ..." tracebacks.
    """
    for sheet in workbook.worksheets:
        with contextlib.suppress(Exception):
            if not sheet.closed:
                sheet.close()
        writer = getattr(sheet, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError, ValueError):
                writer.cleanup()
    workbook.close()
