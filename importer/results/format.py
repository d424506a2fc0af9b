"""What every results file shares: its columns, its sheet, its name and where it goes.

Columns: ``row, status, contact_id, error_code, error_message, attempts, client_token``, then
every input column as read. A results file goes beside its input (``<stem>.results.xlsx`` for
a spreadsheet, else ``<stem>.results.csv``), and a sandbox run's name says so
(``<stem>.sandbox.results.<ext>``): it holds no real task.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from importer.errors import UsageError
from importer.locations import CASE_NOTE, file_key
from importer.model import Outcome
from importer.reading import EXCEL_SUFFIXES

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
_SANDBOX_RESULTS_NAME = re.compile(r"\.sandbox\.results(?: \(\d+\))?\.")


def default_results_path(input_path: str | os.PathLike[str], sandbox: bool = False) -> Path:
    """Beside the input: ``<stem>.results.xlsx`` for a spreadsheet, else ``<stem>.results.csv``;
    for a sandbox run ``<stem>.sandbox.results.<ext>``."""
    path = Path(input_path)
    suffix = ".xlsx" if path.suffix.lower() in EXCEL_SUFFIXES else ".csv"
    return path.with_name(f"{path.stem}{'.sandbox' if sandbox else ''}.results{suffix}")


def is_sandbox_results(name: str) -> bool:
    """Whether a results file is a sandbox run's, by its name (also the copy written beside
    one open in Excel: ``tasks.sandbox.results (1).xlsx``)."""
    return _SANDBOX_RESULTS_NAME.search(name) is not None


def sandbox_results_name(name: str) -> str:
    """Where a sandbox retry of the results file ``name`` writes: ``name`` itself if it is a
    sandbox run's, else ``tasks.results.csv`` -> ``tasks.sandbox.results.csv`` (any other
    name: ``<stem>.sandbox.results.<ext>``)."""
    if is_sandbox_results(name):
        return name
    path = Path(name)
    return f"{path.stem.removesuffix('.results')}{SANDBOX_RESULTS_MARK}{path.suffix[1:]}"


def results_path_for(
    input_path: str | os.PathLike[str], option: str | os.PathLike[str] | None
) -> Path:
    """The results file for an input: ``option`` or the default; never the input itself."""
    path = Path(option) if option else default_results_path(input_path)
    if file_key(path) == file_key(input_path):
        case = CASE_NOTE if str(path.resolve()) != str(Path(input_path).resolve()) else ""
        raise UsageError(
            f"results file {path} is the input file{case}; the results would replace it. "
            "Pick another --results path"
        )
    return path


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


def is_results_header(header: Sequence[str]) -> bool:
    """Whether a header row starts with the results columns (case and spaces aside)."""
    ours = len(RESULT_COLUMNS)
    return [name.strip().casefold() for name in header[:ours]] == list(RESULT_COLUMNS)
