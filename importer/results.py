"""The results file every command writes: one line per input row, what happened to it.

Columns: ``row, status, contact_id, error_code, error_message, attempts, client_token``, then
every input column as read. Written to a temporary file beside the target and renamed into
place (importer.atomic_file), so a reader never sees half a file and the previous results
survive a crash. An ``.xlsx`` results file is a styled workbook for people
(importer.workbook), every value a text cell, never a formula; a CSV one is plain.

A CSV cell is made safe to open in a spreadsheet whatever list separator the program uses
(``,``; ``;`` where the decimal separator is a comma; tab), and reversibly, by ``protect``:

- A reader that splits lines at another separator sees a field start after every ``,``,
  ``;``, tab, CR or LF inside a cell (quoting cannot help: a quote in the middle of a field
  is a literal character to it). A field is a formula if it starts with ``=``, ``+``, ``-``
  or ``@`` (Excel; LibreOffice only ``=``), also after spaces and an opening quote
  (LibreOffice skips spaces before a quoted field). So after each of those separators, a
  run of k >= 0 ``'`` followed by spaces and quotes, then one of ``= + - @``, is written as
  k + 1 ``'``: that field starts with ``'`` and is text.
- A cell that needed that, or that starts with ``=``, ``+``, ``-``, ``@``, tab, CR or
  ``'`` (OWASP's list; ``'`` to make the rule reversible), or with spaces and quotes before
  ``= + - @``, is prefixed with ``'``.

``unprotect`` undoes exactly that: a cell that starts with ``'`` loses it, and then after
each separator a run of k >= 1 ``'`` before spaces, quotes and a trigger loses one. Text
with no trigger at its start or after a separator is written as it is.

Read back (``read_results``, for retry), the results columns are taken by position, so an
input column may have the name of one (a CRM export's ``Status``); a line whose ``row`` cell
is empty is a row a person added: ``ResultLine.row`` is None.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from importer.atomic_file import AtomicFile, CommitOrAbort
from importer.errors import InputFileError, UsageError
from importer.model import Outcome, RowError, Status
from importer.reading import (
    EXCEL_SUFFIXES,
    Cells,
    header_columns,
    is_blank,
    open_cells,
    unreadable_cell,
)

RESULT_COLUMNS = (
    "row",
    "status",
    "contact_id",
    "error_code",
    "error_message",
    "attempts",
    "client_token",
)
RESULTS_SUFFIXES = (".csv", ".xlsx")
RESULTS_SHEET = "Results"
"""The workbook sheet with the results lines (retry reads it by name)."""
SANDBOX_RESULTS_MARK = ".sandbox.results."
"""In the name of a sandbox run's results file: it holds no real task."""
_START_TRIGGERS = frozenset("=+-@\t\r'")
_FORMULA_AHEAD = r'(?=[" ]*[=+\-@])'
_STARTS_A_FORMULA = re.compile(_FORMULA_AHEAD)
_AFTER_SEPARATOR = re.compile(r"(?<=[,;\t\r\n])('*)" + _FORMULA_AHEAD)
_ESCAPED_AFTER_SEPARATOR = re.compile(r"(?<=[,;\t\r\n])'('*)" + _FORMULA_AHEAD)


def default_results_path(input_path: str | os.PathLike[str], sandbox: bool = False) -> Path:
    """Beside the input: ``<stem>.results.xlsx`` for a spreadsheet, else ``<stem>.results.csv``;
    for a sandbox run ``<stem>.sandbox.results.<ext>``."""
    path = Path(input_path)
    suffix = ".xlsx" if path.suffix.lower() in EXCEL_SUFFIXES else ".csv"
    return path.with_name(f"{path.stem}{'.sandbox' if sandbox else ''}.results{suffix}")


def is_sandbox_results(name: str) -> bool:
    """Whether a results file is a sandbox run's, by its name."""
    return SANDBOX_RESULTS_MARK in name


def sandbox_results_name(name: str) -> str:
    """Where a sandbox retry of the results file ``name`` writes: ``name`` itself if it is a
    sandbox run's, else ``tasks.results.csv`` -> ``tasks.sandbox.results.csv`` (any other
    name: ``<stem>.sandbox.results.<ext>``)."""
    if is_sandbox_results(name):
        return name
    path = Path(name)
    return f"{path.stem.removesuffix('.results')}{SANDBOX_RESULTS_MARK}{path.suffix[1:]}"


def rows_sent(lines: Sequence[ResultLine]) -> int:
    """How many lines of a results file record a row sent to Amazon Connect (or to a
    sandbox): a ContactId, or a status other than valid or invalid."""
    checked = ("", Status.VALID, Status.INVALID)
    return sum(1 for line in lines if line.contact_id or line.status not in checked)


def results_path_for(
    input_path: str | os.PathLike[str], option: str | os.PathLike[str] | None
) -> Path:
    """The results file for an input: ``option`` or the default; never the input itself."""
    path = Path(option) if option else default_results_path(input_path)
    if path.resolve() == Path(input_path).resolve():
        raise UsageError(
            f"results file {path} is the input file; the results would replace it. "
            "Pick another --results path"
        )
    return path


