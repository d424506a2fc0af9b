"""Ctrl-C, Ctrl-Break and SIGTERM: what they do depends on how far a command has got.

Until rows are being sent (finding, watching, downloading and reading files; all of
``validate`` and ``check``) a signal ends the command at once: ``Interrupted`` is raised
where it is running, the command's error path writes its summary, and it exits 3. From the
moment a run or retry starts sending (its :class:`~importer.sending.Stop` says so) to the
end of the command, a signal goes to that Stop instead: requests in flight finish, nothing
new is sent, and the results, journal and summary being written are completed rather than
cut short. A second signal stops waiting for the requests in flight: their rows are
reported at once (a task may have been created; the journal keeps them in flight, so the
next run reconciles them).

Only the signals the platform delivers are handled (:func:`delivered_signals`): SIGINT
(Ctrl-C) everywhere, SIGTERM except on Windows, which never delivers it, and SIGBREAK
(Ctrl-Break) where it exists, on Windows.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator

from importer.errors import Interrupted
from importer.stop_requests import Stop


def delivered_signals() -> tuple[signal.Signals, ...]:
    """The stop signals this platform delivers to a console program: SIGINT (Ctrl-C)
    always; SIGTERM except on Windows (defined there, never delivered); SIGBREAK
    (Ctrl-Break) where it exists."""
    found = [signal.SIGINT]
    if sys.platform != "win32" and hasattr(signal, "SIGTERM"):
        found.append(signal.SIGTERM)
    ctrl_break = getattr(signal, "SIGBREAK", None)
    if ctrl_break is not None:
        found.append(ctrl_break)
    return tuple(found)


class _CommandSignals:
    """The handler ``command_signals`` installs: raise until the run's Stop is sending,
    then ask it to stop (the second time, to abandon the requests in flight)."""

    def __init__(self) -> None:
        self.stop: Stop | None = None

    def __call__(self, number: int, _frame: object) -> None:
        name = signal.Signals(number).name
        stop = self.stop
        if stop is None or not stop.sending:
            raise Interrupted(f"interrupted by {name}")
        # os.write, not print: a handler that prints while the progress bar writes to
        # stderr can raise "reentrant call" and lose the results file.
        if stop.reason is None:
            os.write(
                2,
                f"\n{name}: finishing requests in flight, then writing results "
                "(signal again to stop waiting for them)\n".encode(),
            )
            stop.request(f"interrupted by {name}")
        else:
            os.write(
                2,
                f"\n{name} again: not waiting for the requests in flight; writing results "
                "now (a re-run reconciles those rows)\n".encode(),
            )
            stop.abandon(f"interrupted by {name}")


@contextlib.contextmanager
def command_signals() -> Iterator[None]:
    """For one command: the delivered signals end it until sending starts (see the module)."""
    handler = _CommandSignals()
    previous = {sig: signal.signal(sig, handler) for sig in delivered_signals()}
    try:
        yield
    finally:
        for sig, earlier in previous.items():
            signal.signal(sig, earlier)


def run_stop() -> Stop:
    """The Stop of the run this command starts: the command's signals go to it once it is
    sending."""
    stop = Stop()
    handler = signal.getsignal(signal.SIGINT)
    if isinstance(handler, _CommandSignals):
        handler.stop = stop
    return stop
