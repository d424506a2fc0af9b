"""ResultsWriter: a results file written to a temporary file beside the target and renamed
into place (importer.atomic_file), so a reader never sees half a file and the previous
results survive a crash. An ``.xlsx`` results file is a styled workbook for people
(importer.results.workbook), every value a text cell, never a formula; a CSV one is plain
(importer.results.csv).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from importer.atomic_file import AtomicFile, CommitOrAbort
from importer.errors import UsageError
from importer.model import Outcome
from importer.results.csv import CsvSink
from importer.results.format import RESULTS_SUFFIXES

log = logging.getLogger(__name__)


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
            self._file = AtomicFile(self.path, beside_if_locked=True)
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
            from importer.results.workbook import ResultsWorkbook  # XlsxWriter, loaded when used

            return ResultsWorkbook(self._file.path, self.input_columns)
        return CsvSink(self._file.path, self.input_columns)

    def write(self, outcome: Outcome) -> None:
        if self.count == self._sink.max_lines:
            raise UsageError(
                f"results file {self.path}: a workbook holds {self.count:,} lines under its "
                "header and these results have more; name a CSV results file (--results "
                f"{self.path.with_suffix('.csv').name})"
            )
        self._sink.write(outcome)
        self.count += 1

    def add_summary(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Lines for the workbook's Summary sheet, in order; no-op for CSV."""
        self._sink.add_summary(pairs)

    def commit(self) -> Path:
        """Finish the file and move it into place atomically; the path written, which is
        also ``path`` from then on. A results file that another program holds open (a
        workbook open in Excel, on Windows) stays as it is: the new results go beside it,
        as ``<name> (1).xlsx``, with a warning."""
        try:
            self._sink.close()
        except BaseException:
            self.abort()
            raise
        written = self._file.commit()
        if written != self.path:
            log.warning(
                "results file %s cannot be replaced: it is open in another program (such as "
                "Excel) or this user may not replace it. These results are in %s beside it; "
                "close the file before the next run",
                self.path,
                written,
            )
            self.path = written
        return written

    def abort(self) -> None:
        """Drop the temporary file; the previous results file, if any, stays as it was."""
        self._sink.discard()
        self._file.abort()


class _Sink(Protocol):
    max_lines: int | None
    """The most lines the file holds (None: no limit)."""

    def write(self, outcome: Outcome) -> None: ...
    def add_summary(self, pairs: Sequence[tuple[str, str]]) -> None: ...
    def close(self) -> None: ...
    def discard(self) -> None: ...
