"""One run at a time: ``<journal>.lock``, held for the life of the Journal with filelock's
lock for this OS (``flock`` on Linux and macOS, ``LockFileEx`` on Windows; where neither
works, a marker file naming its process), and ``<journal>.holder``, written once the lock is
taken, naming the holder: its pid, host and start time.

The OS drops its lock when the process dies, however it dies, and filelock takes over a
marker whose process is gone, so a killed run's lock is taken over by the next one. The
holder is a file of its own because on Windows a locked byte cannot be read by another
process. It is read only while the lock is held, and the next run to take the lock writes
it anew, so a holder file left by a killed run never blocks anything.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import sys
from contextlib import suppress
from pathlib import Path

from filelock import FileLock, Timeout

from importer.errors import JournalError, JournalLockedError
from importer.journal.paths import FIX

_HOLDER = re.compile(r"pid (\d+) on (\S+),")
_ATTEMPTS = 2
"""A lock file that vanishes as it is tried was released meanwhile: try once more."""


class RunLock:
    """An exclusive, non-blocking lock on ``<journal>.lock``; ``<journal>.holder`` names it."""

    def __init__(self, journal: Path) -> None:
        self.journal = journal
        self.path = journal.with_name(journal.name + ".lock")
        self.holder_path = holder_path(journal)
        self._lock: FileLock | None = None
        self._take(journal)
        started = dt.datetime.now().astimezone().isoformat(sep=" ", timespec="seconds")
        try:
            self.holder_path.write_text(
                f"pid {os.getpid()} on {socket.gethostname()}, started {started}\n",
                encoding="utf-8",
            )
        except OSError as error:
            self.release()
            raise JournalError(
                _cannot(journal, f"its holder file {self.holder_path}", "written", error)
            ) from None

    def _take(self, journal: Path) -> None:
        lock = FileLock(self.path, mode=0o600, thread_local=False, blocking=False)
        for _ in range(_ATTEMPTS):
            try:
                lock.acquire()
            except Timeout:
                if self.path.exists():
                    raise JournalLockedError(locked_message(journal, self.holder())) from None
                continue
            except OSError as error:
                raise JournalError(
                    _cannot(journal, f"its lock file {self.path}", "created", error)
                ) from None
            self._lock = lock
            return
        raise JournalError(_cannot(journal, f"its lock file {self.path}", "created", None))

    def holder(self) -> str:
        """The holder's line, or "" while it is being written (or cannot be read)."""
        return read_holder(self.journal)

    def release(self) -> None:
        """Drop the holder file, then the lock (never another run's holder file)."""
        if self._lock is None:
            return
        with suppress(OSError):
            self.holder_path.unlink(missing_ok=True)
        self._lock.release()
        self._lock = None


def holder_path(journal: Path) -> Path:
    """The file naming the run that holds (or, killed, last held) the journal's lock."""
    return journal.with_name(journal.name + ".holder")


def read_holder(journal: Path) -> str:
    """The holder file's line (pid, host, start time), or "" if there is none (or it cannot
    be read). Read without the lock, it may name a run that was killed since."""
    try:
        return holder_path(journal).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def holder_pid(holder: str) -> str:
    """The pid a holder line names, or ""."""
    match = _HOLDER.match(holder)
    return match.group(1) if match else ""


def holder_alive(holder: str) -> bool | None:
    """Whether the process a holder line names still runs: None when that cannot be told
    from here (another host; Windows, where signalling a process to ask would end it)."""
    match = _HOLDER.match(holder)
    if match is None or match.group(2) != socket.gethostname() or sys.platform == "win32":
        return None
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    except OSError:
        return None
    return True


def _cannot(journal: Path, what: str, done: str, error: OSError | None) -> str:
    why = f" ({error.strerror or error})" if error is not None else ""
    return f"journal {journal} cannot be opened: {what} cannot be {done}{why}; {FIX}"


def locked_message(journal: Path, holder: str) -> str:
    """Who holds the journal and how to find out whether it still runs."""
    message = f"journal {journal} is in use by another run ({holder or 'holder unknown'}); "
    match = _HOLDER.match(holder)
    if match:
        pid, host = match.groups()
        message += (
            f"wait for it to finish: {process_check(pid)} on {host} shows whether it still runs"
        )
    else:
        message += "wait for it to finish"
    return message + ". A lock left by a process that has died is taken over automatically"


def process_check(pid: str) -> str:
    """The command that shows whether process ``pid`` still runs, on this OS."""
    if sys.platform == "win32":
        return f'`tasklist /fi "pid eq {pid}"`'
    return f"`ps -p {pid}`"
