"""The results workbook (.xlsx): what happened to every row, readable at a glance in Excel.

Sheet ``Results``: the results columns, then the input columns, every value text exactly as
read (never a formula; ``xlsx_text`` escapes what XML cannot hold, so it reads back the
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

XlsxWriter writes it in ``constant_memory`` mode: each row goes to a scratch file as soon as
the next one starts, so memory stays flat however many rows (rows are written in order, one
``write`` a row); widths, panes and the filter are set on ``close``. XlsxWriter holds every
comment in memory until it closes, so only the first MAX_COMMENTS problem cells get one;
later ones are still filled red, their errors are in error_message, and the Summary says so.
openpyxl reads edited workbooks back (importer.reading); it is not used here.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from xlsxwriter import Workbook
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellStringTuple, Worksheet

from importer.model import Outcome, Status
from importer.results.format import RESULT_COLUMNS, RESULTS_SHEET, outcome_cells
from importer.results.xlsx_text import XLSX_CELL_LIMIT, comment_text, stored_text

SUMMARY_SHEET = "Summary"
_QUICK = XLSX_CELL_LIMIT // 2
"""Printable text with no ``_x``, at most this long, is stored as it is (see stored_text)."""
MAX_WIDTH = 60
MAX_COMMENTS = 10_000
STATUS_COLUMN = RESULT_COLUMNS.index("status")
_FROZEN = (1, 2)  # the header row and the row and status columns: C2
_AUTHOR = "task-importer"
_FONT = "Calibri"  # the workbook's default font: styled cells look like the others
_COMMENT_WIDTH_PX = 320
_COMMENT_CHARS_PER_LINE = 48


class Look(NamedTuple):
    """A cell's fill (None: none) and font: colours as RRGGBB hex."""

    background: str | None
    text: str | None
    bold: bool = False

    def properties(self) -> dict[str, Any]:
        """The XlsxWriter format of this look."""
        found: dict[str, Any] = {"font_name": _FONT, "font_size": 11, "bold": self.bold}
        if self.background:
            found |= {"pattern": 1, "bg_color": f"#{self.background}"}
        if self.text:
            found["font_color"] = f"#{self.text}"
        return found


GREEN = Look("C6EFCE", "006100")
GREY = Look("D9D9D9", "404040")
RED = Look("FFC7CE", "9C0006")
AMBER = Look("FFEB9C", "9C5700")
LAVENDER = Look("E4DFEC", "5B3B8C")
HEADER = Look("DDEBF7", "000000", bold=True)
LABEL = Look(None, None, bold=True)
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


