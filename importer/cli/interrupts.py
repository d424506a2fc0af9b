"""Ctrl-C and SIGTERM: what they do depends on how far a command has got.

Until rows are being sent (finding, watching, downloading and reading files; all of
``validate`` and ``check``) a signal ends the command at once: ``Interrupted`` is raised
where it is running, the command's error path writes its summary, and it exits 3. From the
moment a run or retry starts sending to the end of the command, a signal goes to the run's
``StopRequest`` instead: requests in flight finish, nothing new is sent, and the results,
journal and summary being written are completed rather than cut short. A second signal
stops waiting for the requests in flight: their rows are reported at once (a task may have
been created; the journal keeps them in flight, so the next run reconciles them).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

from importer.errors import Interrupted
from importer.executor import Executor

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """A stop asked for while sending: remembered for the whole run and passed to the
    executor sending at that moment (if any). The second signal abandons the requests in
    flight."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.abandon = False
        self.executor: Executor | None = None

    def __call__(self, number: int, _frame: object) -> None:
        name = signal.Signals(number).name
        # os.write, not print: a handler that prints while the progress bar writes to
        # stderr can raise "reentrant call" and lose the results file.
        if self.reason is None:
            self.reason = f"interrupted by {name}"
            os.write(
                2,
                f"\n{name}: finishing requests in flight, then writing results "
                "(signal again to stop waiting for them)\n".encode(),
            )
        else:
            self.abandon = True
            os.write(
                2,
                f"\n{name} again: not waiting for the requests in flight; writing results "
                "now (a re-run reconciles those rows)\n".encode(),
            )
        self.pass_on()

    def pass_on(self) -> None:
        """Give the executor sending now the stop (and the abandon) asked for so far."""
        if self.executor is None or self.reason is None:
            return
        if self.abandon:
            self.executor.abandon(self.reason)
        else:
            self.executor.request_stop(self.reason)


class _CommandSignals:
    """The handler ``command_signals`` installs: raise until ``stop`` is set, then defer."""

    def __init__(self) -> None:
        self.stop: StopRequest | None = None

    def __call__(self, number: int, frame: object) -> None:
        if self.stop is None:
            raise Interrupted(f"interrupted by {signal.Signals(number).name}")
        self.stop(number, frame)


@contextlib.contextmanager
def command_signals() -> Iterator[None]:
    """For one command: SIGINT and SIGTERM end it until sending starts (see the module)."""
    with _handled_by(_CommandSignals()):
        yield


@contextlib.contextmanager
def signals_stop(stop: StopRequest) -> Iterator[None]:
    """From here on signals go to ``stop``: to the end of the command when it runs under
    ``command_signals``, else until this block ends."""
    current = signal.getsignal(signal.SIGTERM)
    if isinstance(current, _CommandSignals):
        current.stop = stop
        yield
        return
    with _handled_by(stop):
        yield


@contextlib.contextmanager
def _handled_by(handler: Callable[[int, Any], None]) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, earlier in previous.items():
            signal.signal(sig, earlier)
