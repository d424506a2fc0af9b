"""Helpers that write results files for the tests, and the outcomes they hold."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from importer.model import Outcome, Status
from importer.results import ResultsWriter

INPUT_COLUMNS = ["Name", "Zip", "Notes"]
RISKY = ["=1+2", "+44 20 7946 0000", "-5", "@SUM(A1:A2)", '=HYPERLINK("http://x")', "'quoted"]


def outcomes() -> list[Outcome]:
    """Two rows: one created, one invalid with text a spreadsheet takes for formulas."""
    return [
        Outcome(
            2,
            Status.CREATED,
            "tok-2",
            {"Name": "a", "Zip": "00042", "Notes": ""},
            "cid-1",
            attempts=1,
        ),
        Outcome(
            4,
            Status.INVALID,
            "tok-4",
            {"Name": "=1+2", "Zip": "-5", "Notes": "@x"},
            error_code="Validation",
            error_message="Name: too long",
        ),
    ]


def write_results(
    path: Path,
    outcomes: Sequence[Outcome],
    columns: Sequence[str] = INPUT_COLUMNS,
    summary: Sequence[tuple[str, str]] = (),
) -> Path:
    """A results file holding ``outcomes`` (and the workbook's Summary lines)."""
    with ResultsWriter(path, list(columns)) as writer:
        for outcome in outcomes:
            writer.write(outcome)
        if summary:
            writer.add_summary(summary)
    return path
