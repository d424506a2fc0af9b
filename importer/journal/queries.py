"""What both the locked journal (importer.journal.store) and a read-only look at it
(importer.journal.reader) ask of the database: the tasks undo stopped, and on which
instance each task was created.

A journal opened read-only may be older than this version (nothing migrates it), so the
queries ask first whether the table or column they read exists.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from importer.journal.records import (
    STOP_ENTRY_COLUMNS,
    STOPPED_COLUMNS,
    Entry,
    JournalStatus,
    StoppedTask,
    entry_of,
    stopped_of,
)

_CHUNK = 500
"""Values per query of the lookups by many values (well under SQLite's 999 parameters)."""


class JournalQueries:
    """Read queries over a journal's database; subclasses give :meth:`_execute`."""

    path: Path

    def _execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        raise NotImplementedError

    def _select_in(
        self, query: str, values: Iterable[Any], *after: Any
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of ``query``, whose ``{}`` is a list of parameters, for all ``values``
        (empty ones left out), a few hundred values a query; ``after``: the parameters of
        the ``?`` after the list."""
        wanted = sorted(set(values) - {""})
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            yield from self._execute(query.format(marks), (*chunk, *after)).fetchall()

    def _has(self, table: str, column: str | None = None) -> bool:
        """Whether the database has this table (and column): an older journal may not."""
        columns = {row[1] for row in self._execute(f"PRAGMA table_info({table})")}
        return bool(columns) and (column is None or column in columns)

    def stop_entry(self, contact_id: str) -> Entry | None:
        """The journal's record of undo's StopContact calls for a ContactId, or None."""
        if not self._has("stops"):
            return None
        row = self._execute(
            f"SELECT {STOP_ENTRY_COLUMNS} FROM stops WHERE contact_id = ?", (contact_id,)
        ).fetchone()
        return None if row is None else entry_of(row)

    def stopped(self, contact_ids: Iterable[str]) -> dict[str, StoppedTask]:
        """The tasks of these ContactIds that undo stopped (or found already ended)."""
        if not self._has("stops"):
            return {}
        rows = self._select_in(
            f"SELECT {STOPPED_COLUMNS} FROM stops WHERE contact_id IN ({{}}) AND status = ?",
            contact_ids,
            JournalStatus.STOPPED,
        )
        return {task.contact_id: task for task in map(stopped_of, rows)}

    def instances_of(self, tokens: Iterable[str]) -> dict[str, str]:
        """The instance each of these ClientTokens' tasks was created on, where the journal
        knows it: recorded with the token (since version 5 of the journal), else the
        ``instance_id`` setting of the run that last sent it."""
        own = "t.instance_id" if self._has("tasks", "instance_id") else "''"
        rows = self._select_in(
            f"SELECT t.client_token, {own}, r.settings FROM tasks t "
            "LEFT JOIN runs r ON r.run_id = t.run_id WHERE t.client_token IN ({})",
            tokens,
        )
        found = {}
        for token, instance, settings in rows:
            instance = instance or _setting(settings, "instance_id")
            if instance:
                found[token] = instance
        return found


def _setting(settings: str | None, name: str) -> str:
    """A run's setting, as text ('' if it is not set or cannot be read)."""
    try:
        value = json.loads(settings or "{}").get(name)
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""
