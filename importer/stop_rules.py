"""When a run stops early, and the pause the active-task quota asks for.

A run stops on access denied, an unknown instance, the same error on the first
``breaker_rows`` rows before any success, no answer at all to the first ``breaker_rows``
requests, the active-task quota still refusing after a pause, or too many failures (a count
or a share of the rows sent). :class:`StopRules` says when, with a :class:`Stop` the executor
acts on; :class:`FailureTally` holds what the breakers count, and the executors of one run
(one per input file) share it, so a new file does not forget the failures that should stop
the run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from importer import messages
from importer.errors import ApiError, ErrorKind
from importer.model import Outcome, Status

log = logging.getLogger(__name__)

_SUCCEEDED = (Status.CREATED, Status.STOPPED)
"""What a request made of a row that succeeded: a task created, or stopped (undo)."""
FRACTION_MIN_ROWS = 20
"""Rows that must have finished before ``max_failure_fraction`` can stop a run."""
PROBE_POLL = 0.05
"""Seconds between looks at the quota gate while the probe after a pause is out."""


@dataclass(frozen=True)
class Stop:
    """A run must stop: a few words for the log, and the reason the user reads."""

    note: str
    reason: str


@dataclass
class FailureTally:
    """What the failure breakers count; pass one to every executor of a run."""

    created: int = 0
    """Rows whose request succeeded (a task created, or stopped)."""
    failed: int = 0
    api_success: bool = False
    """Whether any call succeeded: the first-rows breaker only trips before one does."""
    first_failures: list[tuple[str, str]] = field(default_factory=list)
    answered: bool = False
    """Whether any call got an answer, even an error: the no-answer breaker only trips before."""
    unanswered: int = 0
    """Calls that got no answer (a timeout, no connection) before any was answered."""


class QuotaGate:
    """Pauses all sending after an active-task quota refusal; says when pausing is futile.

    After the pause one request probes (:meth:`ticket`): the others wait for its answer, so
    a quota still full costs one refused call, not one per request waiting.
    """

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self._lock = threading.Lock()
        self.resume_at = 0.0
        self._paused = False
        self._success_since_resume = False
        self._probe: int | None = None
        """The thread sending the one request after a pause, if one is."""

    def refused(self, sent_at: float) -> bool:
        """A request sent at ``sent_at`` was refused; False when the last pause did not help."""
        with self._lock:
            if sent_at < self.resume_at:
                return True
            if self._paused and not self._success_since_resume:
                return False
            self.resume_at = time.monotonic() + self.pause
            self._paused = True
            self._success_since_resume = False
            self._probe = None
            return True

    def succeeded(self, sent_at: float) -> None:
        with self._lock:
            if sent_at >= self.resume_at:
                self._success_since_resume = True
                self._probe = None

    def not_accepted(self) -> None:
        """This thread's request was not accepted (whatever the error): if it was the probe,
        another may probe. (A refusal of the probe still stops the run: see refused.)"""
        with self._lock:
            if self._probe == threading.get_ident():
                self._probe = None

    def ticket(self) -> float | None:
        """None: this thread may send now (as the probe, after a pause); else seconds to
        wait before asking again."""
        with self._lock:
            if not self._paused or self._success_since_resume:
                return None
            left = self.resume_at - time.monotonic()
            if left > 0:
                return left
            if self._probe is None or self._probe == threading.get_ident():
                self._probe = threading.get_ident()
                return None
            return PROBE_POLL

    def remaining(self) -> float:
        return max(0.0, self.resume_at - time.monotonic())


class StopRules:
    """The rules that stop a run, fed with every call's answer and every row's outcome.

    Times are ``time.monotonic()`` readings.
    """

    def __init__(
        self,
        *,
        breaker_rows: int,
        max_failures: int | None,
        max_failure_fraction: float | None,
        quota_pause: float,
        tally: FailureTally | None = None,
        wording: messages.Wording = messages.TASKS,
    ) -> None:
        self.breaker_rows = breaker_rows
        self.wording = wording
        """How a stop's reason speaks of the request (the permission access denied needs)."""
        self.max_failures = max_failures
        self.max_failure_fraction = max_failure_fraction
        self.quota = QuotaGate(quota_pause)
        self.tally = tally if tally is not None else FailureTally()
        self._lock = threading.Lock()

    def succeeded(self, sent_at: float) -> None:
        """A call sent at ``sent_at`` was answered with success."""
        self.quota.succeeded(sent_at)
        self.tally.api_success = self.tally.answered = True

    def failed(self, error: ApiError) -> Stop | None:
        """A call failed: stop if nothing else can succeed (the quota is :meth:`quota_refused`)."""
        if self._unanswered(error):
            return Stop(
                "no answer from the endpoint", messages.no_answer(self.tally.unanswered, error)
            )
        if error.kind is ErrorKind.ACCESS_DENIED:
            return Stop("access denied", messages.access_denied(error, self.wording))
        if error.kind is ErrorKind.CONFIG_NOT_FOUND and names_instance(error.message):
            return Stop("unknown instance", messages.unknown_instance(error))
        return None

    def _unanswered(self, error: ApiError) -> bool:
        """The no-answer breaker: True when the run's first ``breaker_rows`` calls all got
        nothing back (a timeout, no connection): the endpoint is unreachable or black-holed."""
        tally = self.tally
        with self._lock:
            if tally.answered:
                return False
            if not error.no_answer:
                tally.answered = True
                return False
            tally.unanswered += 1
            return tally.unanswered >= self.breaker_rows

    def quota_refused(self, error: ApiError, sent_at: float, first: bool) -> Stop | None:
        """The active-task quota refused a call (``first``: the row's first refusal). None:
        pause (see ``quota.remaining``) and try the row again; a Stop: the pause did not help."""
        if first and self.quota.refused(sent_at):
            log.info(
                "active-task quota reached (%s); pausing %.0f s before trying again",
                error.message,
                self.quota.remaining(),
            )
            return None
        return Stop("active-task quota", messages.quota_still_refused(error, self.quota.pause))

    def finished(self, outcome: Outcome, counted: bool = True) -> Stop | None:
        """Count a row's outcome; stop when the failures say so. ``counted`` False: a row the
        run stopped for, which is no new failure."""
        tally = self.tally
        if outcome.status in _SUCCEEDED:
            tally.created += 1
        if outcome.status is not Status.FAILED or not counted:
            return None
        tally.failed += 1
        if not tally.api_success and len(tally.first_failures) < self.breaker_rows:
            tally.first_failures.append((outcome.error_code, outcome.error_message))
            first = tally.first_failures
            if len(first) == self.breaker_rows and len(set(first)) == 1:
                reason = messages.same_first_errors(len(first), *first[0])
                return Stop("configuration error", reason)
        failed, finished = tally.failed, tally.created + tally.failed
        fraction = self.max_failure_fraction
        if self.max_failures is not None and failed > self.max_failures:
            return Stop("too many failures", messages.too_many_failures(failed, self.max_failures))
        if fraction is not None and finished >= FRACTION_MIN_ROWS and failed > fraction * finished:
            reason = messages.too_large_a_share_failed(failed, finished, fraction)
            return Stop("too many failures", reason)
        return None


def per_row_quota(request: Mapping[str, Any] | None, refusals: int, error: ApiError) -> bool:
    """Whether a quota refusal is (probably) StartTaskContact's cap of 12 tasks per
    PreviousContactId rather than the instance's active tasks.

    Yes if the message says so, or if a request with a PreviousContactId is refused again
    after the pause (``refusals`` of the row so far; the service's wording is not documented).
    """
    if not (request and request.get("PreviousContactId")):
        return False
    text = error.message.lower().replace(" ", "")
    return "previouscontact" in text or refusals > 1


def names_instance(message: str) -> bool:
    """Whether a ResourceNotFound message is about the instance rather than a flow etc."""
    text = message.lower()
    others = ("flow", "template", "quick", "queue", "contact", "user")
    return "instance" in text and not any(word in text for word in others)
