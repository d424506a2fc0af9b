"""One rate limiter shared by every worker: a token bucket whose rate adapts to throttling.

The bucket never sends faster than the rate it was told (the *ceiling*). When the service
throttles, the bucket is emptied (the service's bucket is empty too) and the rate is set from
the requests the service accepted over the second before: once that second holds no burst
(the first accepted request is a second old), their rate is the quota's, so the rate restarts
just under it and climbs back to it; before, a second's worth of them is a safe restart and
the climb goes back to the rate we were sending at. With nothing accepted yet, the rate drops
to ``beta`` times the rate we were really sending at. The climb is CUBIC (the default, as
botocore's adaptive retry mode does) or AIMD (a straight line).

Unlike botocore, one throttling episode counts once: an answer to a request sent before the
last cut says nothing about the new rate, so it does not cut again. And the climb is scaled
to the rate: it takes ``calls_to_recover`` requests' worth of time to get back to the rate of
the last throttle, so a throttle costs the same small share of calls at 2 requests a second
as at 200, instead of botocore's fixed-in-seconds curve that overshoots a low quota every
couple of calls.

Waiting threads queue for tokens in arrival order, and only the first watches the clock: one
thread wakes per token, not every waiter (200 waiting threads at 1000/s used to burn cores).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal, Protocol

Algorithm = Literal["cubic", "aimd"]

BETA = 0.7
"""Multiplicative decrease on a throttle (botocore's CUBIC uses 0.7)."""
CALLS_TO_RECOVER = 80
"""Requests' worth of time the climb takes to get back to the rate of the last throttle."""
MEASURED_DIP = 0.95
"""After a throttle, once a whole second of accepted requests is known, the rate restarts at
this share of the accepted rate measured over that second."""
_ACCEPTED_WINDOW = 1.0
"""Seconds of accepted requests the rate after a throttle is measured over."""
MIN_RATE = 0.1
"""Floor of the adapted rate in requests a second (lower if the ceiling is lower)."""
MAX_NAP = 0.25
"""Longest single sleep while waiting for a token, so cancellation is noticed quickly."""
_RATE_WINDOW = 16
"""Send times kept to measure the rate we really send at."""
_EPSILON = 1e-9
"""Token fraction treated as whole, so float rounding cannot leave a wait too short to pass."""


class Controller(Protocol):
    """How the rate falls on a throttle and climbs back afterwards."""

    beta: float
    """The share of the rate a throttle cuts it to when nothing better is known."""

    def throttled(self, rate: float, now: float, start: float | None = None) -> float:
        """Note a throttle; climb back to ``rate`` from ``start`` (default ``beta`` times
        ``rate``), which it returns as the new rate."""
        ...

    def rate_at(self, now: float) -> float:
        """The rate the climb has reached at ``now``."""
        ...


class Cubic:
    """CUBIC: back to the last throttle's rate along a concave curve, then probe convexly."""

    def __init__(self, beta: float = BETA, calls_to_recover: float = CALLS_TO_RECOVER) -> None:
        self.beta = beta
        self.calls_to_recover = calls_to_recover
        self._w_max = 0.0
        self._k = 0.0
        self._scale = 0.0
        self._last_throttle = 0.0

    def throttled(self, rate: float, now: float, start: float | None = None) -> float:
        start = rate * self.beta if start is None else min(start, rate)
        self._w_max = rate
        self._k = self.calls_to_recover / rate
        self._scale = (rate - start) / self._k**3
        self._last_throttle = now
        return start

    def rate_at(self, now: float) -> float:
        return self._scale * (now - self._last_throttle - self._k) ** 3 + self._w_max


class Aimd:
    """AIMD: back to the last throttle's rate along a straight line, and on up at that slope."""

    def __init__(self, beta: float = BETA, calls_to_recover: float = CALLS_TO_RECOVER) -> None:
        self.beta = beta
        self.calls_to_recover = calls_to_recover
        self._start = 0.0
        self._slope = 0.0
        self._last_throttle = 0.0

    def throttled(self, rate: float, now: float, start: float | None = None) -> float:
        self._start = rate * self.beta if start is None else min(start, rate)
        self._slope = (rate - self._start) / (self.calls_to_recover / rate)
        self._last_throttle = now
        return self._start

    def rate_at(self, now: float) -> float:
        return self._start + self._slope * (now - self._last_throttle)


def bucket_problem(rate: float, burst: int) -> str | None:
    """Why a bucket of ``rate`` requests a second and ``burst`` cannot work; None if it can.
    (The one check of both: :class:`RateLimiter` raises it, the executor's settings report it
    as a usage error before a limiter is made.)"""
    if not rate > 0:
        return f"rate must be above 0 requests a second, not {rate}"
    if burst < 1:
        return f"burst must be at least 1, not {burst}"
    return None


def make_controller(algorithm: Algorithm) -> Controller:
    if algorithm == "cubic":
        return Cubic()
    if algorithm == "aimd":
        return Aimd()
    raise ValueError(f"unknown rate algorithm '{algorithm}'; use 'cubic' or 'aimd'")


class RateLimiter:
    """Thread-safe token bucket: ``rate`` tokens a second up to ``burst - 1``; starts full.

    One token of the burst is held in reserve: the service's bucket starts refilling only
    when our first request reaches it, a little after ours did, so a bucket exactly like the
    service's runs slightly ahead of it and gets throttled; one spare token absorbs that.

    Callers take a token with :meth:`acquire` before each request and report the answer with
    :meth:`succeeded` or :meth:`throttled`, passing back the time ``acquire`` returned.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        adaptive: bool = True,
        controller: Controller | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        problem = bucket_problem(rate, burst)
        if problem is not None:
            raise ValueError(problem)
        self.ceiling = float(rate)
        self.burst = burst
        self.capacity = max(1, burst - 1)
        self.adaptive = adaptive
        self.floor = min(self.ceiling, MIN_RATE)
        self._controller = controller if controller is not None else Cubic()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._rate = self.ceiling
        self._tokens = float(self.capacity)
        self._updated = clock()
        self._throttled_at: float | None = None
        self._sent: deque[float] = deque(maxlen=_RATE_WINDOW)
        self._accepted: deque[float] = deque()
        """Send times of the requests accepted (not throttled) in the last seconds."""
        self._first_accepted: float | None = None
        self._queue: deque[threading.Event] = deque()
        """Waiters for a token, in arrival order; the first one's event is set."""
        self.cuts = 0

    @property
    def rate(self) -> float:
        """The rate the bucket refills at now, in requests a second."""
        with self._lock:
            return self._rate

    def acquire(self, cancelled: Callable[[], bool] | None = None) -> float | None:
        """Block until a token is free and take it; return the send time (None: cancelled).

        Waiters queue in arrival order and only the first one watches the clock: when it
        takes its token it wakes the next, so one thread wakes per token however many wait.
        The others poll ``cancelled`` every :data:`MAX_NAP` seconds, or at once after
        :meth:`wake_all`.
        """
        with self._lock:
            if not self._queue:
                now = self._take(self._clock())
                if now is not None:
                    return now
            waiter = threading.Event()
            self._queue.append(waiter)
            if self._queue[0] is waiter:
                waiter.set()
        try:
            return self._wait_in_turn(waiter, cancelled)
        finally:
            with self._lock:
                self._leave(waiter)

    def waiting(self) -> int:
        """Threads waiting for a token now."""
        with self._lock:
            return len(self._queue)

    def wake_all(self) -> None:
        """Wake every waiter at once to check its ``cancelled`` (call when a run stops)."""
        with self._lock:
            for waiter in self._queue:
                waiter.set()

    def _wait_in_turn(
        self, waiter: threading.Event, cancelled: Callable[[], bool] | None
    ) -> float | None:
        while True:
            if cancelled is not None and cancelled():
                return None
            with self._lock:
                first = self._queue[0] is waiter
                if first:
                    now = self._take(self._clock())
                    if now is not None:
                        return now
                    wait = (1 - self._tokens) / self._rate
                else:
                    waiter.clear()
            if first:
                self._sleep(min(wait, MAX_NAP))
            else:
                waiter.wait(MAX_NAP)

    def _take(self, now: float) -> float | None:
        """Take a token at ``now`` if one is free (under the lock); None if not."""
        self._refill(now)
        if self._tokens < 1 - _EPSILON:
            return None
        self._tokens = max(0.0, self._tokens - 1)
        self._sent.append(now)
        return now

    def _leave(self, waiter: threading.Event) -> None:
        """Take ``waiter`` off the queue (under the lock); its successor may be first now."""
        if self._queue and self._queue[0] is waiter:
            self._queue.popleft()
            if self._queue:
                self._queue[0].set()
        else:
            self._queue.remove(waiter)

    def succeeded(self, sent_at: float) -> None:
        """The request sent at ``sent_at`` was not throttled: let the rate climb."""
        if not self.adaptive:
            return
        with self._lock:
            self._note_accepted(sent_at)
            if self._throttled_at is None:
                return
            now = self._clock()
            self._refill(now)
            self._rate = self._bounded(self._controller.rate_at(now))

    def throttled(self, sent_at: float) -> None:
        """The request sent at ``sent_at`` was throttled: cut the rate, once per episode."""
        if not self.adaptive:
            return
        with self._lock:
            if self._throttled_at is not None and sent_at <= self._throttled_at:
                return
            now = self._clock()
            self._refill(now)
            sending = min(self._rate, self._measured_rate())
            self._rate = self._bounded(self._cut(sending, sent_at, now))
            self._tokens = 0.0
            self._throttled_at = now
            self.cuts += 1

    def _cut(self, sending: float, sent_at: float, now: float) -> float:
        """The rate after a throttle of a request sent at ``sent_at`` while sending at
        ``sending``: from the requests accepted over the second before it. Once that second
        holds only accepted requests after the first (the service's burst spent), their
        rate is the quota's: restart just under it and climb back to it. Before, the burst
        inflates the count but a second's worth is still a safe restart, and the climb goes
        back to ``sending``. Nothing accepted yet: the fixed cut (``beta``)."""
        accepted = sum(1 for t in self._accepted if sent_at - _ACCEPTED_WINDOW <= t < sent_at)
        if not accepted or self._first_accepted is None:
            return self._controller.throttled(sending, now)
        if sent_at - self._first_accepted >= _ACCEPTED_WINDOW:
            quota = min(sending, accepted / _ACCEPTED_WINDOW)
            return self._controller.throttled(quota, now, quota * MEASURED_DIP)
        start = min(sending * self._controller.beta, accepted / _ACCEPTED_WINDOW)
        return self._controller.throttled(max(sending, start), now, start)

    def _note_accepted(self, sent_at: float) -> None:
        """Keep the send time of an accepted request (the last two windows' worth)."""
        if self._first_accepted is None:
            self._first_accepted = sent_at
        self._accepted.append(sent_at)
        while self._accepted and self._accepted[0] < sent_at - 2 * _ACCEPTED_WINDOW:
            self._accepted.popleft()

    def _bounded(self, rate: float) -> float:
        return min(self.ceiling, max(self.floor, rate))

    def _measured_rate(self) -> float:
        """Requests a second over the last sends (the ceiling when there are too few)."""
        if len(self._sent) < 2:
            return self.ceiling
        span = self._sent[-1] - self._sent[0]
        if span <= 0:
            return self.ceiling
        return (len(self._sent) - 1) / span

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self.capacity), self._tokens + elapsed * self._rate)
        self._updated = now
