"""The results file every command writes: one line per input row, what happened to it.

Columns: ``row, status, contact_id, error_code, error_message, attempts, client_token``, then
every input column as read. Written to a temporary file beside the target and renamed into
place, so a reader never sees half a file and the previous results survive a crash.
Every value is text: no formula cells in xlsx, and CSV cells that Excel would run as a
formula are prefixed with ``'`` (OWASP's advice), which ``unprotect`` undoes when read back.
An ``.xlsx`` results file is a styled workbook for people (importer.workbook); a CSV one is
plain.

Read back (``read_results``, for retry), the results columns are taken by position, so an
input column may have the name of one (a CRM export's ``Status``); a line whose ``row`` cell
is empty is a row a person added: ``ResultLine.row`` is None.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from importer.errors import InputFileError, UsageError
from importer.model import Outcome, RowError, Status
from importer.reading import (
    EXCEL_SUFFIXES,
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
_FORMULA_TRIGGERS = frozenset("=+-@\t\r'")


def default_results_path(input_path: str | os.PathLike[str]) -> Path:
    """Beside the input: ``<stem>.results.xlsx`` for a spreadsheet, else ``<stem>.results.csv``."""
    path = Path(input_path)
    suffix = ".xlsx" if path.suffix.lower() in EXCEL_SUFFIXES else ".csv"
    return path.with_name(f"{path.stem}.results{suffix}")


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
    """Make a CSV cell safe to open in Excel; reversible with ``unprotect``."""
    return f"'{value}" if value[:1] in _FORMULA_TRIGGERS else value


def unprotect(value: str) -> str:
    return value[1:] if value.startswith("'") else value


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


class ResultsWriter:
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
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(
                dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
            )
        except OSError as error:
            raise UsageError(f"results file {self.path}: cannot be written ({error})") from error
        os.close(handle)
        self._temp = Path(temp)
        self._sink = self._open_sink(suffix)
        self.count = 0

    def _open_sink(self, suffix: str) -> _Sink:
        if suffix == ".xlsx":
            from importer.workbook import ResultsWorkbook

            return ResultsWorkbook(self._temp, self.input_columns)
        return _CsvSink(self._temp, self.input_columns)

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
            os.replace(self._temp, self.path)
        except BaseException:
            self.abort()
            raise
        _fsync_directory(self.path.parent)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file; the previous results file, if any, stays as it was."""
        self._sink.discard()
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


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
        self._stream.flush()
        os.fsync(self._stream.fileno())
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
    def done(self) -> bool:
        return self.status in (Status.CREATED, Status.ALREADY_CREATED)


def read_results(path: str | os.PathLike[str]) -> tuple[list[str], list[ResultLine]]:
    """The input columns and the lines of a results file (.csv or .xlsx), in file order.

    In a workbook the sheet named Results is read, wherever a person moved it. The results
    columns are the first ones, by position; every later column is an input column, whatever
    its name (only two input columns with the same name are an error). Blank lines are
    skipped and cells beyond the header ignored, except that a cell without a readable value
    (a formula whose result is not saved, an Excel error) is a problem of its line, and an
    error if it is one of the results columns.
    """
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
    width = ours + len(input_columns)
    every_column = [*RESULT_COLUMNS, *input_columns]
    lines = []
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
        if line.row is None and (line.done or line.contact_id):
            raise InputFileError(
                f"{path}: row {number}: the 'row' cell is empty but the line says the "
                "task was created; restore its row number, or clear status and contact_id "
                "to send it as a new task"
            )
        lines.append(line)
    return input_columns, lines


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
