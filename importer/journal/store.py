"""The journal: a durable SQLite record of every ClientToken sent, so re-runs never duplicate.

Each row is written as ``in_flight`` before its request goes out and gets its final status as
soon as the answer arrives, so a run killed at any moment loses at most the answers of the
requests in flight, and the next run knows which tokens were sent but never answered.

Writes go through importer.journal.group_commit on one connection (writes from many threads
share a commit; none returns before it is on disk); reads use a second connection, which
sees what is committed and never waits for a commit. The tables and their migration are in
importer.journal.schema, the lock that keeps to one run at a time in importer.journal.lock.
Every failure to open, read or write the journal is a JournalError naming it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from importer.errors import JournalError
from importer.exitcodes import ExitCode
from importer.journal.group_commit import GroupCommit
from importer.journal.lock import RunLock
from importer.journal.paths import FIX
from importer.journal.queries import JournalQueries, Rows
from importer.journal.records import (
    CREATED_COLUMNS,
    ENTRY_COLUMNS,
    CreatedTask,
    Entry,
    JournalStatus,
    entry_of,
)
from importer.journal.records import now as _now
from importer.journal.schema import open_database, open_read_only, open_reader


class Journal(JournalQueries):
    """The journal at ``path``, locked for this process until :meth:`close`. Thread-safe.

    ``read_only``: to look, beside a run that may hold it (a dry run): no lock, nothing
    written, nothing created (a journal that does not exist reads as an empty one).
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.run_id: int | None = None
        self._mutex = threading.Lock()
        """Guards the writing connection, ``_db``."""
        self._read_mutex = threading.Lock()
        """Guards the reading connection, ``_reader``: reads never wait for a commit."""
        self._group = GroupCommit(self._mutex)
        self._lock: RunLock | None = None
        self._db: sqlite3.Connection | None = None
        if read_only:
            self._reader: sqlite3.Connection | None = open_read_only(self.path)
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise JournalError(
                f"journal {self.path} cannot be opened: its folder {self.path.parent} cannot "
                f"be created ({error.strerror}); {FIX}"
            ) from None
        self._lock = RunLock(self.path)
        try:
            self._db = open_database(self.path)
            self._reader = open_reader(self.path)
        except BaseException:
            if self._db is not None:
                self._db.close()
            self._lock.release()
            raise

    def close(self) -> None:
        """Close the database and release the lock."""
        with self._mutex, self._read_mutex:
            for db in (self._db, self._reader):
                if db is not None:
                    db.close()
            self._db = self._reader = None
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> Rows:
        """Read, on a connection of its own: what is committed, which every write is once
        it returns (the rows fetched at once, so no read is left on an old snapshot)."""
        with self._read_mutex:
            if self._reader is None:
                raise RuntimeError("the journal is closed")
            try:
                return Rows(self._reader.execute(sql, parameters))
            except sqlite3.Error as error:
                raise JournalError(
                    f"journal {self.path} cannot be read or written: {error}"
                ) from error

    def _write(self, sql: str, parameters: tuple[Any, ...]) -> sqlite3.Cursor:
        """Execute a write and return once it is on disk (committed with the others written
        meanwhile: importer.journal.group_commit)."""
        db = self._db
        if db is None and self._reader is not None:
            raise JournalError(f"journal {self.path} cannot be read or written: opened to read")
        if db is None:
            raise RuntimeError("the journal is closed")
        try:
            return self._group.write(db, sql, parameters)
        except sqlite3.Error as error:
            raise JournalError(f"journal {self.path} cannot be read or written: {error}") from error

    # --- runs -------------------------------------------------------------------------------

    def start_run(self, settings: Mapping[str, Any]) -> int:
        """Record the start of a run (its settings as JSON); rows written later name it."""
        cursor = self._write(
            "INSERT INTO runs (pid, started_at, settings) VALUES (?, ?, ?)",
            (os.getpid(), _now(), json.dumps(settings, sort_keys=True, default=str)),
        )
        self.run_id = cursor.lastrowid
        assert self.run_id is not None
        return self.run_id

    def finish_run(self, exit_code: int, summary: Mapping[str, Any] | None = None) -> None:
        """Record the end of the run started by :meth:`start_run`, and its summary."""
        if self.run_id is None:
            raise RuntimeError("finish_run() without start_run()")
        self._write(
            "UPDATE runs SET finished_at = ?, exit_code = ?, summary = ? WHERE run_id = ?",
            (
                _now(),
                int(exit_code),
                None if summary is None else json.dumps(summary, default=str),
                self.run_id,
            ),
        )

    def runs_of_the_other_kind(self, sandbox: bool) -> int:
        """How many recorded runs sent to the other kind of target than ``sandbox`` says:
        to Amazon Connect when it is True, to a sandbox when it is False. A journal must
        never mix them: a sandbox's ContactIds name no real task. (Runs refused because
        another held the journal, exit 4, sent nothing: they do not count.)"""
        row = self._execute(
            "SELECT COUNT(*) FROM runs WHERE IFNULL(json_extract(settings, '$.sandbox'), 0) != ? "
            "AND IFNULL(exit_code, -1) != ?",
            (int(sandbox), int(ExitCode.LOCKED)),
        ).fetchone()
        return int(row[0])

    def runs(self) -> list[dict[str, Any]]:
        """Every run recorded, oldest first."""
        cursor = self._execute(
            "SELECT run_id, pid, started_at, finished_at, exit_code, settings, summary FROM runs "
            "ORDER BY run_id"
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- tasks ------------------------------------------------------------------------------

    def lookup(self, client_token: str) -> Entry | None:
        """The journal's record of a ClientToken, or None if it was never sent."""
        row = self._execute(
            f"SELECT {ENTRY_COLUMNS} FROM tasks WHERE client_token = ?", (client_token,)
        ).fetchone()
        return None if row is None else entry_of(row)

    def mark_in_flight(
        self,
        client_token: str,
        *,
        row_number: int,
        batch_id: str,
        request_sha256: str,
        origin_token: str = "",
        instance_id: str = "",
    ) -> None:
        """Record that a request for this token is about to be sent (call before sending).

        ``origin_token``: the token this row was sent as before an edit gave it this one
        (kept once recorded: a later send without one does not clear it). ``instance_id``:
        the instance the task goes to (undo stops it there).
        """
        now = _now()
        self._write(
            "INSERT INTO tasks (client_token, status, batch_id, row_number, request_sha256, "
            "run_id, first_sent_at, updated_at, origin_token, instance_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (client_token) DO UPDATE SET status = excluded.status, "
            "maybe_created = tasks.maybe_created OR tasks.status = 'in_flight' "
            "OR (tasks.status = 'created' AND tasks.contact_id = ''), "
            "batch_id = excluded.batch_id, row_number = excluded.row_number, "
            "request_sha256 = excluded.request_sha256, run_id = excluded.run_id, "
            "updated_at = excluded.updated_at, origin_token = CASE "
            "WHEN excluded.origin_token != '' THEN excluded.origin_token "
            "ELSE tasks.origin_token END, instance_id = excluded.instance_id",
            (
                client_token,
                JournalStatus.IN_FLIGHT,
                batch_id,
                row_number,
                request_sha256,
                self.run_id,
                now,
                now,
                origin_token,
                instance_id,
            ),
        )

    def record(
        self,
        client_token: str,
        status: JournalStatus,
        *,
        attempts: int,
        contact_id: str = "",
        error_code: str = "",
        error_message: str = "",
        maybe_created: bool = False,
    ) -> None:
        """Record the answer for a token marked in flight; ``attempts`` of this run are added,
        and ``maybe_created`` (an attempt got no clear answer) sticks once set."""
        cursor = self._write(
            "UPDATE tasks SET status = ?, contact_id = ?, attempts = attempts + ?, "
            "error_code = ?, error_message = ?, updated_at = ?, "
            "maybe_created = maybe_created OR ? WHERE client_token = ?",
            (
                status,
                contact_id,
                attempts,
                error_code,
                error_message,
                _now(),
                maybe_created,
                client_token,
            ),
        )
        if cursor.rowcount != 1:
            raise KeyError(f"token {client_token!r} was never marked in flight")

    def counts(self, batch_id: str | None = None) -> dict[JournalStatus, int]:
        """How many tokens are in each status (in one batch, or in all)."""
        where, parameters = (
            ("WHERE batch_id = ?", (batch_id,)) if batch_id is not None else ("", ())
        )
        rows = self._execute(
            f"SELECT status, COUNT(*) FROM tasks {where} GROUP BY status", parameters
        ).fetchall()
        return {JournalStatus(status): count for status, count in rows}

    # --- undo's StopContact calls -----------------------------------------------------------

    def mark_stop_in_flight(
        self, contact_id: str, *, instance_id: str, client_token: str, source: str, row_number: int
    ) -> None:
        """Record that StopContact for this ContactId is about to be sent (call before
        sending); a call left in flight before makes ``maybe_stopped`` stick."""
        now = _now()
        self._write(
            "INSERT INTO stops (contact_id, instance_id, status, client_token, source, "
            "row_number, run_id, first_sent_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (contact_id) DO UPDATE SET status = excluded.status, "
            "maybe_stopped = stops.maybe_stopped OR stops.status = 'in_flight', "
            "instance_id = excluded.instance_id, client_token = excluded.client_token, "
            "source = excluded.source, row_number = excluded.row_number, "
            "run_id = excluded.run_id, updated_at = excluded.updated_at",
            (
                contact_id,
                instance_id,
                JournalStatus.IN_FLIGHT,
                client_token,
                source,
                row_number,
                self.run_id,
                now,
                now,
            ),
        )

    def record_stop(
        self,
        contact_id: str,
        status: JournalStatus,
        *,
        attempts: int,
        error_code: str = "",
        error_message: str = "",
        maybe_stopped: bool = False,
        already_ended: bool = False,
    ) -> None:
        """Record the answer for a StopContact marked in flight (as :meth:`record` does)."""
        cursor = self._write(
            "UPDATE stops SET status = ?, attempts = attempts + ?, error_code = ?, "
            "error_message = ?, updated_at = ?, maybe_stopped = maybe_stopped OR ?, "
            "already_ended = ? WHERE contact_id = ?",
            (
                status,
                attempts,
                error_code,
                error_message,
                _now(),
                maybe_stopped,
                already_ended,
                contact_id,
            ),
        )
        if cursor.rowcount != 1:
            raise KeyError(f"StopContact of {contact_id!r} was never marked in flight")

    # --- what a batch already created -------------------------------------------------------

    def created_tasks(self, batch_id: str) -> list[CreatedTask]:
        """Every task created in a batch (one query)."""
        cursor = self._execute(
            f"SELECT {CREATED_COLUMNS} FROM tasks WHERE batch_id = ? AND status = 'created' "
            "AND contact_id != ''",
            (batch_id,),
        )
        return [CreatedTask(*row) for row in cursor.fetchall()]

    def without_task(self, batch_id: str) -> list[Entry]:
        """Every token of a batch that has no ContactId recorded: whatever its status but
        created with one (one query)."""
        cursor = self._execute(
            f"SELECT {ENTRY_COLUMNS} FROM tasks WHERE batch_id = ? "
            "AND NOT (status = 'created' AND contact_id != '')",
            (batch_id,),
        )
        return [entry_of(row) for row in cursor.fetchall()]

    def created_for(self, tokens: Iterable[str]) -> dict[str, CreatedTask]:
        """For each token that has one: the task created under it, else the newest task
        created under a token whose origin it is (an edit of its row sent by retry)."""
        wanted = set(tokens)
        found: dict[str, CreatedTask] = {}
        by_origin = self._select_in(
            f"SELECT {CREATED_COLUMNS} FROM tasks WHERE origin_token IN ({{}}) "
            "AND origin_token != '' AND status = 'created' AND contact_id != '' "
            "ORDER BY updated_at, rowid",
            wanted,
        )
        for row in by_origin:  # oldest first: the newest one stays
            task = CreatedTask(*row)
            found[task.origin_token] = task
        own = self._select_in(
            f"SELECT {CREATED_COLUMNS} FROM tasks WHERE client_token IN ({{}}) "
            "AND status = 'created' AND contact_id != ''",
            wanted,
        )
        for row in own:
            task = CreatedTask(*row)
            found[task.client_token] = task
        return found

    def batch_counts(self, tokens: Iterable[str]) -> Counter[str]:
        """How many of these tokens were sent in each batch (whatever their outcome)."""
        rows = self._select_in(
            "SELECT batch_id, COUNT(*) FROM tasks WHERE client_token IN ({}) GROUP BY batch_id",
            tokens,
        )
        counts: Counter[str] = Counter()
        for batch_id, count in rows:
            counts[batch_id] += count
        return counts
