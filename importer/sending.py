"""The one sequence that sends batches, shared by run, retry and undo.

:func:`open_sending` opens the clients (through a Connector), the journal and the run's
record in it; from then on a :class:`Stop` stops the run cleanly. Each input file (or
results file) is a batch: :meth:`Sending.batch` gives its :class:`BatchSending`, which
reconciles the rows with the journal (importer.reconcile), sends them through the
executor, and :meth:`BatchSending.settle` writes the results in row order, records the
batch in the run's summary and publishes the results (S3). :meth:`Sending.finish` ends the
summary and the journal's run. The rate limiter, the failure tally and the stop are the
run's, shared by its batches. A batch sends StartTaskContact unless given another
``submit`` and the :class:`~importer.row_journal.RowJournal` that journals it (undo gives
StopContact's). Whatever the command, a results line whose task undo stopped reads
``stopped`` (the journal knows since when), never ``created`` again.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import (
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    Sequence,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from importer.aws import task_submitter
from importer.batch_messages import (
    FIRST_ERRORS_SHOWN,
    report_edited,
    report_failed_rows,
    report_figures,
    report_first_errors,
    rows_named,
)
from importer.clients import Clients, Connector
from importer.collector import Freezer
from importer.errors import ImporterError, Interrupted, JournalError
from importer.executor import Executor, ExecutorSettings, RunReport, make_limiter
from importer.exit_policy import batch_exit, batch_reason
from importer.exitcodes import ExitCode
from importer.journal import Journal
from importer.lost_answers import refused_edit
from importer.messages import Wording
from importer.model import Outcome, PreparedRow, Status
from importer.options import RunOptions
from importer.outbound import Outbound, presigner_for
from importer.outcome_spool import OutcomeSpool
from importer.ratelimit import RateLimiter
from importer.reconcile import Plan, reconcile
from importer.reporter import Reporter
from importer.results import ResultsWriter
from importer.row_journal import RowJournal, TaskJournal, read_stopped
from importer.row_sender import Submit
from importer.run_journal import open_run_journal, record_failed_run
from importer.run_summary import COUNTED, FileSummary, RunSummary
from importer.staging import Staging
from importer.stop_requests import Stop
from importer.stop_rules import FailureTally
from importer.summary_sheet import summary_pairs
from importer.two_pass import handed_over


@dataclass
class Sending:
    """A run's clients, journal and shared limits, opened by :func:`open_sending`."""

    options: RunOptions
    clients: Clients
    journal: Journal
    staging: Staging
    summary: RunSummary
    reporter: Reporter
    stop: Stop
    settings: ExecutorSettings
    limiter: RateLimiter
    outbound: Outbound
    tally: FailureTally = field(default_factory=FailureTally)

    def batch(
        self, batch_id: str, submit: Submit | None = None, records: RowJournal | None = None
    ) -> BatchSending:
        """One batch of this run; ``submit`` sends a request and ``records`` journals it
        (default: StartTaskContact through the Connect client, user names resolved and
        attachment links signed, journaled by ClientToken)."""
        if submit is None:
            submit = self.outbound.submitter(task_submitter(self.clients.connect))
        return BatchSending(self, batch_id, submit, records or TaskJournal(self.journal))

    def finish(self) -> ExitCode:
        """Decide the run's exit code from its batches and keep the run's end and summary
        in the journal. A journal that can no longer be written (which stopped the run and
        was reported) loses only this record."""
        code = self.summary.finish()
        try:
            self.journal.finish_run(code, self.summary.as_dict())
        except JournalError as problem:
            self.reporter.warning(f"the run's summary could not be kept in the journal: {problem}")
        return code


