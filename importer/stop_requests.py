"""A stop asked for from outside a run: a signal handler, another thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from importer.executor import Executor


class Stop:
    """A stop asked for from outside the run (a signal handler, another thread): kept for
    the whole run and passed on to the executor sending at that moment, if any. Every
    method is safe to call from a signal handler: none takes a lock."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.abandoned = False
        self.sending = False
        """Set once the run's journal is open: from then on a stop is asked for here;
        before, the caller may end the use case at once instead."""
        self._executor: Executor | None = None

    def request(self, reason: str) -> None:
        """Finish the requests in flight and send nothing new."""
        if self.reason is None:
            self.reason = reason
        self._pass_on()

    def abandon(self, reason: str) -> None:
        """Stop, and stop waiting for the requests in flight (their rows are failed; the
        next run reconciles them)."""
        if self.reason is None:
            self.reason = reason
        self.abandoned = True
        self._pass_on()

    @contextlib.contextmanager
    def watching(self, executor: Executor) -> Iterator[None]:
        """Pass stops on to ``executor`` while it runs (one asked for already, at once)."""
        self._executor = executor
        self._pass_on()
        try:
            yield
        finally:
            self._executor = None

    def _pass_on(self) -> None:
        executor = self._executor
        if executor is None or self.reason is None:
            return
        if self.abandoned:
            executor.abandon(self.reason)
        else:
            executor.request_stop(self.reason)
