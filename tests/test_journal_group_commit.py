"""Group commit: many threads' writes share commits, and each fails or succeeds alone."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from importer.journal.group_commit import GroupCommit


@pytest.fixture
def db(tmp_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(
        tmp_path / "j.sqlite3", isolation_level=None, check_same_thread=False
    )
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    return connection


def test_a_failing_write_fails_alone_and_the_others_are_committed(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    group = GroupCommit(threading.Lock())
    group.write(db, "INSERT INTO t VALUES (?)", ("taken",))
    errors: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for n in range(20):
            key = "taken" if n == 10 else f"{index}-{n}"
            try:
                group.write(db, "INSERT INTO t VALUES (?)", (key,))
            except sqlite3.IntegrityError:
                with lock:
                    errors.append(key)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == ["taken"] * 6
    other = sqlite3.connect(tmp_path / "j.sqlite3")
    try:
        assert other.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1 + 6 * 19
    finally:
        other.close()
    assert not db.in_transaction


def test_a_commit_that_fails_fails_every_write_in_it(db: sqlite3.Connection) -> None:
    group = GroupCommit(threading.Lock())
    db.execute("BEGIN")  # a transaction already open: the batch's BEGIN fails
    with pytest.raises(sqlite3.OperationalError):
        group.write(db, "INSERT INTO t VALUES (?)", ("a",))
    assert not db.in_transaction  # rolled back: nothing of it was written
    group.write(db, "INSERT INTO t VALUES (?)", ("b",))
    assert db.execute("SELECT k FROM t").fetchall() == [("b",)]