@dataclass
class BatchSending:
    """One batch's rows: reconciled, sent, then settled; ``outcomes`` by row number."""

    run: Sending
    batch_id: str
    submit: Submit
    records: RowJournal
    outcomes: MutableMapping[int, Outcome] = field(default_factory=dict)
    """A dict, or a spool on disk (importer.outcome_spool) for a batch of any size."""
    first_invalid: list[PreparedRow] = field(default_factory=list)
    uncounted: set[int] = field(default_factory=set)
    """Rows whose lines are written but not counted (lines undo leaves as they are)."""
    counted_as: dict[int, Status] = field(default_factory=dict)
    """Rows counted under another status than their line's."""
    freezer: Freezer = field(default_factory=Freezer)
    list_invalid: bool = True
    """Name the first invalid rows and their errors (not when the file said why once: no
    column maps, see importer.batch_messages)."""

    def keep(
        self, outcome: Outcome, *, counted: bool = True, count_as: Status | None = None
    ) -> None:
        """Record a row's outcome for the results file (a line kept as it is, too), counted
        in the batch's figures (and exit code) as its status, or ``count_as``, or not at
        all."""
        self.outcomes[outcome.row] = outcome
        self.freezer.kept()
        if counted:
            self.uncounted.discard(outcome.row)
        else:
            self.uncounted.add(outcome.row)
        if count_as is None:
            self.counted_as.pop(outcome.row, None)
        else:
            self.counted_as[outcome.row] = count_as

    def reconcile(self, rows: Sequence[PreparedRow], added: Collection[int] = ()) -> Plan:
        """Which rows already have a task, or were edited since theirs (see
        importer.reconcile); the outcomes kept so far are lines of the file not sent."""
        kept = {number: outcome.client_token for number, outcome in self.outcomes.items()}
        return reconcile(
            self.run.journal,
            self.batch_id,
            rows,
            kept=kept,
            added=added,
            send_edited=self.run.options.send_edited,
        )

    def send(
        self,
        rows: list[PreparedRow] | Iterator[PreparedRow],
        plan: Plan | None = None,
        count: int = 0,
    ) -> RunReport:
        """Send the valid rows ``plan`` leaves to send (None: rows not reconciled, as
        undo's); record every row's outcome. ``rows``: a list, emptied as its rows are
        handed over, or an iterator of ``count`` rows, read as they are sent; either way a
        row is let go of once it is settled or sent (its outcome keeps its cells)."""
        run = self.run
        if isinstance(rows, list):
            count, rows = len(rows), handed_over(rows)
        plan = plan if plan is not None else Plan(self.batch_id, 0, True, 0, count)
        report_edited(run.reporter, plan)
        done = Counter(outcome.status for outcome in self.outcomes.values())
        progress = run.reporter.progress(len(self.outcomes) + count, done)
        executor = Executor(
            self.submit,
            self.records,
            run.settings,
            progress,
            self.batch_id,
            limiter=run.limiter,
            tally=run.tally,
        )

        def settled(outcome: Outcome) -> None:
            self.keep(outcome)
            progress.update(outcome, run.limiter.rate)

        with run.stop.watching(executor):
            report = executor.run(
                self._to_send(rows, plan, settled),
                lambda outcome: self.keep(plan.explain(outcome)),
            )
        report_refused_edits(run.reporter, self.outcomes, plan.resent)
        return report

    def _to_send(
        self, rows: Iterator[PreparedRow], plan: Plan, settled: Callable[[Outcome], None]
    ) -> Iterator[PreparedRow]:
        """The rows to send, a part at a time: the others (invalid, created before, a user
        name that is no agent...) are ``settled`` here. A valid row whose own token created
        a task is ``already_created`` after its user name is looked up, as the executor
        would say after a look-up each."""
        for part in _parts(rows):
            valid = []
            for row in part:
                outcome = plan.settled(row)
                if outcome is None:
                    valid.append(row)
                    continue
                settled(outcome)
                self._note_invalid(outcome, row)
            part.clear()
            valid, unresolved = self.run.outbound.ready(valid)
            for row in unresolved:
                outcome = row.outcome(Status.INVALID)
                settled(outcome)
                self._note_invalid(outcome, row)
            valid.reverse()
            while valid:
                row = valid.pop()
                created = plan.created_before(row)
                if created is None:
                    yield row
                else:
                    settled(created)

    def _note_invalid(self, outcome: Outcome, row: PreparedRow) -> None:
        if outcome.status is Status.INVALID and len(self.first_invalid) < FIRST_ERRORS_SHOWN:
            self.first_invalid.append(row)

    def settle(
        self,
        report: RunReport,
        file: FileSummary,
        results: str,
        local_results: Path,
        input_columns: list[str],
    ) -> None:
        """Write the results in row order to ``local_results``, say the batch's figures
        (naming the results ``results``: an S3 URL for a file uploaded after), record the
        batch in ``file`` and publish the results to ``results``."""
        counts = {status: 0 for status in COUNTED}
        failed = []
        with ResultsWriter(local_results, input_columns) as writer:
            for part in _parts(_in_row_order(self.outcomes)):
                read_stopped(self.run.journal, part, "nothing was sent")
                for outcome in part:
                    writer.write(outcome)
                    if outcome.row not in self.uncounted:
                        status = self.counted_as.get(outcome.row, outcome.status)
                        counts[status] = counts.get(status, 0) + 1
                    if outcome.status is Status.FAILED:
                        failed.append(outcome)
            writer.add_summary(summary_pairs(self.run.options, report, results))
        if writer.path != local_results and local_results == Path(results):
            results, local_results = str(writer.path), writer.path  # beside a locked file
        reporter = self.run.reporter
        report_figures(reporter, counts, report, results, self.records.wording)
        if self.list_invalid:
            report_first_errors(reporter, self.first_invalid, counts[Status.INVALID], results)
        report_failed_rows(reporter, failed, results)
        _record_batch(file, self.batch_id, counts, report, self.records.wording)
        self.run.staging.publish_results(local_results, results, file)


