"""The executor's worker threads: daemon threads that each send rows, one at a time.

Each thread is a daemon: a request the run stopped waiting for must not keep the process
alive at exit (ThreadPoolExecutor's workers are joined at exit). A finished :class:`Job`
goes on :attr:`Workers.done`, which the run's thread reads instead of waiting on each row.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from importer.model import Outcome


class Job:
    """One row's sending: run by a worker; ``done`` once its outcome (or error) is set.
    (A concurrent.futures.Future's condition variable cost ~15% of the GIL's time at C=40.)"""

    __slots__ = ("args", "done", "error", "function", "outcome")

    def __init__(self, function: Callable[..., Outcome], args: tuple[Any, ...]) -> None:
        self.function = function
        self.args = args
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None
        self.done = False

    def run(self) -> None:
        try:
            self.outcome = self.function(*self.args)
        except BaseException as error:  # handed to the thread that reads the job
            self.error = error
        self.done = True

    def result(self) -> Outcome:
        """The row's outcome; raises what sending it raised."""
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


class Workers:
    """Daemon threads that run jobs, started as jobs come, up to ``size`` (no more rows are
    in flight at once, so a job never waits for a thread); each runs jobs until
    :meth:`close`. One thread per row cost a thread's start-up per row."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._started = 0
        self.done: queue.SimpleQueue[Job] = queue.SimpleQueue()
        """Every job once it is done, in that order."""

    def submit(self, function: Callable[..., Outcome], *args: Any) -> Job:
        """``function(*args)`` run in a worker thread; its outcome or error in the job."""
        job = Job(function, args)
        if self._started < self._size:
            threading.Thread(target=self._work, name="importer-row", daemon=True).start()
            self._started += 1
        self._jobs.put(job)
        return job

    def close(self) -> None:
        """Let every worker end once it has finished the jobs it has (a request the run
        stopped waiting for included)."""
        for _ in range(self._started):
            self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            job.run()
            self.done.put(job)
