"""What both the locked journal (importer.journal.store) and a read-only look at it
(importer.journal.reader) ask of the database: runs and their settings, the tasks undo
stopped, and on which instance each task was created.

A journal opened read-only may be older than this version (nothing migrates it), so the
queries ask first whether the table or column they read exists.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from importer.journal.records import (
    STOP_ENTRY_COLUMNS,
    STOPPED_COLUMNS,
    Entry,
    JournalStatus,
    RunInfo,
    StoppedTask,
    entry_of,
    stopped_of,
)

_CHUNK = 500
"""Values per query of the lookups by many values (well under SQLite's 999 parameters)."""


class Rows:
    """A query's rows, every one fetched: its statement is done, so it holds no read
    transaction open (which would keep the connection's other reads on an old snapshot)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.description = cursor.description
        self._rows = cursor.fetchall()

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


class JournalQueries:
    """Read queries over a journal's database; subclasses give :meth:`_execute`."""

    path: Path

    def _execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor | Rows:
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

    # --- runs -------------------------------------------------------------------------------

    def run_settings(self, run_id: int) -> dict[str, Any]:
        """The settings a run recorded when it started ({} if none could be read)."""
        row = self._execute("SELECT settings FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        try:
            settings = json.loads(row[0]) if row else {}
        except ValueError:
            return {}
        return settings if isinstance(settings, dict) else {}

    def latest_run(
        self, tokens: Iterable[str], batch_id: str, commands: Collection[str]
    ) -> int | None:
        """The newest run of one of ``commands`` (or recorded without a command) that sent
        any of these tokens in batch ``batch_id``."""
        kinds = ",".join("?" * len(commands))
        found = self._select_in(
            "SELECT MAX(tasks.run_id) FROM tasks JOIN runs USING (run_id) "
            "WHERE client_token IN ({}) AND batch_id = ? "
            f"AND IFNULL(json_extract(runs.settings, '$.command') IN ({kinds}), 1)",
            tokens,
            batch_id,
            *commands,
        )
        return max((run_id for (run_id,) in found if run_id is not None), default=None)

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

    def sent_from(self, batch_id: str) -> set[int]:
        """The row numbers a batch's requests were sent from (one query)."""
        rows = self._execute(
            "SELECT DISTINCT row_number FROM tasks WHERE batch_id = ? AND row_number IS NOT NULL",
            (batch_id,),
        )
        return {number for (number,) in rows}

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

    # --- stops ------------------------------------------------------------------------------

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
