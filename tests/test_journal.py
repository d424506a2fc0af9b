"""The journal: durable, WAL, one run at a time, and it remembers what was sent."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from importer.errors import JournalError, JournalLockedError
from importer.exitcodes import ExitCode
from importer.journal import (
    ENV_VAR,
    SCHEMA_VERSION,
    Journal,
    JournalStatus,
    default_path,
    request_digest,
    resolve_path,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


def send(journal: Journal, token: str, row: int = 2) -> None:
    journal.mark_in_flight(token, row_number=row, batch_id="b1", request_sha256="abc")


def test_wal_and_full_sync(path: Path) -> None:
    with Journal(path) as journal:
        assert journal._execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert journal._execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_unknown_token_has_no_entry(path: Path) -> None:
    with Journal(path) as journal:
        assert journal.lookup("never-sent") is None


def test_in_flight_then_created(path: Path) -> None:
    with Journal(path) as journal:
        send(journal, "t1", row=7)
        entry = journal.lookup("t1")
        assert entry is not None
        assert entry.status is JournalStatus.IN_FLIGHT
        assert (entry.row_number, entry.batch_id, entry.request_sha256) == (7, "b1", "abc")
        journal.record("t1", JournalStatus.CREATED, attempts=2, contact_id="c-1")
        entry = journal.lookup("t1")
        assert entry is not None
        assert (entry.status, entry.contact_id, entry.attempts) == ("created", "c-1", 2)
        assert entry.first_sent_at <= entry.updated_at


def test_attempts_add_up_over_runs_and_errors_are_kept(path: Path) -> None:
    with Journal(path) as journal:
        send(journal, "t1")
        journal.record(
            "t1", JournalStatus.FAILED, attempts=8, error_code="Throttling", error_message="slow"
        )
    with Journal(path) as journal:
        send(journal, "t1")
        journal.record("t1", JournalStatus.CREATED, attempts=1, contact_id="c-1")
        entry = journal.lookup("t1")
        assert entry is not None
        assert entry.attempts == 9
        assert entry.status is JournalStatus.CREATED
        assert journal.counts() == {JournalStatus.CREATED: 1}


def test_record_needs_an_in_flight_mark(path: Path) -> None:
    with Journal(path) as journal, pytest.raises(KeyError):
        journal.record("t1", JournalStatus.CREATED, attempts=1)


def test_everything_survives_close_and_reopen(path: Path) -> None:
    with Journal(path) as journal:
        run_id = journal.start_run({"rate": 2.0})
        send(journal, "created")
        journal.record("created", JournalStatus.CREATED, attempts=1, contact_id="c-1")
        send(journal, "unanswered")
        journal.finish_run(ExitCode.STOPPED)
    with Journal(path) as journal:
        assert journal.lookup("created").contact_id == "c-1"  # type: ignore[union-attr]
        assert journal.lookup("unanswered").status is JournalStatus.IN_FLIGHT  # type: ignore[union-attr]
        (run,) = journal.runs()
        assert run["run_id"] == run_id
        assert run["exit_code"] == ExitCode.STOPPED
        assert run["finished_at"] >= run["started_at"]
        assert '"rate": 2.0' in run["settings"]


def test_second_journal_on_the_same_file_is_refused_with_the_holders_pid(path: Path) -> None:
    with Journal(path):
        with pytest.raises(JournalLockedError) as refused:
            Journal(path)
        message = str(refused.value)
        host = socket.gethostname()
        assert f"pid {os.getpid()} on {host}, started" in message
        assert f"wait for it to finish: `ps -p {os.getpid()}` on {host} shows whether" in message
        assert "taken over automatically" in message
        assert "--journal" not in message  # a second journal would defeat the lock
        assert refused.value.exit_code == ExitCode.LOCKED
    Journal(path).close()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from importer.journal import Journal, JournalStatus
    journal = Journal(sys.argv[1])
    journal.mark_in_flight("sent", row_number=2, batch_id="b", request_sha256="x")
    journal.mark_in_flight("done", row_number=3, batch_id="b", request_sha256="y")
    journal.record("done", JournalStatus.CREATED, attempts=1, contact_id="c-3")
    print("ready", flush=True)
    time.sleep(60)
    """
)


