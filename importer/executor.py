"""Send prepared rows: concurrent, rate-limited, retried, journaled.

Requests go out through ``submit(request) -> id``, a plain callable that raises ApiError
(:data:`~importer.row_sender.Submit`); :func:`importer.aws.task_submitter` makes the one that
sends StartTaskContact with boto3 (:func:`importer.aws.stop_submitter` undo's StopContact),
and tests pass their own. What the journal keeps of each row is its
:class:`~importer.row_journal.RowJournal`'s (:class:`~importer.row_journal.TaskJournal` for
StartTaskContact): marked in flight before it is sent, its answer recorded when it comes.

The thread that calls :meth:`Executor.run` reads the rows, keeps a bounded window of them in
flight, each sent from a daemon worker thread by a :class:`RowSender`, and calls
``on_outcome`` once per row, in the order the rows finish (``Outcome.row`` gives the row
number). A row that needs no request (invalid, already created) is reported without one; a
row whose journal key (its ClientToken) is still in flight waits for it (the same token is
sent once at a time). Each thread is a daemon: a request the run stopped waiting for must
not keep the process alive at exit (ThreadPoolExecutor's workers are joined at exit).

Threads share ``submit`` and one :class:`RateLimiter`; the executors of one run (one per
input file) can share the limiter and a :class:`FailureTally`, so a new file neither starts
with a fresh burst nor forgets the failures that should stop the run.

A run stops early (``RunReport.stopped_early``; the CLI exits 3) on :meth:`request_stop`, a
journal that cannot be written, or one of :mod:`importer.stop_rules`' rules. Requests in
flight finish (:meth:`abandon` stops waiting for them too). A row never sent is reported
``not_attempted``; a row sent but not settled when the run stopped is ``failed``, saying
whether a task may have been created.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from importer.errors import JournalError, UsageError
from importer.journal import Entry
from importer.model import Outcome, PreparedRow, Status
from importer.progress import NullProgress, Progress
from importer.ratelimit import Algorithm, RateLimiter, bucket_problem, make_controller
from importer.retry_policy import RetryPolicy
from importer.row_journal import RowJournal
from importer.row_sender import POLL, RowSender, RowState, Submit
from importer.stop_rules import FailureTally, StopRules
from importer.workers import Job, Workers

_Pending = dict[Job, tuple[PreparedRow, RowState]]
"""The rows in flight, by the job that sends each."""


@dataclass
class ExecutorSettings:
    """How fast, how persistently and how patiently rows are sent."""

    concurrency: int = 4
    """Requests on the wire at once."""
    rate: float = 2.0
    """Requests a second never to exceed (StartTaskContact's default quota is 2)."""
    burst: int = 5
    """Requests sent at once after a quiet spell (the default quota's burst is 5)."""
    max_attempts: int = 8
    """Attempts per row, the first included."""
    max_failures: int | None = None
    """Stop the run once more than this many rows have failed."""
    max_failure_fraction: float | None = None
    """Stop the run once more than this share (0..1] of finished rows have failed."""
    breaker_rows: int = 5
    """Stop when this many first rows all fail with the same error before any succeeds, or
    when this many first requests all get no answer (a timeout, no connection)."""
    quota_pause_seconds: float = 30.0
    """Pause after the active-task quota refuses a task, before trying once more."""
    backoff_base: float = 0.5
    """First retry waits up to this long; each later one up to twice as long (full jitter)."""
    backoff_max: float = 20.0
    """Longest wait between two attempts of a row."""
    adaptive: bool = True
    """Slow down when throttled and climb back (False: hold ``rate`` whatever happens)."""
    algorithm: Algorithm = "cubic"

    def __post_init__(self) -> None:
        bucket = bucket_problem(self.rate, self.burst)
        checks = (
            (self.concurrency >= 1, f"concurrency must be at least 1, not {self.concurrency}"),
            (bucket is None, bucket or ""),
            (self.max_attempts >= 1, f"max attempts must be at least 1, not {self.max_attempts}"),
            (
                self.max_failures is None or self.max_failures >= 0,
                f"max failures must be 0 or more, not {self.max_failures}",
            ),
            (
                self.max_failure_fraction is None or 0 < self.max_failure_fraction <= 1,
                f"max failure fraction must be in (0, 1], not {self.max_failure_fraction}",
            ),
            (self.breaker_rows >= 1, f"breaker rows must be at least 1, not {self.breaker_rows}"),
            (self.quota_pause_seconds >= 0, "quota pause must be 0 seconds or more"),
            (0 <= self.backoff_base <= self.backoff_max, "need 0 <= backoff base <= backoff max"),
        )
        for ok, message in checks:
            if not ok:
                raise UsageError(message)

    @property
    def retry(self) -> RetryPolicy:
        """How each row is tried again."""
        return RetryPolicy(self.max_attempts, self.backoff_base, self.backoff_max)


@dataclass
class RunReport:
    """How a run went. ``stopped_early`` runs should exit with ExitCode.STOPPED."""

    stop_reason: str | None
    stopped_early: bool
    calls: int
    """Requests sent (StartTaskContact or StopContact calls), retries and throttled ones
    included."""
    throttles: int
    """Calls answered with a throttling error."""
    elapsed: float
    """Seconds ``run`` took."""
    achieved_rate: float
    """Calls the service accepted (not throttled) per second, first send to last answer."""
    counts: dict[Status, int] = field(default_factory=dict)
    final_rate: float = 0.0
    """The rate limiter's rate at the end, in requests a second."""


def make_limiter(settings: ExecutorSettings) -> RateLimiter:
    """The rate limiter ``settings`` describe."""
    return RateLimiter(
        settings.rate,
        settings.burst,
        adaptive=settings.adaptive,
        controller=make_controller(settings.algorithm),
    )


class Executor:
    """Runs rows through ``submit`` once; see the module docstring."""

    def __init__(
        self,
        submit: Submit,
        journal: RowJournal,
        settings: ExecutorSettings | None = None,
        progress: Progress | None = None,
        batch_id: str = "",
        *,
        limiter: RateLimiter | None = None,
        tally: FailureTally | None = None,
    ) -> None:
        self.settings = settings if settings is not None else ExecutorSettings()
        self._journal = journal
        self._progress: Progress = progress if progress is not None else NullProgress()
        self.limiter = limiter or make_limiter(self.settings)
        self._rules = StopRules(
            breaker_rows=self.settings.breaker_rows,
            max_failures=self.settings.max_failures,
            max_failure_fraction=self.settings.max_failure_fraction,
            quota_pause=self.settings.quota_pause_seconds,
            tally=tally,
            wording=journal.wording,
        )
        self._sender = RowSender(
            submit,
            journal,
            batch_id=batch_id,
            limiter=self.limiter,
            rules=self._rules,
            retry=self.settings.retry,
            concurrency=self.settings.concurrency,
        )
        self._window = 2 * self.settings.concurrency + 8
        self._done: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._counts: Counter[Status] = Counter()
        self._used = False

    def request_stop(self, reason: str = "interrupted") -> None:
        """Finish the requests in flight, send nothing new; rows never sent become
        not_attempted.

        Safe to call from a signal handler: it takes no lock.
        """
        self._sender.request_stop(reason)

    def abandon(self, reason: str = "interrupted") -> None:
        """Stop, and stop waiting for the requests in flight too: :meth:`run` returns at once
        and reports them failed (a task may have been created). Their journal entries stay
        in flight, so the next run resends their ClientTokens and reconciles them.

        Safe to call from a signal handler: it takes no lock.
        """
        self._sender.abandon(reason)

    def run(self, rows: Iterable[PreparedRow], on_outcome: Callable[[Outcome], None]) -> RunReport:
        """Send every row not yet created; call ``on_outcome`` once per row (this thread)."""
        if self._used:
            raise RuntimeError("an Executor runs once; make a new one")
        self._used = True
        started = time.monotonic()
        pending: _Pending = {}
        tokens: dict[str, Job] = {}
        workers = Workers(self._window)
        self._done = workers.done
        try:
            for row in rows:
                key = self._journal.key(row) if row.ok and row.request is not None else ""
                if key in tokens:
                    self._drain(pending, tokens, on_outcome, until=tokens[key])
                outcome, entry = self._without_sending(row)
                if outcome is not None:
                    self._emit(outcome, on_outcome, counted=False)
                    continue
                while len(pending) >= self._window:
                    self._drain(pending, tokens, on_outcome)
                state = RowState(entry=entry)
                job = workers.submit(self._sender.send, row, state)
                pending[job] = (row, state)
                tokens[key] = job
            while pending:
                self._drain(pending, tokens, on_outcome)
        except BaseException:
            self._sender.stopping = True
            if not self._sender.abandoned:
                self._wait_all(pending)
            raise
        finally:
            workers.close()
            self._progress.close()
        return self._report(time.monotonic() - started)

    def _without_sending(self, row: PreparedRow) -> tuple[Outcome | None, Entry | None]:
        """The outcome of a row that needs no request (invalid, settled before, stopping)."""
        if not row.ok or row.request is None:
            return row.outcome(Status.INVALID, error_message=row.error_text or "no request"), None
        try:
            entry = self._journal.lookup(row)
        except JournalError as error:
            self._sender.journal_failed(error)
            return self._sender.stopped_outcome(row, RowState()), None
        settled = self._journal.settled(row, entry)
        if settled is not None:
            return settled, entry
        if self._sender.stopping:
            return self._sender.stopped_outcome(row, RowState(entry=entry)), entry
        return None, entry

    def _drain(
        self,
        pending: _Pending,
        tokens: dict[str, Job],
        on_outcome: Callable[[Outcome], None],
        until: Job | None = None,
    ) -> None:
        """Wait for some rows to finish (``until``, if given) and report them; once the run
        is abandoned, report every row at once, finished or not."""
        while pending:
            if self._sender.abandoned:
                for job, (row, state) in list(pending.items()):
                    if job.done:
                        outcome = job.result()
                    else:
                        outcome = self._sender.stopped_outcome(row, state, waiting=state.on_wire)
                    self._settle(pending, tokens, job, outcome, on_outcome)
                return
            done = self._finished(pending)
            for job in done:
                self._settle(pending, tokens, job, job.result(), on_outcome)
            if done and (until is None or until.done):
                return

    def _wait_all(self, pending: _Pending) -> None:
        """Wait until every row of ``pending`` has finished (its outcome is dropped)."""
        while not all(job.done for job in pending):
            with contextlib.suppress(queue.Empty):
                self._done.get(timeout=POLL)

    def _finished(self, pending: _Pending) -> list[Job]:
        """The rows of ``pending`` that have finished, from the workers' completion queue:
        waits up to POLL for one (a wait() over every row in flight cost the thread ~16%
        of the GIL's time at C=40)."""
        try:
            finished = [self._done.get(timeout=POLL)]
        except queue.Empty:
            return []
        with contextlib.suppress(queue.Empty):
            while True:
                finished.append(self._done.get_nowait())
        return [job for job in finished if job in pending]

    def _settle(
        self,
        pending: _Pending,
        tokens: dict[str, Job],
        job: Job,
        outcome: Outcome,
        on_outcome: Callable[[Outcome], None],
    ) -> None:
        row, state = pending.pop(job)
        key = self._journal.key(row)
        if tokens.get(key) is job:
            del tokens[key]
        self._emit(outcome, on_outcome, counted=not state.stopped)

    def _emit(
        self, outcome: Outcome, on_outcome: Callable[[Outcome], None], counted: bool = True
    ) -> None:
        """Report an outcome; ``counted``: the failure breakers count it (a row the run
        stopped for is not a new failure)."""
        self._counts[outcome.status] += 1
        self._progress.update(outcome, self.limiter.rate)
        on_outcome(outcome)
        stop = self._rules.finished(outcome, counted)
        if stop is not None:
            self._sender.trip(stop)

    def _report(self, elapsed: float) -> RunReport:
        sender = self._sender
        accepted = sender.calls - sender.throttles
        span = (
            sender.last_answer - sender.first_sent
            if sender.first_sent is not None and sender.last_answer is not None
            else 0.0
        )
        return RunReport(
            stop_reason=sender.stop_reason,
            stopped_early=sender.stop_reason is not None,
            calls=sender.calls,
            throttles=sender.throttles,
            elapsed=elapsed,
            achieved_rate=accepted / span if span > 0 else 0.0,
            counts=dict(self._counts),
            final_rate=self.limiter.rate,
        )
