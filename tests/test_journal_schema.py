"""The journal's database: WAL and full sync, refused when it is none, migrated when older."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from importer.errors import JournalError
from importer.exitcodes import ExitCode
from importer.journal import SCHEMA_VERSION, Journal, JournalStatus


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


def test_wal_and_full_sync(path: Path) -> None:
    with Journal(path) as journal:
        assert journal._execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert journal._execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_file_that_is_not_a_journal_is_a_journal_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not a database\n" * 100)
    with pytest.raises(JournalError, match="cannot be used") as refused:
        Journal(bogus)
    assert refused.value.exit_code == ExitCode.USAGE
    Journal(tmp_path / "fine.sqlite3").close()


def test_newer_schema_is_refused(path: Path) -> None:
    Journal(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(JournalError, match="newer"):
        Journal(path)


@pytest.mark.parametrize(
    ("version", "runs_summary"),
    [(1, ""), (2, ", summary TEXT"), (0, ", summary TEXT")],
    ids=["v1", "v2", "v2-tables-stamped-0"],
)
def test_an_older_journal_is_migrated_and_remembers_rows_that_may_have_made_a_task(
    path: Path, version: int, runs_summary: str
) -> None:
    path.parent.mkdir()
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT, pid INTEGER NOT NULL, "
        "started_at TEXT NOT NULL, finished_at TEXT, exit_code INTEGER, "
        f"settings TEXT NOT NULL DEFAULT '{{}}'{runs_summary});"
        "CREATE TABLE tasks (client_token TEXT PRIMARY KEY, status TEXT NOT NULL, "
        "contact_id TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0, "
        "error_code TEXT NOT NULL DEFAULT '', error_message TEXT NOT NULL DEFAULT '', "
        "batch_id TEXT NOT NULL DEFAULT '', row_number INTEGER, "
        "request_sha256 TEXT NOT NULL DEFAULT '', run_id INTEGER, "
        "first_sent_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
        f"PRAGMA user_version={version};"
    )
    rows = [
        ("lost", "failed", "gave up after 8 attempts: x; a task may have been created: ..."),
        ("refused", "failed", "Contact flow not found"),
        ("died", "in_flight", ""),
    ]
    for token, status, message in rows:
        db.execute(
            "INSERT INTO tasks (client_token, status, error_message, first_sent_at, updated_at) "
            "VALUES (?, ?, ?, 'then', 'then')",
            (token, status, message),
        )
    db.commit()
    db.close()

    with Journal(path) as journal:
        maybe = {token: journal.lookup(token).maybe_created for token, _, _ in rows}
        origins = {journal.lookup(token).origin_token for token, _, _ in rows}
        journal.start_run({})
    assert maybe == {"lost": True, "refused": False, "died": True}
    assert origins == {""}
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("SELECT summary FROM runs").fetchall() == [(None,)]
    finally:
        db.close()


def version_3_journal(path: Path) -> None:
    """A journal as version 3 wrote it (no origin tokens), holding one created task."""
    with Journal(path) as journal:
        journal.start_run({"command": "run"})
        journal.mark_in_flight("old", row_number=2, batch_id="b", request_sha256="x")
        journal.record("old", JournalStatus.CREATED, attempts=1, contact_id="c-old")
    db = sqlite3.connect(path)
    db.executescript(
        "DROP INDEX tasks_by_origin; ALTER TABLE tasks DROP COLUMN origin_token; "
        "PRAGMA user_version=3;"
    )
    db.close()


def test_a_version_3_journal_learns_which_token_a_retried_edit_came_from(path: Path) -> None:
    version_3_journal(path)

    with Journal(path) as journal:
        assert journal.lookup("old").origin_token == ""
        journal.start_run({"command": "retry"})
        journal.mark_in_flight(
            "new", row_number=3, batch_id="b", request_sha256="y", origin_token="first"
        )
        journal.record("new", JournalStatus.CREATED, attempts=1, contact_id="c-new")
        journal.mark_in_flight("new", row_number=3, batch_id="b", request_sha256="y")
        journal.record("new", JournalStatus.CREATED, attempts=1, contact_id="c-new")
        assert journal.lookup("new").origin_token == "first", "a send without one kept it"
        found = journal.created_for(["first", "old", "never"])
    assert {token: task.contact_id for token, task in found.items()} == {
        "first": "c-new",
        "old": "c-old",
    }
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE origin_token IN ('a') "
            "AND origin_token != ''"
        ).fetchall()
        assert "tasks_by_origin" in str(plan)
    finally:
        db.close()


def test_a_version_4_journal_gets_undos_stops_and_each_tasks_instance(path: Path) -> None:
    with Journal(path) as journal:
        journal.start_run({"command": "run", "instance_id": "i-run"})
        journal.mark_in_flight("old", row_number=2, batch_id="b", request_sha256="x")
        journal.record("old", JournalStatus.CREATED, attempts=1, contact_id="c-old")
    db = sqlite3.connect(path)
    db.executescript(
        "DROP TABLE stops; ALTER TABLE tasks DROP COLUMN instance_id; PRAGMA user_version=4;"
    )
    db.close()

    with Journal(path) as journal:
        journal.start_run({"command": "undo"})
        journal.mark_in_flight(
            "new", row_number=3, batch_id="b", request_sha256="y", instance_id="i-new"
        )
        journal.mark_stop_in_flight(
            "c-old", instance_id="i-run", client_token="old", source="r.csv", row_number=2
        )
        journal.record_stop("c-old", JournalStatus.STOPPED, attempts=1)
        assert journal.instances_of(["old", "new"]) == {"old": "i-run", "new": "i-new"}
        assert list(journal.stopped(["c-old"])) == ["c-old"]
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    finally:
        db.close()


# --- read only: a dry run, and retry looking for the run that wrote its file --------------


def test_a_journal_read_only_is_read_beside_the_run_that_holds_it_and_never_written(
    path: Path,
) -> None:
    with Journal(path) as holder:
        holder.start_run({"command": "run"})
        holder.mark_in_flight("t", row_number=2, batch_id="b", request_sha256="x")
        holder.record("t", JournalStatus.CREATED, attempts=1, contact_id="c")
        with Journal(path, read_only=True) as reader:
            assert reader.lookup("t").contact_id == "c"
            with pytest.raises(JournalError, match="cannot be read or written"):
                reader.start_run({})
        holder.mark_in_flight("u", row_number=3, batch_id="b", request_sha256="y")
        with Journal(path, read_only=True) as reader:
            assert reader.lookup("u") is not None, "sees what the holder wrote since"


def test_a_missing_journal_reads_as_empty_and_is_not_made(path: Path) -> None:
    with Journal(path, read_only=True) as journal:
        assert journal.lookup("t") is None and journal.runs() == []
    assert not path.parent.exists()


def test_an_older_journal_read_only_is_read_from_a_copy_and_stays_as_it_was(path: Path) -> None:
    version_3_journal(path)

    with Journal(path, read_only=True) as journal:
        assert journal.lookup("old").origin_token == ""
        assert journal.created_for(["old"])["old"].contact_id == "c-old"
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    finally:
        db.close()


def test_a_file_that_is_not_a_journal_read_only_is_a_journal_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not a database\n" * 100)
    with pytest.raises(JournalError, match="cannot be read"):
        Journal(bogus, read_only=True)
