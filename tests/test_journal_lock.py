"""One run at a time: a second journal on the same file is refused naming its holder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from importer.errors import JournalLockedError
from importer.exitcodes import ExitCode
from importer.journal import Journal, JournalStatus
from importer.journal.lock import locked_message


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "journal.sqlite3"


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
    holder = path.with_name(path.name + ".holder")
    assert f"pid {child.pid} on " in holder.read_text()  # left behind by the killed run
    with Journal(path) as journal:
        sent, done = journal.lookup("sent"), journal.lookup("done")
        assert sent is not None and sent.status is JournalStatus.IN_FLIGHT
        assert done is not None and (done.status, done.contact_id) == ("created", "c-3")
        assert holder.read_text().startswith(f"pid {os.getpid()} on ")
    assert not holder.exists()


def test_a_holder_that_cannot_be_read_still_refuses_the_second_run(path: Path) -> None:
    """On Windows the holder file may be mid-write, or kept from reading, when a second run
    looks: the lock alone refuses it."""
    with Journal(path):
        path.with_name(path.name + ".holder").unlink()
        with pytest.raises(JournalLockedError) as refused:
            Journal(path)
    assert "in use by another run (holder unknown); wait for it to finish." in str(refused.value)


@pytest.mark.parametrize(
    ("platform", "check"),
    [
        ("linux", "`ps -p 4242`"),
        ("darwin", "`ps -p 4242`"),
        ("win32", '`tasklist /fi "pid eq 4242"`'),
    ],
)
def test_the_locked_message_names_the_command_that_shows_the_holder_on_this_os(
    path: Path, monkeypatch: pytest.MonkeyPatch, platform: str, check: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    message = locked_message(path, "pid 4242 on ops-laptop, started 2026-12-01 09:30:00+01:00")
    assert f"wait for it to finish: {check} on ops-laptop shows whether it still runs" in message
