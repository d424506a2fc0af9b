"""Group commit: the journal's writes from many threads made durable by one shared commit.

With ``synchronous=FULL`` every commit waits for the disk (an fsync), and a run writes twice
a row: marked in flight, then its answer. One commit per write made the disk the ceiling of
a raised quota. Here a write joins a queue and its thread waits: one writer at a time leads,
taking every write queued so far and committing them in one transaction; the writes queued
meanwhile wait for the next leader, the first of them, whom the leader wakes as it finishes.
No write returns before its transaction is on disk, so a row is still durably in flight
before it is sent and its answer durable before the row is reported; the disk just sees
one commit for many rows.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from typing import Any


class _Write:
    """One queued write and, once done, its cursor or error."""

    __slots__ = ("cursor", "done", "error", "parameters", "sql", "woken")

    def __init__(self, sql: str, parameters: tuple[Any, ...]) -> None:
        self.sql = sql
        self.parameters = parameters
        self.cursor: sqlite3.Cursor | None = None
        self.error: sqlite3.Error | None = None
        self.done = False
        self.woken = threading.Lock()
        """Held until released once: when done, or to lead the next commit (a lock, not an
        Event: an Event's condition variable is Python code, a lock's wake-up is not)."""
        self.woken.acquire()


class GroupCommit:
    """Writes on one connection made durable together; ``mutex`` guards the connection
    (every other use of it must hold the mutex too)."""

    def __init__(self, mutex: threading.Lock) -> None:
        self._mutex = mutex
        self._lock = threading.Lock()
        self._queue: list[_Write] = []
        self._leading = False

    def write(
        self, db: sqlite3.Connection, sql: str, parameters: tuple[Any, ...]
    ) -> sqlite3.Cursor:
        """Execute ``sql`` and return its cursor once its transaction is committed; raises
        sqlite3.Error if the write or its commit failed."""
        write = _Write(sql, parameters)
        with self._lock:
            self._queue.append(write)
            lead = not self._leading
            self._leading = True
        if not lead:
            write.woken.acquire()
        if not write.done:
            self._lead(db, write)
        if write.error is not None:
            raise write.error
        assert write.cursor is not None
        return write.cursor

    def _lead(self, db: sqlite3.Connection, own: _Write) -> None:
        """Commit every write queued so far (``own`` among them), then hand the lead to the
        first queued since and wake the others of the batch."""
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            _commit(db, batch, self._mutex)
        finally:
            with self._lock:
                if self._queue:
                    self._queue[0].woken.release()
                else:
                    self._leading = False
            for write in batch:
                if write.cursor is None and write.error is None:  # the leader was interrupted
                    write.error = sqlite3.OperationalError("the write was interrupted")
                write.done = True
                if write is not own:
                    write.woken.release()


def _commit(db: sqlite3.Connection, batch: list[_Write], mutex: threading.Lock) -> None:
    """Execute ``batch`` in one transaction; each write gets its cursor or its error (all of
    them the commit's error if it failed: none of them is on disk then)."""
    with mutex:
        try:
            db.execute("BEGIN")
            for write in batch:
                try:
                    write.cursor = db.execute(write.sql, write.parameters)
                except sqlite3.Error as error:
                    write.error = error
            if not db.in_transaction:
                raise sqlite3.OperationalError("the transaction was rolled back")
            db.execute("COMMIT")
        except sqlite3.Error as error:
            for write in batch:
                write.error = write.error or error
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