def test_killed_run_leaves_in_flight_rows_and_its_lock_is_taken_over(path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        with pytest.raises(JournalLockedError, match=f"pid {child.pid} on .*, started"):
            Journal(path)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    with Journal(path) as journal:
        sent, done = journal.lookup("sent"), journal.lookup("done")
        assert sent is not None and sent.status is JournalStatus.IN_FLIGHT
        assert done is not None and (done.status, done.contact_id) == ("created", "c-3")
    assert f"pid {os.getpid()}" in path.with_name(path.name + ".lock").read_text()


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


def test_finish_run_needs_start_run(path: Path) -> None:
    with Journal(path) as journal, pytest.raises(RuntimeError):
        journal.finish_run(0)


def test_rows_name_their_run(path: Path) -> None:
    with Journal(path) as journal:
        run_id = journal.start_run({})
        send(journal, "t1")
        stored = journal._execute("SELECT run_id FROM tasks").fetchone()[0]
        assert stored == run_id


def test_default_location(tmp_path: Path) -> None:
    home = Path.home()
    assert default_path({}) == home / ".local/state/connect-task-importer/journal.sqlite3"
    xdg = {"XDG_STATE_HOME": str(tmp_path)}
    assert default_path(xdg) == tmp_path / "connect-task-importer/journal.sqlite3"
    env = {**xdg, ENV_VAR: str(tmp_path / "mine.db")}
    assert default_path(env) == tmp_path / "mine.db"
    assert resolve_path(tmp_path / "explicit.db", env) == tmp_path / "explicit.db"
    assert resolve_path(None, env) == tmp_path / "mine.db"


def test_request_digest_ignores_key_order() -> None:
    assert request_digest({"a": 1, "b": "x"}) == request_digest({"b": "x", "a": 1})
    assert request_digest({"a": 1}) != request_digest({"a": 2})


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


def test_a_version_3_journal_learns_which_token_a_retried_edit_came_from(path: Path) -> None:
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
        assert db.execute("PRAGMA user_version").fetchone()[0] == 4
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE origin_token IN ('a') "
            "AND origin_token != ''"
        ).fetchall()
        assert "tasks_by_origin" in str(plan)
    finally:
        db.close()


def test_a_batchs_created_tasks_and_where_tokens_were_sent_are_one_query_each(path: Path) -> None:
    with Journal(path) as journal:
        run = journal.start_run({"command": "run"})
        tokens = [f"t{i}" for i in range(1200)]  # more than one chunk of parameters
        for number, token in enumerate(tokens, start=2):
            batch = "a.csv" if number % 3 else "b.csv"
            journal.mark_in_flight(token, row_number=number, batch_id=batch, request_sha256="")
            status = JournalStatus.CREATED if number % 2 else JournalStatus.FAILED
            journal.record(token, status, attempts=1, contact_id=f"c{number}")
        journal.finish_run(0, {"files": [{"results": "C:\\drop\\a_1%.results.csv"}]})

        created = journal.created_tasks("a.csv")
        counts = journal.batch_counts([*tokens, "unknown", ""])
        info = journal.run_info([run, 999])
        (found,) = journal.summaries_mentioning("drop\\a_1%.results.csv")
        assert list(journal.summaries_mentioning("a%1")) == [], "% is not a wildcard"
    expected = [n for n in range(2, 1202) if n % 3 and n % 2]
    assert sorted(task.row_number for task in created) == expected
    assert all(task.contact_id == f"c{task.row_number}" for task in created)
    assert counts == {"a.csv": 800, "b.csv": 400}
    assert list(info) == [run] and info[run].command == "run"
    assert found[0] == run
