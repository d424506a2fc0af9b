"""How a failed call is tried again: a cap on attempts and exponential backoff, with tenacity.

The executor retries each row through it (with full jitter, so that rows that failed together
do not come back together) and so does preflight (without: its calls are few and one at a
time). Both pass their own ``sleep``: the executor's wakes up when the run stops, a test's
records the pauses instead of taking them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random_exponential,
)

log = logging.getLogger(__name__)

Wait = Callable[[RetryCallState], float]
"""Seconds to wait before the next attempt, given how the attempts so far went."""


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``attempts`` calls in all; the n-th retry waits ``backoff_base * 2**(n-1)``
    seconds, at most ``backoff_max`` (with ``jitter``, any time up to that: full jitter)."""

    attempts: int
    backoff_base: float
    backoff_max: float = math.inf
    jitter: bool = True

    def backoff(self) -> Wait:
        """The wait before each retry."""
        if self.jitter:
            return wait_random_exponential(multiplier=self.backoff_base, max=self.backoff_max)
        return wait_exponential(multiplier=self.backoff_base, max=self.backoff_max)

    def retrying(
        self,
        retry_if: Callable[[BaseException], bool],
        *,
        wait: Wait | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Retrying:
        """A tenacity ``Retrying``: calling it with a function calls the function again while
        it raises an exception ``retry_if`` accepts, and attempts are left; the last exception
        is raised as it is. ``wait`` replaces :meth:`backoff`."""
        return Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait if wait is not None else self.backoff(),
            retry=retry_if_exception(retry_if),
            sleep=sleep,
            before_sleep=_log_retry,
            reraise=True,
        )


def _log_retry(retry_state: RetryCallState) -> None:
    failure = retry_state.outcome.exception() if retry_state.outcome else None
    seconds = retry_state.upcoming_sleep
    log.debug(
        "attempt %d failed (%s); retrying in %.2f s", retry_state.attempt_number, failure, seconds
    )
