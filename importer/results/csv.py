"""The CSV results file, and the protection that makes its cells safe in a spreadsheet.

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
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from importer.model import Outcome
from importer.results.format import RESULT_COLUMNS, outcome_cells

_START_TRIGGERS = frozenset("=+-@\t\r'")
_FORMULA_LEAD = frozenset('" ')
"""What else a cell that starts a formula can start with (spaces and quotes before it)."""
_SEPARATOR = re.compile(r"[,;\t\r\n]")
_FORMULA_AHEAD = r'(?=[" ]*[=+\-@])'
_STARTS_A_FORMULA = re.compile(_FORMULA_AHEAD)
_AFTER_SEPARATOR = re.compile(r"(?<=[,;\t\r\n])('*)" + _FORMULA_AHEAD)
_ESCAPED_AFTER_SEPARATOR = re.compile(r"(?<=[,;\t\r\n])'('*)" + _FORMULA_AHEAD)


def protect(value: str) -> str:
    """Make a CSV cell safe to open in a spreadsheet with any list separator (see the module
    docstring); reversible with ``unprotect``."""
    # Most cells hold no separator and start with none of the characters a formula can start
    # with (after spaces and quotes): two quick tests, no substitution.
    escaped = _AFTER_SEPARATOR.sub(r"\1'", value) if _SEPARATOR.search(value) else value
    first = value[:1]
    if (
        escaped != value
        or first in _START_TRIGGERS
        or (first in _FORMULA_LEAD and _STARTS_A_FORMULA.match(value))
    ):
        return f"'{escaped}"
    return value


def unprotect(value: str) -> str:
    """A cell as it was before ``protect``."""
    if not value.startswith("'"):
        return value
    return _ESCAPED_AFTER_SEPARATOR.sub(r"\1", value[1:])


class CsvSink:
    """The .csv sink of ResultsWriter: every cell protected, UTF-8 with a BOM for Excel."""

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