def _record_batch(
    file: FileSummary,
    batch_id: str,
    counts: dict[Status, int],
    report: RunReport,
    wording: Wording,
) -> None:
    """Put one batch's figures and exit code into its file's part of the run summary."""
    code = batch_exit(counts, report.stopped_early)
    file.batch_id = batch_id
    file.counts = {str(status): count for status, count in counts.items()}
    file.api_calls, file.throttles = report.calls, report.throttles
    file.send_seconds, file.achieved_rate = report.elapsed, round(report.achieved_rate, 3)
    file.exit_code, file.reason = int(code), batch_reason(code, counts, report.stop_reason, wording)


@contextlib.contextmanager
def open_sending(
    options: RunOptions,
    staging: Staging,
    summary: RunSummary,
    connect: Connector,
    reporter: Reporter,
    stop: Stop | None = None,
) -> Iterator[Sending]:
    """Open the clients, lock the journal (a throwaway one for a sandbox without one) and
    record the run in it; from here ``stop`` (its ``sending`` set) stops the run cleanly. A
    run that ends on an error, or that another run's lock refuses (exit 4), is recorded with
    its reason all the same (for ``history``)."""
    settings = options.executor_settings()
    with contextlib.ExitStack() as stack:
        clients = stack.enter_context(connect(settings.concurrency))
        journal = stack.enter_context(open_run_journal(options, summary))
        stop = stop if stop is not None else Stop()
        stop.sending = True
        try:
            yield Sending(
                options,
                clients,
                journal,
                staging,
                summary,
                reporter,
                stop,
                settings,
                make_limiter(settings),
                Outbound(clients.connect, presigner_for(options)),
            )
        except (ImporterError, Interrupted) as problem:
            record_failed_run(journal, summary, problem)
            raise


SENT_IN_PARTS = 1_000
"""Rows looked at together before they are sent (user names, links, created before), and
outcomes together as they are written."""
_Item = TypeVar("_Item")


def _parts(items: Iterable[_Item]) -> Iterator[list[_Item]]:
    part: list[_Item] = []
    for item in items:
        part.append(item)
        if len(part) == SENT_IN_PARTS:
            yield part
            part = []
    if part:
        yield part


def _in_row_order(outcomes: Mapping[int, Outcome]) -> Iterator[Outcome]:
    if isinstance(outcomes, OutcomeSpool):
        return outcomes.in_row_order()
    return (outcomes[row] for row in sorted(outcomes))


def report_refused_edits(
    reporter: Reporter, outcomes: Mapping[int, Outcome], numbers: Iterable[int]
) -> None:
    """Name the rows, of ``numbers``, that were edited after a task was created under their
    token, and which Amazon Connect refused as such (their results lines say more)."""
    refused = sorted(n for n in numbers if n in outcomes and refused_edit(outcomes[n]))
    if refused:
        reporter.warning(
            f"{rows_named(refused)}: edited after a task had already been created from each, "
            "so not sent again; see error_message in the results file"
        )