class _EscapedSheet(Worksheet):
    """A worksheet whose text arrives escaped by ``stored_text``.

    XlsxWriter escapes a cell's text itself, but not all of it (``_x0041`` then a CR reads
    back as ``A`` and more): its escaping would apply twice, so this sheet turns it off.
    """

    @staticmethod
    def _escape_control_characters(data: Any) -> Any:
        return data

    def _takes_line_format(self, row: int, col: int) -> bool:
        """Whether an unformatted cell takes its row's or column's format (XlsxWriter's)."""
        line = self.row_info.get(row)
        if line is not None and line.row_format:
            return True
        column = self.col_info.get(col)
        return column is not None and column.column_format is not None

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        """XlsxWriter's own, quicker for a text cell with or without its own format: the
        same bytes (its escapes of ``& < >``, ``xml:space`` for text that starts or ends
        with whitespace). Every other cell goes to XlsxWriter's. Unlike XlsxWriter's, text
        that starts with ``<r>`` and ends with ``</r>`` is text too: XlsxWriter writes it
        as raw rich-text XML, so a cell typed that way read back changed, or broke the
        workbook."""
        if type(cell) is not CellStringTuple or not self.constant_memory:
            super()._write_cell(row, col, cell)
            return
        text, style = cell
        if style is None and self._takes_line_format(row, col):  # none here: widths only
            super()._write_cell(row, col, cell)
            return
        styled = f' s="{style._get_xf_index()}"' if style else ""
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        if "&" in text or "<" in text or ">" in text:
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        self.fh.write(
            f'<c r="{xl_rowcol_to_cell_fast(row, col)}"{styled} t="inlineStr">'
            f"<is><t{space}>{text}</t></is></c>"
        )


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

    max_lines = 1_048_575
    """Lines a worksheet holds under its header."""

    def __init__(self, path: Path, input_columns: list[str]) -> None:
        self._columns = list(input_columns)
        self._header = [*RESULT_COLUMNS, *self._columns]
        self._widths = [len(name) + 2 for name in self._header]  # + the filter button
        self._rows = 0
        self._counts: Counter[str] = Counter()
        self._summary: list[tuple[str, str]] = []
        self._cells_for: dict[str, tuple[int, ...]] = {}
        self._comments = 0
        self._scratch = tempfile.TemporaryDirectory(
            prefix="task-importer-", ignore_cleanup_errors=True
        )
        options = {"constant_memory": True, "tmpdir": self._scratch.name}
        self._book = Workbook(os.fspath(path), options)
        try:
            self._book.use_zip64()  # only a part of about 2 GiB takes it, as with openpyxl
            self._formats = {look: self._book.add_format(look.properties()) for look in _LOOKS}
            self._sheet = self._book.add_worksheet(RESULTS_SHEET, worksheet_class=_EscapedSheet)
            header = self._formats[HEADER]
            for index, name in enumerate(self._header):
                self._sheet.write_string(0, index, stored_text(name), header)
        except BaseException:
            self.discard()
            raise

    def write(self, outcome: Outcome) -> None:
        cells = outcome_cells(outcome, self._columns)
        self._rows += 1
        self._counts[outcome.status] += 1
        row, sheet = self._rows, self._sheet
        formats: dict[int, Any] = {}
        look = STATUS_LOOKS.get(outcome.status)
        if look is not None:
            formats[STATUS_COLUMN] = self._formats[look]
        problems = self._problems(outcome)
        for index, _ in problems:
            if index != STATUS_COLUMN:  # the status cell keeps its status colour
                formats[index] = self._formats[PROBLEM]
        widths = self._widths
        for index, cell in enumerate(cells):
            if cell:
                if len(cell) > widths[index] and widths[index] < MAX_WIDTH:
                    widths[index] = max(widths[index], min(MAX_WIDTH, _display_width(cell)))
                if len(cell) > _QUICK or "_x" in cell or not cell.isprintable():
                    cell = stored_text(cell)  # else it is stored as it is, the usual case
                # XlsxWriter's write_string without its A1-notation wrapper (row, index: ints)
                sheet._write_string(row, index, cell, formats.get(index))
            elif index in formats:
                sheet.write_blank(row, index, None, formats[index])
        for index, text in problems:
            if self._comments < MAX_COMMENTS:
                sheet.write_comment(row, index, *_comment(text))
                self._comments += 1

    def add_summary(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._summary.extend((str(label), str(value)) for label, value in pairs)

    def close(self) -> None:
        try:
            self._finish_results()
            summary = self._book.add_worksheet(SUMMARY_SHEET, worksheet_class=_EscapedSheet)
            self._write_summary(summary)
            self._book.close()
        finally:
            self.discard()

    def discard(self) -> None:
        """Close XlsxWriter's scratch files and remove them (the workbook is ResultsWriter's)."""
        for sheet in self._book.worksheets():
            with contextlib.suppress(OSError):
                sheet._opt_close()  # its rows' file: open, Windows would not remove it
        self._scratch.cleanup()

    # --- while writing ------------------------------------------------------------------------

    def _problems(self, outcome: Outcome) -> list[tuple[int, str]]:
        """(column index, comment) for each cell to flag: the errors' cells, else status."""
        if not outcome.errors and not outcome.error_message:
            return []
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

    def _finish_results(self) -> None:
        sheet = self._sheet
        sheet.freeze_panes(*_FROZEN)
        for index, width in enumerate(self._widths):
            sheet.set_column(index, index, width)
        sheet.autofilter(0, 0, self._rows, len(self._header) - 1)

    def _write_summary(self, sheet: Worksheet) -> None:
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
        sheet.set_column(0, 0, label_width + 2)
        sheet.set_column(1, 1, min(value_width, 2 * MAX_WIDTH) + 2)
        for row, (label, value, look) in enumerate(lines):
            if not label:
                continue
            sheet.write_string(row, 0, stored_text(label), self._formats[look or LABEL])
            if isinstance(value, str):
                sheet.write_string(row, 1, stored_text(value))
            else:
                sheet.write_number(row, 1, value)


_LOOKS = (*dict.fromkeys(STATUS_LOOKS.values()), HEADER, LABEL)
"""Every look a cell may have: one XlsxWriter format each."""


def _display_width(text: str) -> int:
    return max(map(len, text.splitlines())) if "\n" in text else len(text)


def _comment(text: str) -> tuple[str, dict[str, Any]]:
    """A note to read (never read back), and its size: as many lines as it needs."""
    text = comment_text(text)
    lines = sum(max(1, math.ceil(len(line) / _COMMENT_CHARS_PER_LINE)) for line in text.split("\n"))
    size = {"width": _COMMENT_WIDTH_PX, "height": min(400, 24 + 18 * lines)}
    return text, {"author": _AUTHOR, **size}
