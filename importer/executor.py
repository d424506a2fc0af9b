"""Send prepared rows to StartTaskContact: concurrent, rate-limited, retried, journaled.

Threads share one boto3 client and one :class:`RateLimiter`; the executors of one run (one per
input file) can share the limiter and a :class:`FailureTally`, so a new file neither starts
with a fresh burst nor forgets the failures that should stop the run. At most ``concurrency``
requests are on the wire at once; a row waiting out a retry backoff sleeps in its own thread
without holding one of those slots. The thread that calls :meth:`Executor.run` reads the
rows, keeps a bounded window of them in flight and calls ``on_outcome`` once per row, in the
order the rows finish (``Outcome.row`` gives the row number).

Every attempt of a row sends the same request dict, so the same ClientToken and body.

A run stops early (``RunReport.stopped_early``; the CLI exits 3) on :meth:`request_stop`,
access denied, an unknown instance, the same error on the first ``breaker_rows`` rows before
any success, no answer at all to the first ``breaker_rows`` requests, the active-task quota
still refusing after a pause, too many failures, or a journal that cannot be written.
Requests in flight finish (:meth:`abandon` stops waiting for them too). A row never sent is
reported ``not_attempted``; a row sent but not settled when the run stopped is ``failed``,
saying whether a task may have been created.

Each row is sent from its own daemon thread: a request the run stopped waiting for must not
keep the process alive at exit (ThreadPoolExecutor's workers are joined at exit).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from importer.aws import ApiError, ErrorKind, classify, contact_id
from importer.errors import JournalError, UsageError
from importer.journal import Entry, Journal, JournalStatus, request_digest
from importer.model import Outcome, PreparedRow, Status
from importer.progress import NullProgress, Progress
from importer.ratelimit import Algorithm, RateLimiter, make_controller

log = logging.getLogger(__name__)

FRACTION_MIN_ROWS = 20
"""Rows that must have finished before ``max_failure_fraction`` can stop a run."""
_POLL = 0.1
"""Longest sleep between checks for a stop request."""
NO_ANSWER = "NoAnswer"
"""The error code of a row whose request was still unanswered when the run stopped waiting."""


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
        checks = (
            (self.concurrency >= 1, f"concurrency must be at least 1, not {self.concurrency}"),
            (self.rate > 0, f"rate must be above 0 requests a second, not {self.rate}"),
            (self.burst >= 1, f"burst must be at least 1, not {self.burst}"),
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


@dataclass
class RunReport:
    """How a run went. ``stopped_early`` runs should exit with ExitCode.STOPPED."""

    stop_reason: str | None
    stopped_early: bool
    calls: int
    """StartTaskContact calls made, retries and throttled calls included."""
    throttles: int
    """Calls answered with a throttling error."""
    elapsed: float
    """Seconds ``run`` took."""
    achieved_rate: float
    """Calls the service accepted (not throttled) per second, first send to last answer."""
    counts: dict[Status, int] = field(default_factory=dict)
    final_rate: float = 0.0
    """The rate limiter's rate at the end, in requests a second."""


@dataclass
class FailureTally:
    """What the failure breakers count; pass one to every executor of a run."""

    created: int = 0
    failed: int = 0
    api_success: bool = False
    """Whether any call succeeded: the first-rows breaker only trips before one does."""
    first_failures: list[tuple[str, str]] = field(default_factory=list)
    answered: bool = False
    """Whether any call got an answer, even an error: the no-answer breaker only trips before."""
    unanswered: int = 0
    """Calls that got no answer (a timeout, no connection) before any was answered."""


class _Stopped(Exception):
    """The run is stopping: this attempt was not sent."""


class _AttemptFailed(Exception):
    def __init__(self, error: ApiError, retry: bool) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error
        self.retry = retry


