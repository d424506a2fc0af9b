"""What the use cases tell the user about a batch: where it came from, its first invalid
rows and its figures (through a Reporter)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from importer.executor import RunReport
from importer.messages import TASKS, Wording
from importer.model import PreparedRow, Status
from importer.pipeline import Batch
from importer.reporter import Reporter
from importer.run_summary import COUNTED

FIRST_ERRORS_SHOWN = 10
_ROWS_NAMED = 10
"""Row numbers a message names before it says how many more."""


def report_header(reporter: Reporter, batch: Batch, source: str | None = None) -> None:
    """Name the input, how naive times are read, and every warning."""
    table = batch.table
    copied = f" (copied from {source})" if source and source != str(table.path) else ""
    reporter.info(f"Input: {table.label}{copied}")
    origin = (
        "this machine's timezone; --timezone changes it"
        if batch.timezone_is_default
        else "as configured"
    )
    reporter.info(
        f"ScheduledTime values without an offset are read as {batch.timezone_name} ({origin})."
    )
    for warning in batch.warnings:
        reporter.warning(warning)


def report_first_errors(reporter: Reporter, rows: Sequence[PreparedRow], total: int) -> None:
    """The errors of the first invalid rows (at most FIRST_ERRORS_SHOWN of ``total``)."""
    if not rows:
        return
    shown = f"First {len(rows)} of {total} invalid rows:" if total > len(rows) else "Invalid rows:"
    reporter.info(shown)
    for row in rows:
        for error in row.errors:
            reporter.info(f"  row {row.number}, column '{error.column}': {error.message}")


def report_figures(
    reporter: Reporter,
    counts: Mapping[Status, int],
    report: RunReport,
    results: str,
    wording: Wording = TASKS,
) -> None:
    """A sent batch's counts per status, calls, rate, a stop (``wording``: what its lines
    then say), and where its results are."""
    total = sum(counts.values())
    named = [s for s in COUNTED if s is not Status.STOPPED or counts.get(s)]  # stopped: by undo
    parts = ", ".join(f"{status} {counts.get(status, 0):,}" for status in named)
    reporter.info(f"{total:,} rows: {parts}")
    reporter.info(
        f"{report.calls:,} API calls in {report.elapsed:.1f} s, "
        f"achieved {report.achieved_rate:.2f} requests/s, {report.throttles:,} throttled"
    )
    if report.stopped_early:
        reporter.info(f"STOPPED EARLY: {report.stop_reason}. {wording.stopped_early}")
    reporter.info(f"Results: {results}")


def rows_named(numbers: Sequence[int]) -> str:
    """'Row 4', 'Rows 4, 7' or 'Rows 4, 7, ... and 12 more'."""
    named = ", ".join(str(number) for number in numbers[:_ROWS_NAMED])
    more = f" and {len(numbers) - _ROWS_NAMED:,} more" if len(numbers) > _ROWS_NAMED else ""
    return f"{'Row' if len(numbers) == 1 else 'Rows'} {named}{more}"
