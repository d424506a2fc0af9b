"""One run at a time: a lock file beside the journal, held with ``fcntl.flock`` for the life
of the Journal, holding the owner's pid, host and start time. The OS drops the lock when its
process dies, however it dies, so a killed run's lock is taken over by the next one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import socket
from pathlib import Path

from importer.errors import JournalError, JournalLockedError
from importer.journal.paths import FIX

_HOLDER = re.compile(r"pid (\d+) on (\S+),")


class RunLock:
    """An exclusive, non-blocking flock on ``<journal>.lock`` naming its holder."""

    def __init__(self, journal: Path) -> None:
        self.path = journal.with_name(journal.name + ".lock")
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise JournalError(
                f"journal {journal} cannot be opened: its lock file {self.path} cannot be "
                f"created ({error.strerror}); {FIX}"
            ) from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 4096, 0).decode(errors="replace").strip()
            os.close(self._fd)
            raise JournalLockedError(locked_message(journal, holder)) from None
        started = dt.datetime.now().astimezone().isoformat(sep=" ", timespec="seconds")
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(
                self._fd,
                f"pid {os.getpid()} on {socket.gethostname()}, started {started}\n".encode(),
                0,
            )
        except OSError as error:
            self.release()
            raise JournalError(
                f"journal {journal} cannot be opened: its lock file {self.path} cannot be "
                f"written ({error.strerror}); {FIX}"
            ) from None

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def locked_message(journal: Path, holder: str) -> str:
    """Who holds the journal and how to find out whether it still runs."""
    message = f"journal {journal} is in use by another run ({holder or 'holder unknown'}); "
    match = _HOLDER.match(holder)
    if match:
        pid, host = match.groups()
        message += f"wait for it to finish: `ps -p {pid}` on {host} shows whether it still runs"
    else:
        message += "wait for it to finish"
    return message + ". A lock left by a process that has died is taken over automatically"