@dataclass
class _RowState:
    """One row's sending, written by its thread; the calling thread reads it when it stops
    waiting for the row (:meth:`Executor.abandon`)."""

    attempts: int = 0
    """Requests sent this run (incremented, under the executor's lock, just before one is)."""
    entry: Entry | None = None
    """What the journal knew of the row before this run sent it."""
    marked: bool = False
    on_wire: bool = False
    """A request is out and its answer has not come yet."""
    maybe_created: bool = False
    quota_refusals: int = 0
    last_error: ApiError | None = None
    stopped: bool = False
    """Its outcome comes from the run stopping: the failure breakers do not count it."""


class _QuotaGate:
    """Pauses all sending after an active-task quota refusal; says when pausing is futile."""

    def __init__(self, pause: float) -> None:
        self._pause = pause
        self._lock = threading.Lock()
        self.resume_at = 0.0
        self._paused = False
        self._success_since_resume = False

    def refused(self, sent_at: float) -> bool:
        """A request sent at ``sent_at`` was refused; False when the last pause did not help."""
        with self._lock:
            if sent_at < self.resume_at:
                return True
            if self._paused and not self._success_since_resume:
                return False
            self.resume_at = time.monotonic() + self._pause
            self._paused = True
            self._success_since_resume = False
            return True

    def succeeded(self, sent_at: float) -> None:
        with self._lock:
            if sent_at >= self.resume_at:
                self._success_since_resume = True

    def remaining(self) -> float:
        return max(0.0, self.resume_at - time.monotonic())


def make_limiter(settings: ExecutorSettings) -> RateLimiter:
    """The rate limiter ``settings`` describe."""
    return RateLimiter(
        settings.rate,
        settings.burst,
        adaptive=settings.adaptive,
        controller=make_controller(settings.algorithm),
    )


