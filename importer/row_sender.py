"""One row's sending, in its own worker thread, and what stopping a run means for a row.

Rows go out through ``submit``, a plain callable (:data:`Submit`): the sender knows no
boto3, and journals through a :class:`~importer.row_journal.RowJournal`, which says what
the journal keeps of each kind of request. :meth:`RowSender.send` journals the row in
flight, waits for one of ``concurrency`` slots and for the rate limiter, submits its
request, and tries it again as :mod:`importer.retry_policy` and the answers say (a
throttle, a fault, the active-task quota's pause). Every answer feeds the limiter and
:mod:`importer.stop_rules`; the last one is journaled and becomes the row's outcome. Every
attempt of a row sends the same request dict, so the same ClientToken and body. A row
waiting out a backoff sleeps without holding a slot.

The sender also holds the run's stop flag, which every thread polls, and says what a row
the run stopped for became: ``not_attempted`` if it was never sent, else ``failed``, saying
whether a task may have been created."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tenacity import RetryCallState

from importer import messages
from importer.errors import ApiError, ErrorKind, JournalError
from importer.journal import Entry, JournalStatus
from importer.model import Outcome, PreparedRow, Status
from importer.ratelimit import RateLimiter
from importer.retry_policy import RetryPolicy
from importer.row_journal import RowJournal
from importer.stop_rules import Stop, StopRules, per_row_quota

log = logging.getLogger(__name__)

Submit = Callable[[Mapping[str, Any]], str]
"""Sends one request and returns its answer (for StartTaskContact, the ContactId:
:func:`importer.aws.task_submitter`; for StopContact, whether it stopped the contact or
found it ended: :func:`importer.aws.stop_submitter`); raises
:class:`~importer.errors.ApiError` when the call failed or its answer is unclear. Threads
call it at once: it must be thread-safe. Any other exception is a bug: the run ends on it."""

POLL = 0.1
"""Longest sleep between checks for a stop request."""
NO_ANSWER = "NoAnswer"
"""The error code of a row whose request was still unanswered when the run stopped waiting."""


class _Stopped(Exception):
    """The run is stopping: this attempt was not sent."""


@dataclass
class RowState:
    """One row's sending, written by its thread; the calling thread reads it when it stops
    waiting for the row (:meth:`RowSender.abandon`)."""

    entry: Entry | None = None
    """What the journal knew of the row before this run sent it."""
    attempts: int = 0
    """Requests sent this run (incremented, under the sender's lock, just before one is)."""
    marked: bool = False
    on_wire: bool = False
    """A request is out and its answer has not come yet."""
    maybe_created: bool = False
    quota_refusals: int = 0
    last_error: ApiError | None = None
    retry: bool = False
    """Whether to try again after the last attempt failed (its answer decides)."""
    stopped: bool = False
    """Its outcome comes from the run stopping: the failure breakers do not count it."""


class RowSender:
    """Sends rows, each from the thread that calls :meth:`send`; see the module docstring."""

    def __init__(
        self,
        submit: Submit,
        journal: RowJournal,
        *,
        batch_id: str,
        limiter: RateLimiter,
        rules: StopRules,
        retry: RetryPolicy,
        concurrency: int,
    ) -> None:
        self._submit = submit
        self._journal = journal
        self._batch_id = batch_id
        self._limiter = limiter
        self._rules = rules
        self._retry = retry
        self._backoff = retry.backoff()
        self._slots: queue.SimpleQueue[None] = queue.SimpleQueue()
        """One item per free slot (a C-level queue: a Python semaphore's condition variable
        cost ~5% of the GIL's time at C=40)."""
        for _ in range(concurrency):
            self._slots.put(None)
        self._lock = threading.Lock()
        self.stopping = False
        self.abandoned = False
        self.stop_reason: str | None = None
        self._stop_note = ""
        self._journal_problem = ""
        self.calls = 0
        """Requests sent, retries and throttled ones included."""
        self.throttles = 0
        self.first_sent: float | None = None
        self.last_answer: float | None = None

    # --- stopping ---------------------------------------------------------------------------

    def request_stop(self, reason: str) -> None:
        """Send nothing new (takes no lock: a signal handler may call it)."""
        if self.stop_reason is None:
            self.stop_reason = messages.interrupted(reason)
            self._stop_note = reason
        self.stopping = True

    def abandon(self, reason: str) -> None:
        """Stop, and stop waiting for the requests in flight (takes no lock either)."""
        self.request_stop(reason)
        self.abandoned = True

    def trip(self, stop: Stop) -> None:
        """Stop the run for a rule's reason (the first reason given is the one kept)."""
        with self._lock:
            if self.stop_reason is None:
                self.stop_reason = stop.reason
                self._stop_note = stop.note
                log.info("stopping the run: %s", stop.note)
        self.stopping = True
        self._limiter.wake_all()

    def journal_failed(self, error: JournalError) -> None:
        self._journal_problem = self._journal_problem or str(error)
        self.trip(Stop("journal error", messages.journal_failed(error)))

    def nap(self, seconds: float) -> None:
        """Sleep, waking early if the run is stopping."""
        end = time.monotonic() + seconds
        while not self.stopping:
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, POLL))

    def stopped_outcome(self, row: PreparedRow, state: RowState, waiting: bool = False) -> Outcome:
        """A row the run stopped for before it was settled: ``not_attempted`` if it was never
        sent, else ``failed``, saying whether a task may have been created. ``waiting``: its
        request was still unanswered when the run stopped waiting for it."""
        state.stopped = True
        note, entry, error = self._stop_note, state.entry, state.last_error
        wording = self._journal.wording
        earlier = entry is not None and (entry.unanswered or entry.maybe_created)
        if state.attempts:
            if waiting or error is None:
                code, message = NO_ANSWER, messages.unanswered_when_stopped(note, wording)
            else:
                maybe_created = state.maybe_created or earlier
                code = error.code
                message = messages.stopped_before_retry(note, error, maybe_created, wording)
            attempts = state.attempts
        elif entry is not None and earlier:
            code, attempts = entry.error_code or NO_ANSWER, entry.attempts
            message = messages.earlier_unanswered_when_stopped(note, wording)
        else:
            return row.outcome(Status.NOT_ATTEMPTED, error_message=messages.not_sent(note))
        return row.outcome(Status.FAILED, error_code=code, error_message=message, attempts=attempts)

    # --- one row ----------------------------------------------------------------------------

    def send(self, row: PreparedRow, state: RowState) -> Outcome:
        """Send one row with retries, journal its outcome and return it."""
        retrying = self._retry.retrying(
            lambda error: isinstance(error, ApiError) and state.retry,
            wait=self._wait,
            sleep=self.nap,
        )
        try:
            answer = retrying(self._attempt, row, state)
        except _Stopped:
            return self._finish_stopped(row, state)
        except ApiError as error:
            return self._finish_failed(row, state, error)
        recorded = self._record(
            lambda: self._journal.record_answer(row, answer, attempts=state.attempts)
        )
        wording = self._journal.wording
        unrecorded = "" if recorded else messages.unrecorded(self._journal_problem, wording)
        return self._journal.answered(row, answer, state.attempts, state.entry, unrecorded)

    def _record(self, write: Callable[[], None]) -> bool:
        """Journal a row's answer with ``write``; False if not: the run stopped waiting for
        the row (its entry stays in flight), or the journal failed (and the run stops)."""
        if self.abandoned:
            return False
        try:
            write()
        except JournalError as error:
            self.journal_failed(error)
            return False
        return True

    def _record_status(self, row: PreparedRow, status: JournalStatus, **fields: Any) -> bool:
        """Journal a row that did not succeed (see :meth:`_record`)."""
        return self._record(lambda: self._journal.record(row, status, **fields))

    def _finish_stopped(self, row: PreparedRow, state: RowState) -> Outcome:
        if state.marked:
            unanswered = state.maybe_created or (state.entry is not None and state.entry.unanswered)
            error = state.last_error
            self._record_status(
                row,
                JournalStatus.IN_FLIGHT if unanswered else JournalStatus.NOT_ATTEMPTED,
                attempts=state.attempts,
                error_code=error.code if error else "",
                error_message=error.message if error else "",
                maybe_created=state.maybe_created,
            )
        return self.stopped_outcome(row, state)

    def _finish_failed(self, row: PreparedRow, state: RowState, error: ApiError) -> Outcome:
        per_row = per_row_quota(row.request, state.quota_refusals, error)
        if error.kind is ErrorKind.QUOTA and not per_row and self.stopping:
            self._record_status(
                row,
                JournalStatus.NOT_ATTEMPTED,
                attempts=state.attempts,
                error_code=error.code,
                error_message=error.message,
                maybe_created=state.maybe_created,
            )
            return self.stopped_outcome(row, state)
        wording = self._journal.wording
        message = messages.failure(error, state.attempts, per_row, state.maybe_created, wording)
        self._record_status(
            row,
            JournalStatus.FAILED,
            attempts=state.attempts,
            error_code=error.code,
            error_message=message,
            maybe_created=state.maybe_created,
        )
        return row.outcome(
            Status.FAILED, error_code=error.code, error_message=message, attempts=state.attempts
        )

    def _wait(self, retry_state: RetryCallState) -> float:
        """Seconds before the next attempt: the quota pause, or jittered exponential backoff."""
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(failure, ApiError) and failure.kind is ErrorKind.QUOTA:
            return self._rules.quota.remaining()
        return float(self._backoff(retry_state))

    def _attempt(self, row: PreparedRow, state: RowState) -> str:
        """Submit the row's request once; returns the answer or raises ApiError."""
        while True:
            self._wait_for_quota()
            self._slots.get()
            try:
                sent_at = self._limiter.acquire(cancelled=lambda: self.stopping)
                if sent_at is None or self.stopping:
                    raise _Stopped
                if self._rules.quota.ticket() is None:  # not paused while this row waited
                    return self._send(row, state, sent_at)
            finally:
                self._slots.put(None)

    def _wait_for_quota(self) -> None:
        """Wait until the active-task quota's gate lets this row send; _Stopped if the run
        stops meanwhile."""
        while True:
            if self.stopping:
                raise _Stopped
            wait = self._rules.quota.ticket()
            if wait is None:
                return
            self.nap(min(wait, POLL))

    def _send(self, row: PreparedRow, state: RowState, sent_at: float) -> str:
        """Journal the row in flight (once) and submit it, holding a slot and a token taken
        at ``sent_at``; feeds the answer to the limiter and the stop rules."""
        assert row.request is not None
        if not state.marked:
            self._mark_in_flight(row)
            state.marked = True
        with self._lock:
            if self.stopping:
                raise _Stopped
            state.attempts += 1
            state.on_wire = True
            self.calls += 1
            sent_mono = time.monotonic()
            if self.first_sent is None:
                self.first_sent = sent_mono
        try:
            answer = self._submit(row.request)
        except ApiError as error:
            state.retry = self._on_error(row, state, error, sent_at, sent_mono)
            raise
        finally:
            state.on_wire = False
            with self._lock:
                self.last_answer = time.monotonic()
        self._limiter.succeeded(sent_at)
        self._rules.succeeded(sent_mono)
        return answer

    def _mark_in_flight(self, row: PreparedRow) -> None:
        """Journal that the row is about to be sent; _Stopped if the journal cannot."""
        try:
            self._journal.mark_in_flight(row, self._batch_id)
        except JournalError as error:
            self.journal_failed(error)
            raise _Stopped from None

    def _on_error(
        self, row: PreparedRow, state: RowState, error: ApiError, sent_at: float, sent_mono: float
    ) -> bool:
        """Feed an error to the limiter and the stop rules; True if the row should be retried.

        ``sent_at`` is the time of sending on the limiter's clock, ``sent_mono`` on ours.
        """
        state.last_error = error
        state.maybe_created = state.maybe_created or error.maybe_created
        log.debug("row %d: %s (attempt %d)", row.number, error.code, state.attempts)
        stop = self._rules.failed(error)
        if stop is not None:
            self.trip(stop)
        self._rules.quota.not_accepted()
        if error.kind is ErrorKind.THROTTLE:
            with self._lock:
                self.throttles += 1
            self._limiter.throttled(sent_at)
            return True
        self._limiter.succeeded(sent_at)
        if error.kind is ErrorKind.TRANSIENT:
            return True
        if error.kind is not ErrorKind.QUOTA:
            return False
        state.quota_refusals += 1
        if per_row_quota(row.request, state.quota_refusals, error):
            return False
        stop = self._rules.quota_refused(error, sent_mono, first=state.quota_refusals == 1)
        if stop is not None:
            self.trip(stop)
        return stop is None
