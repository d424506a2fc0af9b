"""The journal: a durable SQLite record of every ClientToken sent, so re-runs never duplicate.

Each row is written as ``in_flight`` before its request goes out and gets its final status as
soon as the answer arrives, so a run killed at any moment loses at most the answers of the
requests in flight, and the next run knows which tokens were sent but never answered.

Durability: WAL with ``synchronous=FULL``. NORMAL would already survive ``kill -9`` (the WAL
is in the OS cache), but a power cut could drop the last ``created`` marks, and the journal
exists precisely so that re-runs do not depend on Amazon Connect remembering ClientTokens
(how long it does is undocumented). At Connect's request quotas (2 a second by default) two
fsyncs per row cost nothing noticeable.

One run at a time: a lock file beside the journal is held with ``fcntl.flock`` for the life
of the Journal, holding the owner's pid, host and start time. The OS drops the lock when its
process dies, however it dies, so a killed run's lock is taken over by the next one.

Every failure to open, read or write the journal is a JournalError naming it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import socket
import sqlite3
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

from importer.errors import JournalError, JournalLockedError

APP_DIR = "connect-task-importer"
FILE_NAME = "journal.sqlite3"
ENV_VAR = "TASK_IMPORTER_JOURNAL"
SCHEMA_VERSION = 4
_CHUNK = 500
"""Tokens per query of the lookups by many tokens (well under SQLite's 999 parameters)."""
_FIX = (
    "give --journal (or $TASK_IMPORTER_JOURNAL) a file in a folder this user can create and "
    "write, on a disk with room"
)
_HOLDER = re.compile(r"pid (\d+) on (\S+),")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    exit_code INTEGER,
    settings TEXT NOT NULL DEFAULT '{}',
    summary TEXT
);
CREATE TABLE IF NOT EXISTS tasks (
    client_token TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    contact_id TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    batch_id TEXT NOT NULL DEFAULT '',
    row_number INTEGER,
    request_sha256 TEXT NOT NULL DEFAULT '',
    run_id INTEGER REFERENCES runs (run_id),
    first_sent_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    maybe_created INTEGER NOT NULL DEFAULT 0,
    origin_token TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tasks_by_batch ON tasks (batch_id, row_number);
"""


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a journal to SCHEMA_VERSION in one transaction, all of it or none. What to add
    is read from the tables themselves, so a journal stamped with the wrong version (a run
    killed between creating its tables and stamping them) is brought up to date too."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if "summary" not in _columns(db, "runs"):
            db.execute("ALTER TABLE runs ADD COLUMN summary TEXT")
        if "maybe_created" not in _columns(db, "tasks"):
            db.execute("ALTER TABLE tasks ADD COLUMN maybe_created INTEGER NOT NULL DEFAULT 0")
            db.execute(
                "UPDATE tasks SET maybe_created = 1 WHERE status = 'in_flight' OR (status = "
                "'failed' AND error_message LIKE '%a task may have been created%')"
            )
        if "origin_token" not in _columns(db, "tasks"):
            db.execute("ALTER TABLE tasks ADD COLUMN origin_token TEXT NOT NULL DEFAULT ''")
        db.execute(
            "CREATE INDEX IF NOT EXISTS tasks_by_origin ON tasks (origin_token) "
            "WHERE origin_token != ''"
        )
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


class JournalStatus(StrEnum):
    IN_FLIGHT = "in_flight"
    """A request went out and no definite answer was recorded: a task may exist."""
    CREATED = "created"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"
    """Sent and refused without creating anything, then the run stopped before a retry."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What the journal knows about one ClientToken."""

    client_token: str
    status: JournalStatus
    contact_id: str
    attempts: int
    """Attempts over all runs."""
    error_code: str
    error_message: str
    batch_id: str
    row_number: int | None
    request_sha256: str
    first_sent_at: str
    updated_at: str
    maybe_created: bool = False
    """Some request under this token got no clear answer (a dropped connection, a timeout,
    a 5xx, a run that died): a task may exist, whatever later answers said. Never cleared."""
    origin_token: str = ""
    """The token of the row this one was first sent as, when retry sent an edit of that row
    under this new token ('' otherwise): the first of the chain, however many edits."""

    @property
    def unanswered(self) -> bool:
        """A request went out and no ContactId was recorded for it: in flight, or marked
        created without one (as version 0.1.0 did with any 200 answer)."""
        return self.status is JournalStatus.IN_FLIGHT or (
            self.status is JournalStatus.CREATED and not self.contact_id
        )


@dataclass(frozen=True, slots=True)
class CreatedTask:
    """A task the journal knows was created: what reconciling a batch needs of it."""

    client_token: str
    origin_token: str
    batch_id: str
    row_number: int | None
    contact_id: str
    run_id: int | None
    """The run that last sent the token."""
    created_at: str
    request_sha256: str


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Which command a journaled run was, and when it started."""

    run_id: int
    command: str
    started_at: str


def default_path(environ: Mapping[str, str] = os.environ) -> Path:
    """``$TASK_IMPORTER_JOURNAL``, else the XDG state directory (``~/.local/state``)."""
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR]).expanduser()
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser() / APP_DIR / FILE_NAME


def resolve_path(
    explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] = os.environ
) -> Path:
    """The journal to use: an explicit path wins over the environment and the default."""
    return Path(explicit).expanduser() if explicit else default_path(environ)


def request_digest(request: Mapping[str, Any]) -> str:
    """SHA-256 of a request body in canonical JSON, to notice a row changed between runs."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Lock:
    """An exclusive, non-blocking flock on ``<journal>.lock`` naming its holder."""

    def __init__(self, journal: Path) -> None:
        self.path = journal.with_name(journal.name + ".lock")
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise JournalError(
                f"journal {journal} cannot be opened: its lock file {self.path} cannot be "
                f"created ({error.strerror}); {_FIX}"
            ) from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 4096, 0).decode(errors="replace").strip()
            os.close(self._fd)
            raise JournalLockedError(_locked_message(journal, holder)) from None
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
                f"written ({error.strerror}); {_FIX}"
            ) from None

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _locked_message(journal: Path, holder: str) -> str:
    """Who holds the journal and how to find out whether it still runs."""
    message = f"journal {journal} is in use by another run ({holder or 'holder unknown'}); "
    match = _HOLDER.match(holder)
    if match:
        pid, host = match.groups()
        message += f"wait for it to finish: `ps -p {pid}` on {host} shows whether it still runs"
    else:
        message += "wait for it to finish"
    return message + ". A lock left by a process that has died is taken over automatically"


