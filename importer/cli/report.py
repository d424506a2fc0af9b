"""What the commands print about a batch: where it came from, warnings, the first errors."""

from __future__ import annotations

from collections.abc import Sequence

from importer.cli.console import say, warn
from importer.model import PreparedRow
from importer.pipeline import Batch

FIRST_ERRORS_SHOWN = 10
_ROWS_NAMED = 10
"""Row numbers a message names before it says how many more."""


def print_batch_header(batch: Batch, source: str | None = None) -> None:
    """Name the input, how naive times are read, and every warning."""
    table = batch.table
    copied = f" (copied from {source})" if source and source != str(table.path) else ""
    say(f"Input: {table.label}{copied}")
    origin = (
        "this machine's timezone; --timezone changes it"
        if batch.timezone_is_default
        else "as configured"
    )
    say(f"ScheduledTime values without an offset are read as {batch.timezone_name} ({origin}).")
    for warning in batch.warnings:
        warn(warning)


def print_first_errors(rows: Sequence[PreparedRow], total: int) -> None:
    if not rows:
        return
    say(f"First {len(rows)} of {total} invalid rows:" if total > len(rows) else "Invalid rows:")
    for row in rows:
        for error in row.errors:
            say(f"  row {row.number}, column '{error.column}': {error.message}")


def rows_named(numbers: Sequence[int]) -> str:
    """'Row 4', 'Rows 4, 7' or 'Rows 4, 7, ... and 12 more'."""
    named = ", ".join(str(number) for number in numbers[:_ROWS_NAMED])
    more = f" and {len(numbers) - _ROWS_NAMED:,} more" if len(numbers) > _ROWS_NAMED else ""
    return f"{'Row' if len(numbers) == 1 else 'Rows'} {named}{more}"
