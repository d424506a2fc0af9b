"""A batch's outcomes kept on disk while it is sent, so a run's memory does not grow with
its rows.

Each outcome carries its row's cells for the results file (about 1 KB a row in memory). An
:class:`OutcomeSpool` is a mapping from row number to outcome, like the dict it replaces,
that writes them, a thousand at a time, to a throwaway SQLite file in the temporary folder;
the results are written from it in row order (:meth:`OutcomeSpool.in_row_order`). An
outcome read back is a copy: change one only on its way to the results file.
"""

from __future__ import annotations

import pickle
import shutil
import sqlite3
import tempfile
from collections.abc import Collection, Iterator, MutableMapping
from pathlib import Path

from importer.model import Outcome

WRITTEN_EVERY = 1_000
"""Outcomes held before they are written to the spool together."""


class OutcomeSpool(MutableMapping[int, Outcome]):
    """Outcomes by row number, in a temporary SQLite file; :meth:`close` removes it."""

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="task-importer-"))
        self._db = sqlite3.connect(self._folder / "outcomes.sqlite3")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE outcomes (row INTEGER PRIMARY KEY, contact_id TEXT, line BLOB)"
        )
        self._held: dict[int, Outcome] = {}

    def __setitem__(self, row: int, outcome: Outcome) -> None:
        self._held[row] = outcome
        if len(self._held) >= WRITTEN_EVERY:
            self._write()

    def __getitem__(self, row: int) -> Outcome:
        held = self._held.get(row)
        if held is not None:
            return held
        found = self._db.execute("SELECT line FROM outcomes WHERE row = ?", (row,)).fetchone()
        if found is None:
            raise KeyError(row)
        return _loaded(found[0])

    def __delitem__(self, row: int) -> None:
        self._write()
        if not self._db.execute("DELETE FROM outcomes WHERE row = ?", (row,)).rowcount:
            raise KeyError(row)

    def __contains__(self, row: object) -> bool:
        if row in self._held:
            return True
        found = self._db.execute("SELECT 1 FROM outcomes WHERE row = ?", (row,)).fetchone()
        return found is not None

    def __iter__(self) -> Iterator[int]:
        self._write()
        return (row for (row,) in self._db.execute("SELECT row FROM outcomes ORDER BY row"))

    def __len__(self) -> int:
        self._write()
        return int(self._db.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0])

    def in_row_order(self) -> Iterator[Outcome]:
        """Every outcome, in row order, read back as it is reached."""
        self._write()
        for (line,) in self._db.execute("SELECT line FROM outcomes ORDER BY row"):
            yield _loaded(line)

    def contact_ids(self) -> Collection[str]:
        """The ContactIds of the outcomes, read from the spool only when asked."""
        self._write()
        return _ContactIds(self._db)

    def close(self) -> None:
        """Remove the spool (its outcomes are gone)."""
        self._held.clear()
        self._db.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _write(self) -> None:
        if self._held:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?)",
                    [
                        (row, outcome.contact_id, pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL))
                        for row, outcome in self._held.items()
                    ],
                )
            self._held.clear()


class _ContactIds(Collection[str]):
    """The spool's ContactIds, each read when looked for."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __contains__(self, contact_id: object) -> bool:
        found = self._db.execute(
            "SELECT 1 FROM outcomes WHERE contact_id = ? LIMIT 1", (contact_id,)
        ).fetchone()
        return found is not None

    def __iter__(self) -> Iterator[str]:
        return (cid for (cid,) in self._db.execute("SELECT DISTINCT contact_id FROM outcomes"))

    def __len__(self) -> int:
        return int(
            self._db.execute("SELECT COUNT(DISTINCT contact_id) FROM outcomes").fetchone()[0]
        )


def _loaded(line: bytes) -> Outcome:
    outcome = pickle.loads(line)
    assert isinstance(outcome, Outcome)
    return outcome
