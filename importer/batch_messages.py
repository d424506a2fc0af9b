"""What the use cases tell the user about a batch: where it came from, its first invalid
and failed rows and its figures (through a Reporter), and a run's totals. Warnings for rows
that did not make it, an error for a stop: a log's levels say what happened."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from importer.aws import kind_for
from importer.errors import ErrorKind
from importer.executor import RunReport
from importer.messages import TASKS, Wording
from importer.model import Outcome, PreparedRow, Status
from importer.pipeline import Batch
from importer.reconcile import EDITED_CODE, Plan
from importer.reporter import Reporter
from importer.run_summary import RATE_SHOWN_AFTER, RunSummary, status_counts

FIRST_ERRORS_SHOWN = 20
"""Invalid rows, and failed rows, named with their errors in the log."""
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


def report_first_errors(
    reporter: Reporter, rows: Sequence[PreparedRow], total: int, results: str
) -> None:
    """The errors of the first invalid rows (at most FIRST_ERRORS_SHOWN of ``total``), as
    warnings; past those, where all of them are."""
    if not rows:
        return
    reporter.warning(_listed(len(rows), total, "invalid", results))
    for row in rows:
        for error in row.errors:
            reporter.warning(f"  row {row.number}, column '{error.column}': {error.message}")


def report_failed_rows(reporter: Reporter, outcomes: Iterable[Outcome], results: str) -> None:
    """The first failed rows (at most FIRST_ERRORS_SHOWN), as warnings: each one's error
    code and a short reason in our own words (Amazon Connect's messages may quote a row's
    values, which stay in the results file)."""
    failed = sorted(
        (outcome for outcome in outcomes if outcome.status is Status.FAILED),
        key=lambda outcome: outcome.row,
    )
    if not failed:
        return
    shown = failed[:FIRST_ERRORS_SHOWN]
    reporter.warning(_listed(len(shown), len(failed), "failed", results))
    for outcome in shown:
        code = outcome.error_code or "Failed"
        reporter.warning(f"  row {outcome.row}: {code}: {short_reason(code)}")


def _listed(shown: int, total: int, status: str, results: str) -> str:
    if total > shown:
        return f"First {shown} of {total:,} {status} rows (all of them are in {results}):"
    return f"{status.capitalize()} rows (error_message in {results} says more):"


def short_reason(code: str) -> str:
    """What an error code on a failed row means, in a few words."""
    if code == EDITED_CODE:
        return "changed since its task was created, so not sent"
    return _SHORT_REASONS[kind_for(code, None)]


_SHORT_REASONS = {
    ErrorKind.THROTTLE: "throttled: over Amazon Connect's request-rate quota",
    ErrorKind.TRANSIENT: "no clear answer from Amazon Connect: a task may have been created "
    "(a re-run reconciles it)",
    ErrorKind.QUOTA: "refused by a quota: too many active tasks, or 12 on one PreviousContactId",
    ErrorKind.ACCESS_DENIED: "access denied: check the credentials and the IAM policy",
    ErrorKind.CONFIG_NOT_FOUND: "the instance, flow, task template or quick connect it names "
    "was not found",
    ErrorKind.ROW_INVALID: "Amazon Connect refused the row's values",
    ErrorKind.MISMATCH: "its ClientToken already made a task with other values",
}


def report_figures(
    reporter: Reporter,
    counts: Mapping[Status, int],
    report: RunReport,
    results: str,
    wording: Wording = TASKS,
) -> None:
    """A sent batch's counts per status, calls, rate, a stop (an error; ``wording``: what its
    lines then say), and where its results are."""
    total = sum(counts.values())
    reporter.info(f"{total:,} rows: {status_counts(counts)}")
    reporter.info(calls_text(report.calls, report.elapsed, report.achieved_rate, report.throttles))
    if report.stopped_early:
        reporter.error(f"STOPPED EARLY: {report.stop_reason}. {wording.stopped_early}")
    reporter.info(f"Results: {results}")


def calls_text(calls: int, seconds: float, rate: float, throttles: int) -> str:
    """'138 API calls in 69.2 s, achieved 2.00 requests/s, 0 throttled': the rate only for
    sending that lasted RATE_SHOWN_AFTER seconds or more (a rate over less says nothing)."""
    achieved = f", achieved {rate:.2f} requests/s" if seconds >= RATE_SHOWN_AFTER else ""
    plural = "" if calls == 1 else "s"
    return f"{calls:,} API call{plural} in {seconds:.1f} s{achieved}, {throttles:,} throttled"


def report_total(reporter: Reporter, summary: RunSummary) -> None:
    """After the lines of each file of a run of several: the run's totals."""
    if len(summary.files) < 2:
        return
    figures = summary.as_dict()
    counts = summary.counts()
    reporter.info(
        f"Total of {len(summary.files)} files: {sum(counts.values()):,} rows: "
        f"{status_counts({Status(name): count for name, count in counts.items()})}; "
        + calls_text(
            figures["api_calls"],
            sum(file.send_seconds for file in summary.files),
            figures["achieved_rate"],
            figures["throttles"],
        )
    )


def rows_named(numbers: Sequence[int]) -> str:
    """'Row 4', 'Rows 4, 7' or 'Rows 4, 7, ... and 12 more'."""
    named = ", ".join(str(number) for number in numbers[:_ROWS_NAMED])
    more = f" and {len(numbers) - _ROWS_NAMED:,} more" if len(numbers) > _ROWS_NAMED else ""
    return f"{'Row' if len(numbers) == 1 else 'Rows'} {named}{more}"


def warn_reused_name(reporter: Reporter, location: str, plan: Plan) -> None:
    """A new file under the name of an earlier one: say so, and how to tell them apart."""
    if not plan.reused_name:
        return
    assert plan.latest is not None
    reporter.warning(
        f"{location}: batch '{plan.batch_id}' already created {plan.batch_tasks:,} tasks, the "
        f"last {plan.created_by(plan.latest)}, but only {plan.matched:,} of this file's "
        f"{plan.rows:,} rows match them: it is read as a new file with an earlier file's name, "
        "and its rows are sent as new tasks. Give each file its own name (a date in it, e.g. "
        "callbacks-2026-11-28.csv) or pass --batch-id, so that a new file is never taken for "
        "an earlier one"
    )


def report_edited(reporter: Reporter, plan: Plan) -> None:
    """Name the rows not sent because they were edited, and those sent anyway."""
    if plan.edited:
        reporter.warning(
            f"{rows_named(sorted(plan.edited))}: changed since their task was created, so not "
            f"sent (failed, {EDITED_CODE}; error_message says which task). Correct those "
            "tasks in Amazon Connect, or run again with --send-edited to send them as new tasks"
        )
    if plan.resent:
        reporter.info(
            f"{rows_named(sorted(plan.resent))}: changed since a send whose answer was lost (a "
            "task may exist), so sent with that send's ClientToken: one task at most"
        )
    if plan.sent_edited:
        reporter.info(
            f"{rows_named(plan.sent_edited)}: changed since a task was (or may have been) "
            "created from them; sent as new tasks (--send-edited)"
        )