class Executor:
    """Runs rows through StartTaskContact once; see the module docstring."""

    def __init__(
        self,
        client: Any,
        journal: Journal,
        settings: ExecutorSettings | None = None,
        progress: Progress | None = None,
        batch_id: str = "",
        *,
        limiter: RateLimiter | None = None,
        tally: FailureTally | None = None,
    ) -> None:
        self.settings = settings if settings is not None else ExecutorSettings()
        self._client = client
        self._journal = journal
        self._progress: Progress = progress if progress is not None else NullProgress()
        self._batch_id = batch_id
        self.limiter = limiter or make_limiter(self.settings)
        self._slots = threading.BoundedSemaphore(self.settings.concurrency)
        self._quota = _QuotaGate(self.settings.quota_pause_seconds)
        self._backoff = wait_random_exponential(
            multiplier=self.settings.backoff_base, max=self.settings.backoff_max
        )
        self._window = 2 * self.settings.concurrency + 8
        self._lock = threading.Lock()
        self._stopping = False
        self._abandoned = False
        self._stop_reason: str | None = None
        self._stop_note = ""
        self._journal_problem = ""
        self._calls = 0
        self._throttles = 0
        self._first_sent: float | None = None
        self._last_answer: float | None = None
        self._tally = tally if tally is not None else FailureTally()
        self._counts: Counter[Status] = Counter()
        self._used = False

    # --- stopping ---------------------------------------------------------------------------

    def request_stop(self, reason: str = "interrupted") -> None:
        """Finish the requests in flight, send nothing new; rows never sent become
        not_attempted.

        Safe to call from a signal handler: it takes no lock.
        """
        if self._stop_reason is None:
            self._stop_reason = f"{reason}; a re-run continues where this one stopped"
            self._stop_note = reason
        self._stopping = True

    def abandon(self, reason: str = "interrupted") -> None:
        """Stop, and stop waiting for the requests in flight too: :meth:`run` returns at once
        and reports them failed (a task may have been created). Their journal entries stay
        in flight, so the next run resends their ClientTokens and reconciles them.

        Safe to call from a signal handler: it takes no lock.
        """
        self.request_stop(reason)
        self._abandoned = True

    def _trip(self, note: str, reason: str) -> None:
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
                self._stop_note = note
                log.info("stopping the run: %s", note)
        self._stopping = True

    def _journal_failed(self, error: JournalError) -> None:
        self._journal_problem = self._journal_problem or str(error)
        self._trip(
            "journal error",
            f"{error}. Nothing more was sent. Make room on its disk (or fix its folder), then "
            "run the same command again: rows whose answers could not be recorded are resent "
            "with the same ClientToken and reconciled, never created twice",
        )

    def _nap(self, seconds: float) -> None:
        """Sleep, waking early if the run is stopping."""
        end = time.monotonic() + seconds
        while not self._stopping:
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, _POLL))

    # --- the calling thread -----------------------------------------------------------------

    def run(self, rows: Iterable[PreparedRow], on_outcome: Callable[[Outcome], None]) -> RunReport:
        """Send every row not yet created; call ``on_outcome`` once per row (this thread)."""
        if self._used:
            raise RuntimeError("an Executor runs once; make a new one")
        self._used = True
        started = time.monotonic()
        pending: dict[Future[Outcome], tuple[PreparedRow, _RowState]] = {}
        tokens: dict[str, Future[Outcome]] = {}
        try:
            for row in rows:
                if row.client_token in tokens:
                    self._drain(pending, tokens, on_outcome, until=tokens[row.client_token])
                outcome, entry = self._without_sending(row)
                if outcome is not None:
                    self._emit(outcome, on_outcome, counted=False)
                    continue
                while len(pending) >= self._window:
                    self._drain(pending, tokens, on_outcome)
                state = _RowState(entry=entry)
                future = _in_daemon_thread(self._send_row, row, state)
                pending[future] = (row, state)
                tokens[row.client_token] = future
            while pending:
                self._drain(pending, tokens, on_outcome)
        except BaseException:
            self._stopping = True
            if not self._abandoned:
                wait(pending)
            raise
        finally:
            self._progress.close()
        return self._report(time.monotonic() - started)

    def _without_sending(self, row: PreparedRow) -> tuple[Outcome | None, Entry | None]:
        """The outcome of a row that needs no request (invalid, already created, stopping)."""
        if not row.ok or row.request is None:
            message = row.error_text or "no request"
            return self._outcome(row, Status.INVALID, error_message=message), None
        try:
            entry = self._journal.lookup(row.client_token)
        except JournalError as error:
            self._journal_failed(error)
            return self._stopped_outcome(row, _RowState()), None
        if entry is not None and entry.status is JournalStatus.CREATED and entry.contact_id:
            message = ""
            if entry.request_sha256 and entry.request_sha256 != request_digest(row.request):
                message = (
                    "created by an earlier run; this row has changed since, "
                    "and the existing task was not updated"
                )
            outcome = self._outcome(
                row, Status.ALREADY_CREATED, contact_id=entry.contact_id, error_message=message
            )
            return outcome, entry
        if self._stopping:
            return self._stopped_outcome(row, _RowState(entry=entry)), entry
        return None, entry

    def _drain(
        self,
        pending: dict[Future[Outcome], tuple[PreparedRow, _RowState]],
        tokens: dict[str, Future[Outcome]],
        on_outcome: Callable[[Outcome], None],
        until: Future[Outcome] | None = None,
    ) -> None:
        """Wait for some rows to finish (``until``, if given) and report them; once the run
        is abandoned, report every row at once, finished or not."""
        while pending:
            if self._abandoned:
                for future, (row, state) in list(pending.items()):
                    if future.done():
                        self._settle(pending, tokens, future, future.result(), on_outcome)
                    else:
                        outcome = self._stopped_outcome(row, state, waiting=state.on_wire)
                        self._settle(pending, tokens, future, outcome, on_outcome)
                return
            done, _ = wait(pending, timeout=_POLL, return_when=FIRST_COMPLETED)
            for future in done:
                self._settle(pending, tokens, future, future.result(), on_outcome)
            if done and (until is None or until.done()):
                return

    def _settle(
        self,
        pending: dict[Future[Outcome], tuple[PreparedRow, _RowState]],
        tokens: dict[str, Future[Outcome]],
        future: Future[Outcome],
        outcome: Outcome,
        on_outcome: Callable[[Outcome], None],
    ) -> None:
        row, state = pending.pop(future)
        if tokens.get(row.client_token) is future:
            del tokens[row.client_token]
        self._emit(outcome, on_outcome, counted=not state.stopped)

    def _emit(
        self, outcome: Outcome, on_outcome: Callable[[Outcome], None], counted: bool = True
    ) -> None:
        """Report an outcome; ``counted``: the failure breakers count it (a row the run
        stopped for is not a new failure)."""
        self._counts[outcome.status] += 1
        if outcome.status is Status.CREATED:
            self._tally.created += 1
        elif outcome.status is Status.FAILED and counted:
            self._tally.failed += 1
        self._progress.update(outcome, self.limiter.rate)
        on_outcome(outcome)
        if outcome.status is Status.FAILED and counted:
            self._check_failures(outcome)

    def _check_failures(self, outcome: Outcome) -> None:
        """The breakers that count failed rows (of the whole run when the tally is shared)."""
        settings = self.settings
        tally = self._tally
        if not tally.api_success and len(tally.first_failures) < settings.breaker_rows:
            tally.first_failures.append((outcome.error_code, outcome.error_message))
            first = tally.first_failures
            if len(first) == settings.breaker_rows and len(set(first)) == 1:
                code, message = first[0]
                self._trip(
                    "configuration error",
                    f"the first {len(first)} rows all failed with the same error and none "
                    f"succeeded ({code}: {message}); this looks like a configuration problem, "
                    "not bad rows. Fix it and re-run: the run continues where it stopped",
                )
        failed = tally.failed
        if settings.max_failures is not None and failed > settings.max_failures:
            self._trip(
                "too many failures",
                f"{failed} rows failed, more than the {settings.max_failures} allowed "
                "(--max-failures); see the results file, then re-run to continue",
            )
        finished = tally.created + failed
        fraction = settings.max_failure_fraction
        if fraction is not None and finished >= FRACTION_MIN_ROWS and failed > fraction * finished:
            self._trip(
                "too many failures",
                f"{failed} of {finished} rows sent failed, more than {fraction:.0%} "
                "(--max-failures); see the results file, then re-run to continue",
            )

    def _report(self, elapsed: float) -> RunReport:
        with self._lock:
            accepted = self._calls - self._throttles
            span = (
                self._last_answer - self._first_sent
                if self._first_sent is not None and self._last_answer is not None
                else 0.0
            )
            return RunReport(
                stop_reason=self._stop_reason,
                stopped_early=self._stop_reason is not None,
                calls=self._calls,
                throttles=self._throttles,
                elapsed=elapsed,
                achieved_rate=accepted / span if span > 0 else 0.0,
                counts=dict(self._counts),
                final_rate=self.limiter.rate,
            )

    # --- outcomes ---------------------------------------------------------------------------

    @staticmethod
    def _outcome(row: PreparedRow, status: Status, **fields: Any) -> Outcome:
        return Outcome(row.number, status, row.client_token, row.source.values, **fields)

    def _stopped_outcome(
        self, row: PreparedRow, state: _RowState, waiting: bool = False
    ) -> Outcome:
        """A row the run stopped for before it was settled: ``not_attempted`` if it was never
        sent, else ``failed``, saying whether a task may have been created. ``waiting``: its
        request was still unanswered when the run stopped waiting for it."""
        state.stopped = True
        stopped = f"the run stopped ({self._stop_note})"
        entry, error = state.entry, state.last_error
        earlier = entry is not None and (entry.unanswered or entry.maybe_created)
        if state.attempts:
            attempts = state.attempts
            if waiting or error is None:
                code, what = NO_ANSWER, f"sent, and {stopped} before Amazon Connect answered"
            else:
                code = error.code
                what = f"{stopped} before this row was retried (last error {code}: {error.message})"
                if not (state.maybe_created or earlier):
                    return self._outcome(
                        row,
                        Status.FAILED,
                        error_code=code,
                        error_message=f"{what}; no task was created (each attempt was refused "
                        "or never reached Amazon Connect): a re-run sends it again",
                        attempts=attempts,
                    )
        elif entry is not None and earlier:
            code, attempts = entry.error_code or NO_ANSWER, entry.attempts
            what = f"an earlier run sent this row without a definite answer, and {stopped} first"
        else:
            return self._outcome(
                row,
                Status.NOT_ATTEMPTED,
                error_message=f"not sent: {stopped}; run the same command again to send it "
                "(nothing is sent twice)",
            )
        return self._outcome(
            row,
            Status.FAILED,
            error_code=code,
            error_message=f"{what}; a task may have been created: a re-run resends the same "
            "ClientToken and reconciles it, never making a second task",
            attempts=attempts,
        )

    # --- worker threads ---------------------------------------------------------------------

    def _send_row(self, row: PreparedRow, state: _RowState) -> Outcome:
        """Send one row with retries, journal its outcome and return it."""
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, _AttemptFailed) and e.retry),
            sleep=self._nap,
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            contact = retrying(self._attempt, row, state)
        except _Stopped:
            return self._finish_stopped(row, state)
        except _AttemptFailed as failure:
            return self._finish_failed(row, state, failure.error)
        recorded = self._record(
            row.client_token, JournalStatus.CREATED, attempts=state.attempts, contact_id=contact
        )
        unrecorded = (
            ""
            if recorded
            else f"created, but the journal could not record it ({self._journal_problem}): "
            "the next run resends its ClientToken and Amazon Connect answers with this "
            "ContactId again (no second task)"
        )
        if state.entry is not None and state.entry.unanswered:
            reconciled = (
                "reconciled: an earlier run sent this row but recorded no ContactId for it "
                "(it stopped before the answer came, or the answer held none); resent with the "
                f"same ClientToken, Amazon Connect returned ContactId {contact} for it (one "
                "task, not a second one)"
            )
            return self._outcome(
                row,
                Status.ALREADY_CREATED,
                contact_id=contact,
                attempts=state.attempts,
                error_message="; ".join(filter(None, (reconciled, unrecorded))),
            )
        return self._outcome(
            row,
            Status.CREATED,
            contact_id=contact,
            attempts=state.attempts,
            error_message=unrecorded,
        )

    def _record(self, client_token: str, status: JournalStatus, **fields: Any) -> bool:
        """Journal a row's answer; False if not: the run stopped waiting for the row (its
        entry stays in flight), or the journal failed (and the run stops)."""
        if self._abandoned:
            return False
        try:
            self._journal.record(client_token, status, **fields)
        except JournalError as error:
            self._journal_failed(error)
            return False
        return True

    def _finish_stopped(self, row: PreparedRow, state: _RowState) -> Outcome:
        if state.marked:
            unanswered = state.maybe_created or (state.entry is not None and state.entry.unanswered)
            error = state.last_error
            self._record(
                row.client_token,
                JournalStatus.IN_FLIGHT if unanswered else JournalStatus.NOT_ATTEMPTED,
                attempts=state.attempts,
                error_code=error.code if error else "",
                error_message=error.message if error else "",
                maybe_created=state.maybe_created,
            )
        return self._stopped_outcome(row, state)

    def _finish_failed(self, row: PreparedRow, state: _RowState, error: ApiError) -> Outcome:
        per_row = _per_row_quota(row, state, error)
        if error.kind is ErrorKind.QUOTA and not per_row and self._stopping:
            self._record(
                row.client_token,
                JournalStatus.NOT_ATTEMPTED,
                attempts=state.attempts,
                error_code=error.code,
                error_message=error.message,
                maybe_created=state.maybe_created,
            )
            return self._stopped_outcome(row, state)
        message = _failure_message(error, state.attempts, per_row, state.maybe_created)
        self._record(
            row.client_token,
            JournalStatus.FAILED,
            attempts=state.attempts,
            error_code=error.code,
            error_message=message,
            maybe_created=state.maybe_created,
        )
        return self._outcome(
            row,
            Status.FAILED,
            error_code=error.code,
            error_message=message,
            attempts=state.attempts,
        )

    def _wait(self, retry_state: RetryCallState) -> float:
        """Seconds before the next attempt: the quota pause, or jittered exponential backoff."""
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(failure, _AttemptFailed) and failure.error.kind is ErrorKind.QUOTA:
            return self._quota.remaining()
        return float(self._backoff(retry_state))

    def _attempt(self, row: PreparedRow, state: _RowState) -> str:
        """One call of StartTaskContact; returns the ContactId or raises _AttemptFailed."""
        if self._stopping:
            raise _Stopped
        self._nap(self._quota.remaining())
        assert row.request is not None
        with self._slots:
            sent_at = self.limiter.acquire(cancelled=lambda: self._stopping)
            if sent_at is None or self._stopping:
                raise _Stopped
            if not state.marked:
                try:
                    self._journal.mark_in_flight(
                        row.client_token,
                        row_number=row.number,
                        batch_id=self._batch_id,
                        request_sha256=request_digest(row.request),
                        origin_token=row.origin_token,
                    )
                except JournalError as error:
                    self._journal_failed(error)
                    raise _Stopped from None
                state.marked = True
            with self._lock:
                if self._stopping:
                    raise _Stopped
                state.attempts += 1
                state.on_wire = True
                self._calls += 1
                sent_mono = time.monotonic()
                if self._first_sent is None:
                    self._first_sent = sent_mono
            try:
                contact = contact_id(self._client.start_task_contact(**row.request))
            except Exception as exc:
                error = classify(exc)
                if error is None:
                    raise
                retry = self._on_error(row, state, error, sent_at, sent_mono)
                raise _AttemptFailed(error, retry) from exc
            finally:
                state.on_wire = False
                with self._lock:
                    self._last_answer = time.monotonic()
        self.limiter.succeeded(sent_at)
        self._quota.succeeded(sent_mono)
        self._tally.api_success = self._tally.answered = True
        return contact

    def _on_error(
        self, row: PreparedRow, state: _RowState, error: ApiError, sent_at: float, sent_mono: float
    ) -> bool:
        """Feed an error to the limiter and the breakers; True if the row should be retried.

        ``sent_at`` is the time of sending on the limiter's clock, ``sent_mono`` on ours.
        """
        state.last_error = error
        state.maybe_created = state.maybe_created or error.maybe_created
        log.debug("row %d: %s (attempt %d)", row.number, error.code, state.attempts)
        self._count_answer(error)
        if error.kind is ErrorKind.THROTTLE:
            with self._lock:
                self._throttles += 1
            self.limiter.throttled(sent_at)
            return True
        self.limiter.succeeded(sent_at)
        if error.kind is ErrorKind.TRANSIENT:
            return True
        if error.kind is ErrorKind.ACCESS_DENIED:
            self._trip(
                "access denied",
                f"Amazon Connect refused the credentials or permissions ({error.code}: "
                f"{error.message}); nothing else can succeed. Fix the IAM policy "
                "(connect:StartTaskContact on the instance) or the credentials, then re-run: "
                "it continues where this run stopped",
            )
        elif error.kind is ErrorKind.CONFIG_NOT_FOUND and _names_instance(error.message):
            self._trip(
                "unknown instance",
                f"the Amazon Connect instance was not found ({error.message}); check the "
                "instance id and the region, then re-run: it continues where this run stopped",
            )
        elif error.kind is ErrorKind.QUOTA:
            return self._on_quota(row, state, error, sent_mono)
        return False

    def _count_answer(self, error: ApiError) -> None:
        """The no-answer breaker: stop when the run's first ``breaker_rows`` calls all got
        nothing back (a timeout, no connection): the endpoint is unreachable or black-holed."""
        tally = self._tally
        with self._lock:
            if tally.answered:
                return
            if not error.no_answer:
                tally.answered = True
                return
            tally.unanswered += 1
            if tally.unanswered < self.settings.breaker_rows:
                return
        self._trip(
            "no answer from the endpoint",
            f"no answer came from the endpoint: the first {tally.unanswered} requests of the "
            f"run got none ({error.code}: {error.message}). Check the network, a proxy "
            "(HTTPS_PROXY), --endpoint-url and --region (and --connect-timeout, "
            "--read-timeout), then run the same command again: it continues where this run "
            "stopped",
        )

    def _on_quota(
        self, row: PreparedRow, state: _RowState, error: ApiError, sent_at: float
    ) -> bool:
        state.quota_refusals += 1
        if _per_row_quota(row, state, error):
            return False
        if state.quota_refusals == 1 and self._quota.refused(sent_at):
            log.info(
                "active-task quota reached (%s); pausing %.0f s before trying again",
                error.message,
                self._quota.remaining(),
            )
            return True
        self._trip(
            "active-task quota",
            f"Amazon Connect refused new tasks: the instance has reached its quota of active "
            f"tasks ({error.code}: {error.message}). Paused "
            f"{self.settings.quota_pause_seconds:g} s and it was still refused, so the run "
            "stopped. Close tasks (or raise the 'Concurrent active tasks' quota) and re-run "
            "the same command: it continues where this run stopped",
        )
        return False


