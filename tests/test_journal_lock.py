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
    with Journal(path) as journal:
        sent, done = journal.lookup("sent"), journal.lookup("done")
        assert sent is not None and sent.status is JournalStatus.IN_FLIGHT
        assert done is not None and (done.status, done.contact_id) == ("created", "c-3")
    assert f"pid {os.getpid()}" in path.with_name(path.name + ".lock").read_text()
