"""The results file every command writes: one line per input row, what happened to it.

Columns: ``row, status, contact_id, error_code, error_message, attempts, client_token``, then
every input column as read. Written to a temporary file beside the target and renamed into
place, so a reader never sees half a file and the previous results survive a crash.
Every value is text: no formula cells in xlsx, and CSV cells that Excel would run as a
formula are prefixed with ``'`` (OWASP's advice), which ``unprotect`` undoes when read back.
An ``.xlsx`` results file is a styled workbook for people (importer.workbook); a CSV one is
plain.

Read back (``read_results``, for retry), a line whose ``row`` cell is empty is a row a person
added: ``ResultLine.row`` is None.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

from importer.errors import InputFileError, UsageError
from importer.model import Outcome, Status
from importer.reading import EXCEL_SUFFIXES, open_table

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
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
_FORMULA_TRIGGER_SET = frozenset(_FORMULA_TRIGGERS)  # all one character: test cell[:1]


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
    return f"'{value}" if value.startswith(_FORMULA_TRIGGERS) else value


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
        self._write([*RESULT_COLUMNS, *input_columns])

    def write(self, outcome: Outcome) -> None:
        self._write(outcome_cells(outcome, self._columns))

    def _write(self, cells: list[str]) -> None:
        # protect(), inlined: this runs for every cell of every row
        self._writer.writerow(
            [f"'{cell}" if cell[:1] in _FORMULA_TRIGGER_SET else cell for cell in cells]
        )

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

    @property
    def done(self) -> bool:
        return self.status in (Status.CREATED, Status.ALREADY_CREATED)


def read_results(path: str | os.PathLike[str]) -> tuple[list[str], list[ResultLine]]:
    """The input columns and the lines of a results file (.csv or .xlsx), in file order.

    In a workbook the sheet named Results is read, wherever a person moved it.
    """
    is_workbook = Path(path).suffix.lower() == ".xlsx"
    table = open_table(path, RESULTS_SHEET if is_workbook else None)
    ours = [name.casefold() for name in table.columns[: len(RESULT_COLUMNS)]]
    if ours != list(RESULT_COLUMNS):
        raise InputFileError(
            f"{path}: not a results file; its first columns must be {', '.join(RESULT_COLUMNS)}"
        )
    names = table.columns[: len(RESULT_COLUMNS)]
    input_columns = table.columns[len(RESULT_COLUMNS) :]
    unprotect_cell = unprotect if Path(path).suffix.lower() == ".csv" else str
    lines = []
    for source in table.rows:
        cells = {name: unprotect_cell(source.values[name]) for name in table.columns}
        line = ResultLine(
            row=_whole_number(cells[names[0]], path, source.number, "row"),
            status=cells[names[1]].strip(),
            contact_id=cells[names[2]].strip(),
            error_code=cells[names[3]],
            error_message=cells[names[4]],
            attempts=_whole_number(cells[names[5]], path, source.number, "attempts") or 0,
            client_token=cells[names[6]].strip(),
            values={column: cells[column] for column in input_columns},
            number=source.number,
        )
        if line.row is None and (line.done or line.contact_id):
            raise InputFileError(
                f"{path}: row {source.number}: the 'row' cell is empty but the line says the "
                "task was created; restore its row number, or clear status and contact_id "
                "to send it as a new task"
            )
        lines.append(line)
    return input_columns, lines


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
