"""What the commands print about a batch: where it came from, warnings, the first errors."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from importer.model import PreparedRow
from importer.pipeline import Batch


def print_batch_header(batch: Batch) -> None:
    """Name the input, how naive times are read, and every warning (to stderr)."""
    table = batch.table
    print(f"Input: {table.label}")
    origin = (
        "this machine's timezone; --timezone changes it"
        if batch.timezone_is_default
        else "as configured"
    )
    print(f"ScheduledTime values without an offset are read as {batch.timezone_name} ({origin}).")
    for warning in batch.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def print_first_errors(rows: Sequence[PreparedRow], total: int) -> None:
    if not rows:
        return
    print(f"First {len(rows)} of {total} invalid rows:" if total > len(rows) else "Invalid rows:")
    for row in rows:
        for error in row.errors:
            print(f"  row {row.number}, column '{error.column}': {error.message}")
