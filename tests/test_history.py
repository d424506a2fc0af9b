"""history's use case: the journal's runs as records, newest first, whatever state each run
was left in."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from importer.errors import UsageError
from importer.exitcodes import ExitCode
from importer.history import inputs_of, read_history
from importer.journal import Journal, JournalStatus


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite3"


def test_records_are_the_summaries_with_their_run_id_newest_first(path: Path) -> None:
    with Journal(path) as journal:
        for number in range(3):
            journal.start_run({"command": "run"})
            summary = {"command": "run", "exit_code": 0, "counts": {"created": number}}
            journal.finish_run(ExitCode.OK, summary)

    history = read_history(path)
    assert history.exists and history.journal == path
    assert [record["run_id"] for record in history.records] == [3, 2, 1]
    assert history.records[0] == {
        "run_id": 3,
        "command": "run",
        "exit_code": 0,
        "counts": {"created": 2},
    }
    assert [r["run_id"] for r in read_history(path, limit=2).records] == [3, 2]
    assert [r["run_id"] for r in read_history(path, run_id=2).records] == [2]
    with pytest.raises(UsageError, match="has no run 9 \\(its runs are numbered 1 to 3\\)"):
        read_history(path, run_id=9)


def test_a_run_that_died_is_shown_for_what_it_is(path: Path) -> None:
    with Journal(path) as journal:
        journal.start_run({"command": "retry", "results_file": "tasks.results.csv"})
        journal.mark_in_flight("t-1", row_number=2, batch_id="b", request_sha256="x")
        journal.record("t-1", JournalStatus.CREATED, attempts=1, contact_id="c-1")
        journal.mark_in_flight("t-2", row_number=3, batch_id="b", request_sha256="y")
    # closed without finish_run: as a run killed with kill -9 leaves it (its lock is gone)

    (record,) = read_history(path).records
    assert (record["command"], record["exit_code"], record["finished"]) == ("retry", None, None)
    assert record["exit_reason"].startswith("unfinished: killed or crashed")
    assert record["counts"]["created"] == 1 and record["counts"]["in_flight"] == 1
    assert inputs_of(record) == ["tasks.results.csv"]
    assert record["started"].endswith("Z") and len(record["started"]) == 20


def test_a_journal_of_an_older_version_is_read_without_being_migrated(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT, pid INTEGER NOT NULL, "
        "started_at TEXT NOT NULL, finished_at TEXT, exit_code INTEGER, settings TEXT NOT NULL "
        "DEFAULT '{}');"
        "CREATE TABLE tasks (client_token TEXT PRIMARY KEY, status TEXT NOT NULL, run_id INTEGER);"
        "INSERT INTO runs (pid, started_at, finished_at, exit_code, settings) VALUES "
        "(7, '2026-11-28T10:15:02.123Z', '2026-11-28T10:16:00.000Z', 1, "
        '\'{"command": "run", "inputs": ["inbox/"]}\');'
        "PRAGMA user_version=1;"
    )
    db.close()

    (record,) = read_history(path).records
    assert (record["exit_code"], record["started"]) == (1, "2026-11-28T10:15:02Z")
    assert record["exit_reason"] == "finished (this version of the journal kept no summary)"
    assert inputs_of(record) == ["inbox/"]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    db.close()


def test_no_journal_has_no_history_and_none_is_made(tmp_path: Path) -> None:
    history = read_history(tmp_path / "none" / "journal.sqlite3")
    assert (history.exists, history.records) == (False, [])
    assert not (tmp_path / "none").exists()
