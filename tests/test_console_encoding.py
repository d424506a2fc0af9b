"""A console whose encoding lacks a file's or a sheet's characters (cp1252 on Windows, and
'задачи ✓.xlsx'): the log, the progress bar and stdout write '?' for them; nothing raises
``UnicodeEncodeError``.

The CLI runs in a child process with ``PYTHONIOENCODING=cp1252``, stderr to a file (as
Task Scheduler redirects it) or to a terminal (a pseudo-terminal here: the bar and the
terminal's log format).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import WAIT_S, cli_args, results_of
from spreadsheets import write_xlsx

from importer.sandbox import Sandbox

NAME = "задачи ✓.xlsx"
SHEET = "Лист ✓"


def _cp1252() -> dict[str, str]:
    """The test's environment (its dummy credentials) with a cp1252 console."""
    return {**os.environ, "PYTHONIOENCODING": "cp1252"}


def _workbook(tmp_path: Path) -> Path:
    rows = [["Name", "Description"], *([f"Звонок {i}", "клиент ✓"] for i in range(5))]
    return write_xlsx(tmp_path / NAME, rows, sheet=SHEET)


def _cli(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "importer", *args],
        cwd=tmp_path,
        env=_cp1252(),
        capture_output=True,
        timeout=WAIT_S,
        check=False,
    )


def test_a_log_to_a_cp1252_file_replaces_what_it_cannot_hold(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    source = _workbook(tmp_path)

    result = _cli(cli_args("run", source, sandbox(), tmp_path), tmp_path)

    stderr = result.stderr.decode("cp1252")
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "Logging error" not in stderr
    assert "?????? ?.xlsx, sheet '???? ?'" in stderr
    assert "\\u" not in stderr
    assert len(results_of(source)) == 5


def test_history_on_a_cp1252_stdout_replaces_what_it_cannot_hold(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    source = _workbook(tmp_path)
    assert _cli(cli_args("run", source, sandbox(), tmp_path), tmp_path).returncode == 0

    result = _cli(["history", "--journal", str(tmp_path / "j.sqlite3")], tmp_path)

    assert result.returncode == 0, result.stderr.decode("cp1252")
    assert b"Traceback" not in result.stderr
    assert "?????? ?.xlsx | created 5" in result.stdout.decode("cp1252")


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pseudo-terminal")
def test_the_progress_bar_and_log_on_a_cp1252_terminal_replace_what_they_cannot_hold(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    import pty
    import termios

    source = _workbook(tmp_path)
    args = [arg for arg in cli_args("run", source, sandbox(), tmp_path) if arg != "--no-progress"]
    controller, terminal = pty.openpty()
    termios.tcsetwinsize(terminal, (24, 120))  # the bar fits the terminal's width
    chunks: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(controller, chunks))
    reader.start()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "importer", *args],
            cwd=tmp_path,
            env=_cp1252(),
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            timeout=WAIT_S,
            check=False,
        )
    finally:
        os.close(terminal)
        reader.join(WAIT_S)
        os.close(controller)

    shown = b"".join(chunks).decode("cp1252")
    assert process.returncode == 0, shown
    assert "Traceback" not in shown
    assert "?????? ?.xlsx, sheet '???? ?'" in shown
    assert "5/5" in shown  # the bar, drawn to its end
    assert len(results_of(source)) == 5


def _drain(controller: int, chunks: list[bytes]) -> None:
    """Read the terminal's output until the last writer closes it."""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO once no process has the terminal open
            return
        if not chunk:
            return
        chunks.append(chunk)