def _in_daemon_thread(function: Callable[..., Outcome], *args: Any) -> Future[Outcome]:
    """``function(*args)`` run in a new daemon thread; its result or exception in the future."""
    future: Future[Outcome] = Future()

    def work() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(function(*args))
        except BaseException as error:  # handed to the thread that reads the future
            future.set_exception(error)

    threading.Thread(target=work, name="importer-row", daemon=True).start()
    return future


def _per_row_quota(row: PreparedRow, state: _RowState, error: ApiError) -> bool:
    """Whether a quota refusal is (probably) the 12-tasks-per-PreviousContactId cap.

    Yes if the message says so, or if a row with a PreviousContactId is refused again after
    the pause (the service's wording is not documented).
    """
    if not (row.request and row.request.get("PreviousContactId")):
        return False
    text = error.message.lower().replace(" ", "")
    return "previouscontact" in text or state.quota_refusals > 1


def _names_instance(message: str) -> bool:
    """Whether a ResourceNotFound message is about the instance rather than a flow etc."""
    text = message.lower()
    others = ("flow", "template", "quick", "queue", "contact", "user")
    return "instance" in text and not any(word in text for word in others)


def _failure_message(
    error: ApiError, attempts: int, per_row_quota: bool, maybe_created: bool
) -> str:
    """What a row that failed while the run went on says; ``maybe_created``: some attempt
    got no clear answer."""
    if error.kind is ErrorKind.MISMATCH:
        return (
            "a task for this ClientToken already exists with different content "
            f"({error.message}); the row changed after it was first sent. Not retried: "
            "restore the row as it was, or give it a new ClientToken to create another task"
        )
    if error.kind is ErrorKind.QUOTA and per_row_quota:
        return (
            f"refused by a quota ({error.message}); with PreviousContactId set this is "
            "probably the limit of 12 tasks per previous contact"
        )
    maybe = (
        "; a task may have been created: a re-run resends the same ClientToken, "
        "which cannot create a second one"
        if maybe_created
        else ""
    )
    if error.kind is ErrorKind.QUOTA:
        return (
            f"refused by the active-task quota ({error.message}) on its last attempt "
            f"({attempts} in all); close tasks (or raise the quota), then re-run{maybe}"
        )
    if error.retryable:
        return f"gave up after {attempts} attempts: {error.message}{maybe}"
    return error.message


def _log_retry(retry_state: RetryCallState) -> None:
    failure = retry_state.outcome.exception() if retry_state.outcome else None
    seconds = retry_state.upcoming_sleep
    log.debug(
        "attempt %d failed (%s); retrying in %.2f s", retry_state.attempt_number, failure, seconds
    )
