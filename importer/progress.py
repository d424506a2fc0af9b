"""Progress reporting: a tqdm bar on a terminal, periodic log lines otherwise, or nothing.

The executor calls ``update`` once per row outcome, from the thread that called ``run``;
the rows a batch settled before sending are counted from the start, so the last line
counts every row as the batch's figures do. Nothing here ever shows a task's content:
only counts and rates.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Literal, Protocol, TextIO

from tqdm import tqdm

from importer.model import Outcome, Status
from importer.run_summary import RATE_SHOWN_AFTER, status_counts

log = logging.getLogger(__name__)

Mode = Literal["auto", "bar", "log", "none"]
LOG_INTERVAL = 30.0


class Progress(Protocol):
    def update(self, outcome: Outcome, rate: float) -> None:
        """One more row is done; ``rate`` is the request rate the limiter allows now."""
        ...

    def close(self) -> None: ...


class NullProgress:
    """Reports nothing: the library's default."""

    def update(self, outcome: Outcome, rate: float) -> None:
        pass

    def close(self) -> None:
        pass


class Figures:
    """What a progress line says: the count of each status, the API calls made, and the
    request rate the limiter allows, once sending has lasted RATE_SHOWN_AFTER seconds."""

    def __init__(self, done: Mapping[Status, int] | None, clock: Callable[[], float]) -> None:
        self.counts: Counter[Status] = Counter(done or {})
        self._calls = 0
        self._rate = 0.0
        self._clock = clock
        self._start = clock()

    def add(self, outcome: Outcome, rate: float) -> None:
        self.counts[outcome.status] += 1
        self._calls += outcome.attempts
        self._rate = rate

    def text(self) -> str:
        plural = "" if self._calls == 1 else "s"
        said = f"{status_counts(self.counts)}, {self._calls:,} API call{plural}"
        if self._clock() - self._start >= RATE_SHOWN_AFTER:
            said += f", rate {self._rate:.2f}/s"
        return said


class BarProgress:
    """A tqdm bar: rows done and the figures (``Figures``). ``done``: the rows settled before
    sending (already created, invalid...), counted from the start."""

    def __init__(
        self,
        total: int | None = None,
        stream: TextIO | None = None,
        done: Mapping[Status, int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._figures = Figures(done, clock)
        self._bar = tqdm(
            total=total,
            initial=sum(self._figures.counts.values()),
            unit="row",
            desc="tasks",
            file=stream if stream is not None else sys.stderr,
            dynamic_ncols=True,
        )
        self._bar.set_postfix_str(self._figures.text(), refresh=False)

    def update(self, outcome: Outcome, rate: float) -> None:
        self._figures.add(outcome, rate)
        self._bar.set_postfix_str(self._figures.text(), refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


class LogProgress:
    """A log line at INFO every ``interval`` seconds, and one at the end; ``done`` as for
    BarProgress."""

    def __init__(
        self,
        total: int | None = None,
        interval: float = LOG_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        done: Mapping[Status, int] | None = None,
    ) -> None:
        self._total = total
        self._interval = interval
        self._clock = clock
        self._figures = Figures(done, clock)
        self._last = clock()

    def update(self, outcome: Outcome, rate: float) -> None:
        self._figures.add(outcome, rate)
        now = self._clock()
        if now - self._last >= self._interval:
            self._last = now
            self._emit()

    def close(self) -> None:
        self._emit()

    def _emit(self) -> None:
        done = sum(self._figures.counts.values())
        of = f" of {self._total:,}" if self._total is not None else ""
        log.info("progress: %s%s rows done (%s)", f"{done:,}", of, self._figures.text())


def make_progress(
    mode: Mode = "auto",
    *,
    total: int | None = None,
    stream: TextIO | None = None,
    done: Mapping[Status, int] | None = None,
) -> Progress:
    """``auto``: a bar if ``stream`` (stderr) is a terminal, else log lines; ``done``: rows
    settled before sending, counted from the start."""
    stream = stream if stream is not None else sys.stderr
    if mode == "none":
        return NullProgress()
    if mode == "bar" or (mode == "auto" and stream.isatty()):
        return BarProgress(total, stream, done)
    if mode in ("log", "auto"):
        return LogProgress(total, done=done)
    raise ValueError(f"unknown progress mode '{mode}'; use auto, bar, log or none")