def protect(value: str) -> str:
    """Make a CSV cell safe to open in a spreadsheet with any list separator (see the module
    docstring); reversible with ``unprotect``."""
    escaped = _AFTER_SEPARATOR.sub(r"\1'", value)
    if escaped != value or value[:1] in _START_TRIGGERS or _STARTS_A_FORMULA.match(value):
        return f"'{escaped}"
    return value


def unprotect(value: str) -> str:
    if not value.startswith("'"):
        return value
    return _ESCAPED_AFTER_SEPARATOR.sub(r"\1", value[1:])


def outcome_cells(outcome: Outcome, input_columns: list[str]) -> list[str]:
    """The results line of an outcome, as text, in column order."""
    values = outcome.values
    return [
        str(outcome.row),
        str(outcome.status),
        outcome.contact_id,
        outcome.error_code,
        outcome.error_message,
        str(outcome.attempts) if outcome.attempts else "",
        outcome.client_token,
        *[values.get(column, "") for column in input_columns],
    ]


class ResultsWriter(CommitOrAbort):
    """Streams outcomes into a temporary file; ``commit`` renames it over the target.

    ``add_summary`` (before ``commit``) gives an ``.xlsx`` workbook the (label, value) lines
    of its Summary sheet, after the counts per status it computes itself; CSV has no room for
    them and ignores them.
    """

    def __init__(self, path: str | os.PathLike[str], input_columns: list[str]) -> None:
        self.path = Path(path)
        self.input_columns = list(input_columns)
        suffix = self.path.suffix.lower()
        if suffix not in RESULTS_SUFFIXES:
            raise UsageError(f"results file {self.path}: must end in .csv or .xlsx")
        try:
            self._file = AtomicFile(self.path)
        except IsADirectoryError:
            raise UsageError(
                f"results file {self.path} is a folder; name a file ending in .csv or .xlsx "
                "(--results-dir puts each input's results file in a folder)"
            ) from None
        except OSError as error:
            raise UsageError(f"results file {self.path}: cannot be written ({error})") from error
        self._sink = self._open_sink(suffix)
        self.count = 0

    def _open_sink(self, suffix: str) -> _Sink:
        if suffix == ".xlsx":
            from importer.workbook import ResultsWorkbook

            return ResultsWorkbook(self._file.path, self.input_columns)
        return _CsvSink(self._file.path, self.input_columns)

    def write(self, outcome: Outcome) -> None:
        self._sink.write(outcome)
        self.count += 1

    def add_summary(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Lines for the workbook's Summary sheet, in order; no-op for CSV."""
        self._sink.add_summary(pairs)

    def commit(self) -> Path:
        """Finish the file and move it into place atomically."""
        try:
            self._sink.close()
        except BaseException:
            self.abort()
            raise
        return self._file.commit()

    def abort(self) -> None:
        """Drop the temporary file; the previous results file, if any, stays as it was."""
        self._sink.discard()
        self._file.abort()


class _Sink(Protocol):
    def write(self, outcome: Outcome) -> None: ...
    def add_summary(self, pairs: Sequence[tuple[str, str]]) -> None: ...
    def close(self) -> None: ...
    def discard(self) -> None: ...


class _CsvSink:
    def __init__(self, path: Path, input_columns: list[str]) -> None:
        self._stream: IO[str] = path.open("w", encoding="utf-8-sig", errors="replace", newline="")
        self._writer = csv.writer(self._stream)
        self._columns = input_columns
        # Every header cell quoted: the reader takes the delimiter the header line uses most
        # outside quotes, which must be the comma even if input headers hold ';' or tabs.
        csv.writer(self._stream, quoting=csv.QUOTE_ALL).writerow(
            map(protect, [*RESULT_COLUMNS, *input_columns])
        )

    def write(self, outcome: Outcome) -> None:
        self._write(outcome_cells(outcome, self._columns))

    def _write(self, cells: list[str]) -> None:
        self._writer.writerow(map(protect, cells))

    def add_summary(self, pairs: Sequence[tuple[str, str]]) -> None:
        """A CSV file is one table: the summary is printed, not written."""

    def close(self) -> None:
        self._stream.close()

    def discard(self) -> None:
        self._stream.close()


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
    def done(self) -> bool:
        """Created, with the task's ContactId: never sent again. A line that says created
        without one (version 0.1.0 wrote such a line for a 200 answer without a ContactId)
        is not done: retry resends its ClientToken, which cannot make a second task."""
        return self.says_created and bool(self.contact_id)


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
    return input_columns, _lines(path, cells, input_columns, unprotect_cell)


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


def is_results_header(header: Sequence[str]) -> bool:
    """Whether a header row starts with the results columns (case and spaces aside)."""
    ours = len(RESULT_COLUMNS)
    return [name.strip().casefold() for name in header[:ours]] == list(RESULT_COLUMNS)


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
