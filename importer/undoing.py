"""undo's use case: end every task a results file lists as created, with StopContact.

Which lines name a task to stop, and on which instance, is importer.undo_plan's. The plan is
made before the journal is locked, reading it read-only, and said first: how many tasks on
which instances. ``confirm`` then decides (the CLI asks on a terminal unless --yes, and
refuses without one); refused, nothing is sent and no run is recorded (a UsageError,
exit 2). :func:`preview_undo` (``--dry-run``) lists the tasks and sends nothing.

The stops go through the sequence run and retry use (importer.sending): one rate limiter,
retries, the stop rules (access denied stops the run early and names connect:StopContact),
and the journal, by ContactId (importer.row_journal.StopJournal): each task is stopped
once, and a second undo of the file sends nothing new. A StopContact answered
ContactNotFoundException (the task had already ended, or is not found) counts as stopped.

The merged results are written back to the same file (``--results`` wins; for a sandbox,
to the sandbox results beside it, never over a real run's): a stopped task's line reads
``stopped`` and says when; a line whose stop failed, or was not sent, keeps its status
(its task still exists) and says why; every other line is written as it was. The exit
code counts the tasks only: 0 when each is stopped (or was before), 1 when a stop failed,
3 when the run stopped early.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from importer.aws import stop_submitter
from importer.clients import Connector, aws_connector
from importer.errors import UsageError
from importer.journal import readable_time, reading, resolve_path
from importer.options import RunOptions
from importer.reporter import Reporter
from importer.results import read_results
from importer.retry_plan import number_lines, refuse_repeated_rows
from importer.row_journal import StopJournal
from importer.run_summary import FileSummary, RunSummary, file_sha256
from importer.sending import open_sending
from importer.staging import SANDBOX_ADVICE, Staging, open_staging, written_back
from importer.stop_requests import Stop
from importer.undo_plan import UndoPlan, after_stop, plan_undo

Confirm = Callable[[UndoPlan], bool]
"""Asked once the plan is said, before anything is sent: go on (True) or not."""


def undo_results(
    results_file: str,
    options: RunOptions,
    *,
    confirm: Confirm | None = None,
    connect: Connector | None = None,
    reporter: Reporter | None = None,
    summary: RunSummary | None = None,
    stop: Stop | None = None,
) -> RunSummary:
    """Stop every task ``results_file`` lists as created and write the results back; the
    run's summary (its ``exit_code`` too). ``confirm``: asked before sending (None: go on);
    ``summary``: one to fill in, so its caller has it however this ends; ``stop``: to stop
    the run from outside (a signal handler)."""
    reporter = reporter if reporter is not None else Reporter()
    summary = summary if summary is not None else RunSummary("undo", options.audit_record())
    connect = connect if connect is not None else aws_connector(options)
    source = str(results_file)
    results = written_back(source, options)
    with open_staging(options, reporter) as staging:
        if options.sandbox:
            staging.keep_run_results(results, "a sandbox undo", SANDBOX_ADVICE)
        path, plan = _read_plan(staging, source, options)
        local_results = path if results == source else staging.local_results_for(results)
        report_plan(reporter, plan)
        if plan.to_send and confirm is not None and not confirm(plan):
            raise UsageError("undo was not confirmed: nothing was sent")
        file = FileSummary(source, sha256=file_sha256(path))
        summary.files.append(file)
        with open_sending(options, staging, summary, connect, reporter, stop) as sending:
            submit = stop_submitter(sending.clients.connect)
            sent = sending.batch(source, submit, StopJournal(sending.journal))
            for number, line in plan.untouched.items():
                sent.keep(line.outcome(number), counted=False)
            for number, line in plan.stopped_lines.items():
                sent.keep(line.outcome(number))
            report = sent.send([task.row() for task in plan.tasks])
            for task in plan.tasks:
                outcome = sent.outcomes[task.number]
                sent.keep(after_stop(task, outcome), count_as=outcome.status)
            sent.settle(report, file, results, local_results, plan.input_columns)
            sending.finish()
    return summary


def preview_undo(
    results_file: str, options: RunOptions, *, reporter: Reporter | None = None
) -> UndoPlan:
    """What undo would do (``--dry-run``): each task it would stop (row, ContactId,
    instance) and each it would not send again, through ``reporter``; nothing is sent and
    the journal is only read."""
    reporter = reporter if reporter is not None else Reporter()
    with open_staging(options, reporter) as staging:
        _, plan = _read_plan(staging, str(results_file), options)
    report_plan(reporter, plan)
    for task in plan.tasks:
        before = plan.stopped_before.get(task.contact_id)
        if before is None:
            reporter.item(f"row {task.number}: {task.contact_id} on instance {task.instance_id}")
        else:
            reporter.item(
                f"row {task.number}: {task.contact_id} stopped on "
                f"{readable_time(before.stopped_at)} (journal run {before.run_id}): not sent"
            )
    reporter.info(f"Dry run: {len(plan.to_send):,} tasks would be stopped; nothing was sent.")
    return plan


def report_plan(reporter: Reporter, plan: UndoPlan) -> None:
    """Say what undo is about to do: how many tasks on which instances, and what it leaves."""
    instances = plan.instances()
    on = "; ".join(f"{count:,} on instance {instance}" for instance, count in instances.items())
    if plan.to_send:
        reporter.info(
            f"{plan.source}: {len(plan.to_send):,} tasks to stop with StopContact ({on})."
        )
    else:
        reporter.info(f"{plan.source}: no task to stop.")
    if plan.stopped_before:
        reporter.info(
            f"Not sent again: {_lines(len(plan.stopped_before))} whose task the journal "
            "records as stopped before."
        )
    if plan.stopped_lines:
        reporter.info(f"Stopped already: {_lines(len(plan.stopped_lines))}.")
    if plan.untouched:
        reporter.info(
            f"Left as they are: {_lines(len(plan.untouched))} without a created task (invalid, "
            "failed, not attempted...)."
        )


def _lines(count: int) -> str:
    return f"{count:,} line" if count == 1 else f"{count:,} lines"


def _read_plan(staging: Staging, source: str, options: RunOptions) -> tuple[Path, UndoPlan]:
    """The results file made local, and undo's plan for it, the journal read read-only
    (a sandbox without --journal has none to read)."""
    path = staging.fetch(source)
    input_columns, lines = read_results(path)
    refuse_repeated_rows(path, lines)
    by_row, _ = number_lines(lines)
    if options.sandbox and options.journal is None:
        return path, plan_undo(source, input_columns, by_row, options, None)
    with reading(resolve_path(options.journal)) as journal:
        return path, plan_undo(source, input_columns, by_row, options, journal)
