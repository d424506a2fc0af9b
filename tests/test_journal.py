"""The journal: durable, and it remembers what was sent, run after run."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from importer.exitcodes import ExitCode
from importer.journal import Journal, JournalStatus


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


def send(journal: Journal, token: str, row: int = 2) -> None:
    journal.mark_in_flight(token, row_number=row, batch_id="b1", request_sha256="abc")


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


def test_finish_run_needs_start_run(path: Path) -> None:
    with Journal(path) as journal, pytest.raises(RuntimeError):
        journal.finish_run(0)


def test_rows_name_their_run(path: Path) -> None:
    with Journal(path) as journal:
        run_id = journal.start_run({})
        send(journal, "t1")
        stored = journal._execute("SELECT run_id FROM tasks").fetchone()[0]
        assert stored == run_id


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


def test_a_run_s_settings_are_read_back_as_it_recorded_them(path: Path) -> None:
    with Journal(path) as journal:
        run = journal.start_run({"command": "run", "instance_id": "i", "from_mapping": []})
        journal._execute("INSERT INTO runs (pid, started_at, settings) VALUES (1, 'x', 'oops')")
        assert journal.run_settings(run) == {
            "command": "run",
            "instance_id": "i",
            "from_mapping": [],
        }
        assert journal.run_settings(run + 1) == {}, "unreadable settings read as none"
        assert journal.run_settings(99) == {}


def test_writes_from_many_threads_are_each_on_disk_when_they_return(path: Path) -> None:
    seen_by_another_connection: list[bool] = []
    lock = threading.Lock()
    with Journal(path) as journal:

        def worker(index: int) -> None:
            for n in range(10):
                token = f"t-{index}-{n}"
                send(journal, token, row=n)
                journal.record(token, JournalStatus.CREATED, attempts=1, contact_id=f"c-{token}")
                other = sqlite3.connect(path)
                try:
                    row = other.execute(
                        "SELECT contact_id FROM tasks WHERE client_token = ?", (token,)
                    ).fetchone()
                finally:
                    other.close()
                with lock:
                    seen_by_another_connection.append(row == (f"c-{token}",))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert journal.counts() == {JournalStatus.CREATED: 80}
    assert seen_by_another_connection == [True] * 80


def test_a_write_that_fails_fails_alone(path: Path) -> None:
    with Journal(path) as journal:
        send(journal, "t1")
        with pytest.raises(KeyError, match="never marked in flight"):
            journal.record("never-sent", JournalStatus.CREATED, attempts=1, contact_id="c")
        journal.record("t1", JournalStatus.CREATED, attempts=1, contact_id="c-1")
        entry = journal.lookup("t1")
        assert entry is not None and entry.contact_id == "c-1"
