"""Reading a results file back (for retry): its lines, what they say, the ContactIds.

The results columns are taken by position, so an input column may have the name of one (a
CRM export's ``Status``); a line whose ``row`` cell is empty is a row a person added:
``ResultLine.row`` is None.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from importer.errors import InputFileError
from importer.model import Outcome, RowError, Status
from importer.reading import Cells, header_columns, is_blank, open_cells, unreadable_cell
from importer.results.csv import unprotect
from importer.results.format import RESULT_COLUMNS, RESULTS_SHEET, is_results_header


@dataclass
class ResultLine:
    """One line of a results file read back (for retry).

    ``row`` is None on a line a person added (its ``row`` cell empty): a new task. ``number``
    is where the line is in the file (as Excel shows it), for messages.
    """

    row: int | None
    status: str
    contact_id: str
    error_code: str
    error_message: str
    attempts: int
    client_token: str
    values: dict[str, str]
    number: int = 0
    problems: list[RowError] = field(default_factory=list)
    """Input cells with no readable value (a formula whose result is not saved, an error)."""

    @property
    def says_created(self) -> bool:
        return self.status in (Status.CREATED, Status.ALREADY_CREATED)

    @property
    def records_sent(self) -> bool:
        """Whether the line records a row sent to Amazon Connect (or to a sandbox): a
        ContactId, or a status other than valid or invalid."""
        return bool(self.contact_id) or self.status not in ("", Status.VALID, Status.INVALID)

    @property
    def done(self) -> bool:
        """Created, with the task's ContactId, or stopped (by undo): never sent again. A
        line that says created without one (version 0.1.0 wrote such a line for a 200
        answer without a ContactId) is not done: retry resends its ClientToken, which
        cannot make a second task."""
        return (self.says_created and bool(self.contact_id)) or self.status == Status.STOPPED

    def outcome(self, number: int) -> Outcome:
        """The line as it reads, to write back as row ``number`` (its status as written,
        whatever it is: a line a person added has none)."""
        known = self.status in Status._value2member_map_
        return Outcome(
            number,
            Status(self.status) if known else cast(Status, self.status),
            self.client_token,
            self.values,
            contact_id=self.contact_id,
            error_code=self.error_code,
            error_message=self.error_message,
            attempts=self.attempts,
        )


def read_results(path: str | os.PathLike[str]) -> tuple[list[str], list[ResultLine]]:
    """The input columns and the lines of a results file (.csv or .xlsx), in file order.

    In a workbook the sheet named Results is read, wherever a person moved it. The results
    columns are the first ones, by position; every later column is an input column, whatever
    its name (only two input columns with the same name are an error). Blank lines are
    skipped and cells beyond the header ignored, except that a cell without a readable value
    (a formula whose result is not saved, an Excel error) is a problem of its line, and an
    error if it is one of the results columns.
    """
    input_columns, lines = results_lines(path)
    return input_columns, list(lines)


def contact_ids(path: str | os.PathLike[str]) -> set[str]:
    """Every ContactId a results file holds, read line by line."""
    return {line.contact_id for line in results_lines(path)[1] if line.contact_id}


def results_lines(path: str | os.PathLike[str]) -> tuple[list[str], Iterator[ResultLine]]:
    """``read_results``, one line at a time: the header is checked at once, each line as it
    is read (an InputFileError can come from the iterator)."""
    cells, input_columns, unprotect_cell = results_cells(path)
    return input_columns, _lines(path, cells, input_columns, unprotect_cell)


def results_cells(
    path: str | os.PathLike[str],
) -> tuple[Cells, list[str], Callable[[str], str]]:
    """A results file opened, its header checked: its cells, its input columns, and what
    undoes the protection of a cell (``unprotect`` for a CSV file)."""
    is_workbook = Path(path).suffix.lower() == ".xlsx"
    cells = open_cells(path, RESULTS_SHEET if is_workbook else None)
    ours = len(RESULT_COLUMNS)
    if not is_results_header(cells.header):
        raise InputFileError(
            f"{path}: not a results file; its first columns must be {', '.join(RESULT_COLUMNS)}"
        )
    unprotect_cell = unprotect if Path(path).suffix.lower() == ".csv" else str
    theirs = [unprotect_cell(name) for name in cells.header[ours:]]
    input_columns = (
        [] if is_blank(theirs) else header_columns(cells.label, theirs, cells.header_number, ours)
    )
    return cells, input_columns, unprotect_cell


def _lines(
    path: str | os.PathLike[str],
    cells: Cells,
    input_columns: list[str],
    unprotect_cell: Callable[[str], str],
) -> Iterator[ResultLine]:
    ours = len(RESULT_COLUMNS)
    width = ours + len(input_columns)
    every_column = [*RESULT_COLUMNS, *input_columns]
    for number, record in cells.records:
        if is_blank(record):
            continue
        texts = [unprotect_cell(text) for text in record[:width]]
        texts += [""] * (width - len(texts))
        unreadable = cells.problems.get(number, [])
        for index, message in unreadable:
            if index < ours:
                raise InputFileError(
                    f"{cells.label}: row {number}, column '{RESULT_COLUMNS[index]}': {message}; "
                    "the results columns must keep what was written there"
                )
        line = ResultLine(
            row=_whole_number(texts[0], path, number, "row"),
            status=texts[1].strip(),
            contact_id=texts[2].strip(),
            error_code=texts[3],
            error_message=texts[4],
            attempts=_whole_number(texts[5], path, number, "attempts") or 0,
            client_token=texts[6].strip(),
            values=dict(zip(input_columns, texts[ours:], strict=True)),
            number=number,
            problems=[unreadable_cell(every_column, i, message) for i, message in unreadable],
        )
        if line.row is None and (line.says_created or line.contact_id):
            raise InputFileError(
                f"{path}: row {number}: the 'row' cell is empty but the line says the "
                "task was created; restore its row number, or clear status and contact_id "
                "to send it as a new task"
            )
        yield line


def _whole_number(text: str, path: str | os.PathLike[str], line: int, column: str) -> int | None:
    """A 'row' or 'attempts' cell: a whole number, or None when empty."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InputFileError(
            f"{path}: row {line}, column '{column}': '{text}' is not a whole number; "
            f"restore the {column} written there (leave 'row' empty only on a line you added "
            "as a new task)"
        )
    return int(text)
