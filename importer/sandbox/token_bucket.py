"""The request-rate quota: a token bucket, as AWS documents its API rate limits."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Admits ``rate`` requests a second on average and up to ``burst`` at once; starts full.

    Not thread-safe on its own: the service calls it under its lock.
    """

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = clock()

    def take(self) -> bool:
        """Spend one token if there is one; False means the request is throttled."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def reconfigure(self, rate: float, burst: int) -> None:
        """Change the quota, keeping the tokens already saved (up to the new burst)."""
        self._refill()
        self.rate = rate
        self.burst = burst
        self._tokens = min(self._tokens, float(burst))

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now
