"""A run refused because another holds the journal (exit 4) is still recorded in it, so
that ``history`` shows it: one INSERT made without the lock, which SQLite serialises with
the holder's own writes (the lock keeps runs from sending at once; it does not guard the
database, which SQLite does)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from importer.exitcodes import ExitCode
from importer.journal.records import now


def record_refused_run(
    path: Path, settings: Mapping[str, Any], summary: Mapping[str, Any] | None
) -> None:
    """Add a run that could not take the journal's lock (exit 4: another run holds it) to
    its runs, so that ``history`` shows it: one INSERT made without the lock, which SQLite
    serialises with the holder's own writes. A journal that cannot take it (gone, of an
    older version, busy too long) is left as it is: the refusal is in the log anyway."""
    stamp = now()
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=5.0)
    except sqlite3.Error:
        return
    try:
        with db:
            db.execute(
                "INSERT INTO runs (pid, started_at, finished_at, exit_code, settings, summary) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    os.getpid(),
                    stamp,
                    stamp,
                    int(ExitCode.LOCKED),
                    json.dumps(settings, sort_keys=True, default=str),
                    None if summary is None else json.dumps(summary, default=str),
                ),
            )
    except sqlite3.Error:
        pass
    finally:
        db.close()
