"""The results file every command writes: one line per input row, what happened to it.

Columns: ``row, status, contact_id, error_code, error_message, attempts, client_token``, then
every input column as read. Written to a temporary file beside the target and renamed into
place, so a reader never sees half a file and the previous results survive a crash.
Every value is text: no formula cells in xlsx, and CSV cells that Excel would run as a
formula are prefixed with ``'`` (OWASP's advice), which ``unprotect`` undoes when read back.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from importer.errors import InputFileError, UsageError
from importer.model import Outcome

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
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
_FORMULA_TRIGGER_SET = frozenset(_FORMULA_TRIGGERS)  # all one character: test cell[:1]
XLSX_CELL_LIMIT = 32_767
_TRUNCATED = " [truncated: Excel holds at most 32,767 characters per cell]"


def default_results_path(input_path: str | os.PathLike[str]) -> Path:
    """``<input stem>.results.csv`` beside the input."""
    path = Path(input_path)
    return path.with_name(f"{path.stem}.results.csv")


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
    """Streams outcomes into a temporary file; ``commit`` renames it over the target."""

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
        self._sink = _XlsxSink(self._temp) if suffix == ".xlsx" else _CsvSink(self._temp)
        self._sink.write([*RESULT_COLUMNS, *self.input_columns])
        self.count = 0

    def write(self, outcome: Outcome) -> None:
        self._sink.write(outcome_cells(outcome, self.input_columns))
        self.count += 1

    def commit(self) -> Path:
        """Finish the file and move it into place atomically."""
        self._sink.close()
        os.replace(self._temp, self.path)
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


class _CsvSink:
    def __init__(self, path: Path) -> None:
        self._stream: IO[str] = path.open("w", encoding="utf-8-sig", errors="replace", newline="")
        self._writer = csv.writer(self._stream)

    def write(self, cells: list[str]) -> None:
        # protect(), inlined: this runs for every cell of every row
        self._writer.writerow(
            [f"'{cell}" if cell[:1] in _FORMULA_TRIGGER_SET else cell for cell in cells]
        )

    def close(self) -> None:
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()

    def discard(self) -> None:
        self._stream.close()


class _XlsxSink:
    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self._path = path
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet("Results")

    def write(self, cells: list[str]) -> None:
        self._sheet.append([self._text_cell(cell) for cell in cells])

    def _text_cell(self, value: str) -> object:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        value = value.encode("utf-8", errors="replace").decode("utf-8")
        if len(value) > XLSX_CELL_LIMIT:
            value = value[: XLSX_CELL_LIMIT - len(_TRUNCATED)] + _TRUNCATED
        cell = WriteOnlyCell(self._sheet, value=value)
        cell.data_type = "s"
        return cell

    def close(self) -> None:
        self._workbook.save(self._path)

    def discard(self) -> None:
        # End openpyxl's streaming writer now and remove its scratch file; left to the
        # garbage collector, the open row generator writes to a closed file and prints
        # "Exception ignored in ..." tracebacks.
        with contextlib.suppress(Exception):
            if not self._sheet.closed:
                self._sheet.close()
        writer = getattr(self._sheet, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError, ValueError):
                writer.cleanup()
        self._workbook.close()


@dataclass
class ResultLine:
    """One line of a results file read back (for retry)."""

    row: int
    status: str
    contact_id: str
    error_code: str
    error_message: str
    attempts: int
    client_token: str
    values: dict[str, str]


def read_results(path: str | os.PathLike[str]) -> tuple[list[str], list[ResultLine]]:
    """The input columns and the lines of a results file (.csv or .xlsx)."""
    from importer.reading import open_table

    table = open_table(path)
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
        row, attempts = cells[names[0]].strip(), cells[names[5]].strip()
        if not row.isdigit() or not (attempts == "" or attempts.isdigit()):
            raise InputFileError(
                f"{path}: row {source.number}: 'row' must be the input row number and "
                "'attempts' a whole number; restore them or delete the line"
            )
        lines.append(
            ResultLine(
                row=int(row),
                status=cells[names[1]].strip(),
                contact_id=cells[names[2]].strip(),
                error_code=cells[names[3]],
                error_message=cells[names[4]],
                attempts=int(attempts or 0),
                client_token=cells[names[6]].strip(),
                values={column: cells[column] for column in input_columns},
            )
        )
    return input_columns, lines
