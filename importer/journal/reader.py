"""A look at the journal without its lock, read-only: for ``history``, and for what ``undo``
plans before it asks for confirmation, also while a run holds the journal.

SQLite's read-only mode (a ``file:...?mode=ro`` URI) never creates the file, never
migrates it and never writes to it (a journal in WAL mode is read from its ``-wal`` file
too, as a writer left it); reading never blocks the run that writes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importer.errors import JournalError
from importer.journal.queries import JournalQueries
from importer.journal.schema import SCHEMA_VERSION


@dataclass(frozen=True)
class RunRow:
    """A run as the journal's ``runs`` table holds it (``settings`` and ``summary`` as JSON
    text; no summary or end for a run that has not finished, or was killed)."""

    run_id: int
    pid: int
    started_at: str
    finished_at: str | None
    exit_code: int | None
    settings: str
    summary: str | None


class JournalReader(JournalQueries):
    """The journal at ``path``, read-only and unlocked; see the module."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            self._db = sqlite3.connect(uri, uri=True)
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as error:
            raise JournalError(f"journal {self.path} cannot be read: {error}") from error
        if version > SCHEMA_VERSION:
            self._db.close()
            raise JournalError(
                f"journal {self.path} was written by a newer connect-task-importer; upgrade "
                "to read it"
            )

    def close(self) -> None:
        self._db.close()

    def _execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, parameters)
        except sqlite3.Error as error:
            raise JournalError(f"journal {self.path} cannot be read: {error}") from error

    def runs(self, limit: int | None = None, run_id: int | None = None) -> list[RunRow]:
        """The runs recorded, newest first (at most ``limit``; only ``run_id``'s if given)."""
        if not self._has("runs"):
            return []
        summary = "summary" if self._has("runs", "summary") else "NULL"
        where, parameters = ("WHERE run_id = ?", (run_id,)) if run_id is not None else ("", ())
        cursor = self._execute(
            "SELECT run_id, pid, started_at, finished_at, exit_code, settings, "
            f"{summary} FROM runs {where} ORDER BY run_id DESC LIMIT ?",
            (*parameters, -1 if limit is None else limit),
        )
        return [RunRow(*row) for row in cursor.fetchall()]

    def sent_by(self, run_id: int) -> dict[str, int]:
        """How many requests the run sent, by their status in the journal now (created,
        in_flight, failed, not_attempted; undo's stopped): tokens (or ContactIds) a later
        run sent again count for that run."""
        counts: dict[str, int] = {}
        tables = ("tasks", "stops") if self._has("stops") else ("tasks",)
        for table in tables:
            rows = self._execute(
                f"SELECT status, COUNT(*) FROM {table} WHERE run_id = ? GROUP BY status",
                (run_id,),
            ).fetchall()
            for status, count in rows:
                counts[status] = counts.get(status, 0) + count
        return counts


@contextmanager
def reading(path: str | os.PathLike[str]) -> Iterator[JournalReader | None]:
    """The journal at ``path`` opened read-only, or None when there is no such file (none is
    made)."""
    if not Path(path).is_file():
        yield None
        return
    reader = JournalReader(path)
    try:
        yield reader
    finally:
        reader.close()