class Journal:
    """The journal at ``path``, locked for this process until :meth:`close`. Thread-safe."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise JournalError(
                f"journal {self.path} cannot be opened: its folder {self.path.parent} cannot "
                f"be created ({error.strerror}); {_FIX}"
            ) from None
        self.run_id: int | None = None
        self._mutex = threading.Lock()
        self._lock = _Lock(self.path)
        try:
            self._db: sqlite3.Connection | None = self._connect()
        except BaseException:
            self._lock.release()
            raise

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise JournalError(f"journal {self.path} cannot be opened: {error}; {_FIX}") from error
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"journal {self.path} was written by a newer connect-task-importer; "
                    "upgrade, or use another journal"
                )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            if version < SCHEMA_VERSION:
                _migrate(db)
        except sqlite3.DatabaseError as error:
            db.close()
            raise JournalError(f"journal {self.path} cannot be used: {error}; {_FIX}") from error
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        """Close the database and release the lock."""
        with self._mutex:
            if self._db is not None:
                self._db.close()
                self._db = None
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

    def _execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._mutex:
            if self._db is None:
                raise RuntimeError("the journal is closed")
            try:
                return self._db.execute(sql, parameters)
            except sqlite3.Error as error:
                raise JournalError(
                    f"journal {self.path} cannot be read or written: {error}"
                ) from error

    # --- runs -------------------------------------------------------------------------------

    def start_run(self, settings: Mapping[str, Any]) -> int:
        """Record the start of a run (its settings as JSON); rows written later name it."""
        cursor = self._execute(
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
        self._execute(
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
        never mix them: a sandbox's ContactIds name no real task."""
        row = self._execute(
            "SELECT COUNT(*) FROM runs WHERE IFNULL(json_extract(settings, '$.sandbox'), 0) != ?",
            (int(sandbox),),
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
            f"SELECT {_ENTRY_COLUMNS} FROM tasks WHERE client_token = ?", (client_token,)
        ).fetchone()
        return None if row is None else _entry(row)

    def mark_in_flight(
        self,
        client_token: str,
        *,
        row_number: int,
        batch_id: str,
        request_sha256: str,
        origin_token: str = "",
    ) -> None:
        """Record that a request for this token is about to be sent (call before sending).

        ``origin_token``: the token this row was sent as before an edit gave it this one
        (kept once recorded: a later send without one does not clear it).
        """
        now = _now()
        self._execute(
            "INSERT INTO tasks (client_token, status, batch_id, row_number, request_sha256, "
            "run_id, first_sent_at, updated_at, origin_token) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (client_token) DO UPDATE SET status = excluded.status, "
            "maybe_created = tasks.maybe_created OR tasks.status = 'in_flight' "
            "OR (tasks.status = 'created' AND tasks.contact_id = ''), "
            "batch_id = excluded.batch_id, row_number = excluded.row_number, "
            "request_sha256 = excluded.request_sha256, run_id = excluded.run_id, "
            "updated_at = excluded.updated_at, origin_token = CASE "
            "WHEN excluded.origin_token != '' THEN excluded.origin_token "
            "ELSE tasks.origin_token END",
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
        cursor = self._execute(
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

    # --- what a batch already created -------------------------------------------------------

    def created_tasks(self, batch_id: str) -> list[CreatedTask]:
        """Every task created in a batch (one query)."""
        cursor = self._execute(
            f"SELECT {_CREATED_COLUMNS} FROM tasks WHERE batch_id = ? AND status = 'created' "
            "AND contact_id != ''",
            (batch_id,),
        )
        return [CreatedTask(*row) for row in cursor.fetchall()]

    def without_task(self, batch_id: str) -> list[Entry]:
        """Every token of a batch that has no ContactId recorded: whatever its status but
        created with one (one query)."""
        cursor = self._execute(
            f"SELECT {_ENTRY_COLUMNS} FROM tasks WHERE batch_id = ? "
            "AND NOT (status = 'created' AND contact_id != '')",
            (batch_id,),
        )
        return [_entry(row) for row in cursor.fetchall()]

    def created_for(self, tokens: Iterable[str]) -> dict[str, CreatedTask]:
        """For each token that has one: the task created under it, else the newest task
        created under a token whose origin it is (an edit of its row sent by retry)."""
        wanted = set(tokens)
        found: dict[str, CreatedTask] = {}
        by_origin = self._select_in(
            f"SELECT {_CREATED_COLUMNS} FROM tasks WHERE origin_token IN ({{}}) "
            "AND origin_token != '' AND status = 'created' AND contact_id != '' "
            "ORDER BY updated_at, rowid",
            wanted,
        )
        for row in by_origin:  # oldest first: the newest one stays
            task = CreatedTask(*row)
            found[task.origin_token] = task
        own = self._select_in(
            f"SELECT {_CREATED_COLUMNS} FROM tasks WHERE client_token IN ({{}}) "
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

    def _select_in(self, query: str, values: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``query``, whose ``{}`` is a list of parameters, for all ``values``
        (empty ones left out), a few hundred values a query."""
        wanted = sorted(set(values) - {""})
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            yield from self._execute(query.format(marks), tuple(chunk)).fetchall()

    def summaries_mentioning(self, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """(run id, summary) of the runs whose summary JSON holds ``text``, newest first;
        each summary is read only when the caller gets that far."""
        needle = json.dumps(text)[1:-1]  # as it is spelled inside the JSON
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        run_ids = self._execute(
            "SELECT run_id FROM runs WHERE summary LIKE ? ESCAPE '\\' ORDER BY run_id DESC",
            (f"%{escaped}%",),
        ).fetchall()
        for (run_id,) in run_ids:
            (summary,) = self._execute(
                "SELECT summary FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            try:
                yield run_id, json.loads(summary)
            except ValueError:
                continue

    def run_info(self, run_ids: Collection[int]) -> dict[int, RunInfo]:
        """Which command each of these runs was, and when it started."""
        info: dict[int, RunInfo] = {}
        rows = self._select_in(
            "SELECT run_id, settings, started_at FROM runs WHERE run_id IN ({})", run_ids
        )
        for run_id, settings, started_at in rows:
            try:
                command = str(json.loads(settings).get("command") or "")
            except (ValueError, AttributeError):
                command = ""
            info[run_id] = RunInfo(run_id, command, started_at)
        return info


_CREATED_COLUMNS = (
    "client_token, origin_token, batch_id, row_number, contact_id, run_id, updated_at, "
    "request_sha256"
)
_ENTRY_COLUMNS = (
    "client_token, status, contact_id, attempts, error_code, error_message, batch_id, "
    "row_number, request_sha256, first_sent_at, updated_at, maybe_created, origin_token"
)


def _entry(row: tuple[Any, ...]) -> Entry:
    """An Entry from a row of _ENTRY_COLUMNS."""
    return Entry(
        row[0], JournalStatus(row[1]), *row[2:-2], maybe_created=bool(row[-2]), origin_token=row[-1]
    )
