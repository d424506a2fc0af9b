"""A read-only look at the journal: never made where there is none, never migrated, never
blocked by (nor blocking) the run that holds it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from importer.errors import JournalError
from importer.exitcodes import ExitCode
from importer.journal import Journal, JournalReader, JournalStatus, reading, record_refused_run


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


def test_no_journal_is_none_and_none_is_made(path: Path) -> None:
    with reading(path) as reader:
        assert reader is None
    assert not path.parent.exists()


def test_it_reads_while_a_run_holds_the_journal(path: Path) -> None:
    with Journal(path) as journal:
        journal.start_run({"command": "undo", "instance_id": "i-1"})
        journal.mark_in_flight("t-1", row_number=2, batch_id="b", request_sha256="x")
        journal.record("t-1", JournalStatus.CREATED, attempts=1, contact_id="c-1")
        journal.mark_stop_in_flight(
            "c-1", instance_id="i-1", client_token="t-1", source="r.csv", row_number=2
        )
        journal.record_stop("c-1", JournalStatus.STOPPED, attempts=1)

        with reading(path) as reader:
            assert reader is not None
            (run,) = reader.runs()
            assert (run.run_id, run.finished_at, run.summary) == (1, None, None)
            assert reader.sent_by(1) == {"created": 1, "stopped": 1}
            assert list(reader.stopped(["c-1", "c-2"])) == ["c-1"]
            assert reader.instances_of(["t-1"]) == {"t-1": "i-1"}
        journal.finish_run(ExitCode.OK, {"command": "undo"})


def test_an_older_journal_is_read_as_it_is(path: Path) -> None:
    with Journal(path) as journal:
        journal.start_run({"command": "run", "instance_id": "i-from-settings"})
        journal.mark_in_flight("t-1", row_number=2, batch_id="b", request_sha256="x")
    db = sqlite3.connect(path)
    db.executescript(
        "DROP TABLE stops; ALTER TABLE tasks DROP COLUMN instance_id; PRAGMA user_version=4;"
    )
    db.close()

    reader = JournalReader(path)
    try:
        assert reader.stopped(["c-1"]) == {}
        assert reader.stop_entry("c-1") is None
        assert reader.instances_of(["t-1"]) == {"t-1": "i-from-settings"}
        assert reader.sent_by(1) == {"in_flight": 1}
    finally:
        reader.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 4, "never migrated"
    db.close()


def test_a_newer_journal_or_another_file_is_a_journal_error(tmp_path: Path, path: Path) -> None:
    Journal(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(JournalError, match="newer"):
        JournalReader(path)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    with pytest.raises(JournalError, match="cannot be read"), reading(notes) as reader:
        assert reader is not None
        reader.runs()


def test_a_run_refused_by_the_lock_is_recorded_but_counts_as_neither_kind(path: Path) -> None:
    with Journal(path) as journal:
        journal.start_run({"command": "run", "sandbox": False})
        record_refused_run(path, {"command": "run", "sandbox": True}, {"exit_code": 4})
        assert journal.runs_of_the_other_kind(sandbox=False) == 0
        refused = journal.runs()[-1]
    assert (refused["exit_code"], json.loads(refused["summary"])) == (4, {"exit_code": 4})
    assert refused["finished_at"] is not None
    record_refused_run(path.with_name("gone.sqlite3"), {}, None)
    assert not path.with_name("gone.sqlite3").exists()
