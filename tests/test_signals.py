"""Only the signals the platform delivers are handled: Ctrl-C everywhere, SIGTERM but on
Windows (which never delivers it), Ctrl-Break where it exists.

Windows is simulated on this machine: ``sys.platform`` reads "win32" and SIGUSR1 stands in
for SIGBREAK (a real signal here, so that a handler can be installed and sent to). The end
to end tests run the CLI in a child process whose interrupt handling sees that platform, and
stop it mid-send with the signals Windows has.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_runs import WAIT_S, cli_args, results_of, statuses, task_rows, wait_until, write_input

from importer.cli.interrupts import command_signals, delivered_signals, run_stop
from importer.cli.sandbox import _stopped_by_signals
from importer.errors import Interrupted
from importer.sandbox import Sandbox

if sys.platform == "win32":
    pytest.skip("simulates Windows on POSIX (SIGUSR1 stands in)", allow_module_level=True)

CTRL_BREAK = signal.SIGUSR1
"""Stands in for Windows' SIGBREAK."""


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process as the signal module sees it on Windows (SIGBREAK: the stand-in)."""
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(signal, "SIGBREAK", CTRL_BREAK, raising=False)
    yield


@pytest.fixture
def default_handlers() -> Iterator[None]:
    """SIGTERM and the stand-in at their defaults during the test, as they were after."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, CTRL_BREAK)}
    for sig in before:
        signal.signal(sig, signal.SIG_DFL)
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_posix_delivers_ctrl_c_and_sigterm(monkeypatch: pytest.MonkeyPatch, platform: str) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.delattr(signal, "SIGBREAK", raising=False)

    assert delivered_signals() == (signal.SIGINT, signal.SIGTERM)


@pytest.mark.usefixtures("windows")
def test_windows_delivers_ctrl_c_and_ctrl_break_but_never_sigterm() -> None:
    assert delivered_signals() == (signal.SIGINT, CTRL_BREAK)


def test_without_sigbreak_windows_has_ctrl_c_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delattr(signal, "SIGBREAK", raising=False)

    assert delivered_signals() == (signal.SIGINT,)


@pytest.mark.usefixtures("windows", "default_handlers")
def test_on_windows_a_command_handles_ctrl_c_and_ctrl_break_and_leaves_sigterm_alone() -> None:
    before = signal.getsignal(signal.SIGINT)
    with command_signals():
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        with pytest.raises(Interrupted, match="interrupted by SIGUSR1"):
            os.kill(os.getpid(), CTRL_BREAK)
        with pytest.raises(Interrupted, match="interrupted by SIGINT"):
            os.kill(os.getpid(), signal.SIGINT)

    assert signal.getsignal(signal.SIGINT) is before
    assert signal.getsignal(CTRL_BREAK) is signal.SIG_DFL


@pytest.mark.usefixtures("windows", "default_handlers")
@pytest.mark.parametrize("sig", [signal.SIGINT, CTRL_BREAK], ids=["ctrl-c", "ctrl-break"])
def test_on_windows_a_signal_while_sending_asks_the_run_to_stop(sig: signal.Signals) -> None:
    with command_signals():
        stop = run_stop()
        stop.sending = True
        os.kill(os.getpid(), sig)

        assert stop.reason == f"interrupted by {sig.name}"


@pytest.mark.usefixtures("windows", "default_handlers")
def test_on_windows_the_sandbox_stops_on_ctrl_break_and_leaves_sigterm_alone() -> None:
    stop = threading.Event()
    with _stopped_by_signals(stop) as received:
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        os.kill(os.getpid(), CTRL_BREAK)

    assert stop.is_set()
    assert received == ["SIGUSR1"]
    assert signal.getsignal(CTRL_BREAK) is signal.SIG_DFL


AS_ON_WINDOWS = """
import runpy, signal, sys, types
import importer.cli.interrupts as interrupts
interrupts.sys = types.SimpleNamespace(platform="win32")
signal.SIGBREAK = signal.SIGUSR1
runpy.run_module("importer", run_name="__main__")
"""
"""``python -m importer`` whose interrupt handling sees Windows' signals (SIGUSR1 for
SIGBREAK); the rest of the process is this machine's."""


@pytest.mark.parametrize("sig", [signal.SIGINT, CTRL_BREAK], ids=["ctrl-c", "ctrl-break"])
def test_on_windows_one_interrupt_mid_send_stops_cleanly_with_complete_results(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    sig: signal.Signals,
) -> None:
    sb = sandbox(latency_ms=(30, 60), seed=7)
    rows = 150
    source = write_input(tmp_path / "tasks.csv", task_rows(rows))
    args = cli_args("run", source, sb, tmp_path, rate="100")
    process, log = _start_as_on_windows(args, tmp_path)
    wait_until(lambda: sb.counters()["created"] >= rows // 4, process, log)
    process.send_signal(sig)

    assert process.wait(timeout=WAIT_S) == 3, log.read_text()
    output = log.read_text()
    assert f"STOPPED EARLY: interrupted by {sig.name}" in output
    assert "Traceback" not in output
    lines = results_of(source)
    assert [line["row"] for line in lines] == [str(n) for n in range(2, rows + 2)]
    counts = statuses(lines)
    assert set(counts) == {"created", "not_attempted"}
    assert counts["created"] == sb.counters()["created"]


def _start_as_on_windows(args: list[str], tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """As cli_runs.start_child, the child's signals as on Windows."""
    log = tmp_path / "child-output.txt"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", AS_ON_WINDOWS, *args],
            cwd=tmp_path,
            env=dict(os.environ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, log
