"""The journal's tables, and bringing a journal written by an older version up to date.

Durability: WAL with ``synchronous=FULL``. NORMAL would already survive ``kill -9`` (the WAL
is in the OS cache), but a power cut could drop the last ``created`` marks, and the journal
exists precisely so that re-runs do not depend on Amazon Connect remembering ClientTokens
(how long it does is undocumented). At Connect's request quotas (2 a second by default) two
fsyncs per row cost nothing noticeable.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from importer.errors import JournalError
from importer.journal.paths import FIX

SCHEMA_VERSION = 5
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
    origin_token TEXT NOT NULL DEFAULT '',
    instance_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tasks_by_batch ON tasks (batch_id, row_number);
"""
_STOPS = """
CREATE TABLE IF NOT EXISTS stops (
    contact_id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    status TEXT NOT NULL,
    client_token TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    row_number INTEGER,
    run_id INTEGER REFERENCES runs (run_id),
    first_sent_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    maybe_stopped INTEGER NOT NULL DEFAULT 0,
    already_ended INTEGER NOT NULL DEFAULT 0
)
"""
"""undo's StopContact calls, one line per ContactId (made by the migration, in its
transaction): ``status`` as a task's (in_flight, stopped, failed, not_attempted);
``already_ended``: StopContact answered ContactNotFoundException."""


def open_database(path: Path) -> sqlite3.Connection:
    """The journal's database at ``path``, its tables created or migrated to SCHEMA_VERSION."""
    try:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise JournalError(f"journal {path} cannot be opened: {error}; {FIX}") from error
    with _closed_on_error(db, f"journal {path} cannot be used: {{}}; {FIX}"):
        version = _version(db, path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
        if version < SCHEMA_VERSION:
            _migrate(db)
    return db


def open_reader(path: Path) -> sqlite3.Connection:
    """A second connection to a journal :func:`open_database` has opened, for reads that
    must not wait for the writing connection's commits (WAL lets them in beside it)."""
    try:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise JournalError(f"journal {path} cannot be opened: {error}; {FIX}") from error
    with _closed_on_error(db, f"journal {path} cannot be used: {{}}; {FIX}"):
        db.execute("PRAGMA synchronous=FULL")
    return db


def open_read_only(path: Path) -> sqlite3.Connection:
    """The journal at ``path`` to read only, beside a run that may be writing it (WAL lets
    readers in): nothing in the file is created or migrated. A journal that does not exist
    reads as an empty one; one written by an older version is read from an up-to-date copy
    in memory."""
    if not path.exists():
        return _in_memory()
    try:
        db = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
        )
    except sqlite3.Error as error:
        raise JournalError(f"journal {path} cannot be opened: {error}") from error
    with _closed_on_error(db, f"journal {path} cannot be read: {{}}"):
        if _version(db, path) < SCHEMA_VERSION:
            copy = _in_memory(db)
            db.close()
            return copy
    return db


@contextlib.contextmanager
def _closed_on_error(db: sqlite3.Connection, message: str) -> Iterator[None]:
    """Close ``db`` if its block fails; a database error is a JournalError: ``message``
    with the error in its ``{}``."""
    try:
        yield
    except sqlite3.DatabaseError as error:
        db.close()
        raise JournalError(message.format(error)) from error
    except BaseException:
        db.close()
        raise


def _version(db: sqlite3.Connection, path: Path) -> int:
    """The journal's schema version; a JournalError for one a newer version wrote."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"journal {path} was written by a newer connect-task-importer; "
            "upgrade, or use another journal"
        )
    return version


def _in_memory(source: sqlite3.Connection | None = None) -> sqlite3.Connection:
    """A journal in memory: empty, or a copy of ``source`` brought up to date."""
    db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    if source is not None:
        source.backup(db)
    db.executescript(_SCHEMA)
    _migrate(db)
    return db


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
        if "instance_id" not in _columns(db, "tasks"):
            db.execute("ALTER TABLE tasks ADD COLUMN instance_id TEXT NOT NULL DEFAULT ''")
        db.execute(_STOPS)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
