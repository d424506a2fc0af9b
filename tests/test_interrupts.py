"""Ctrl-C and SIGTERM at random moments of a run: no truncated results, no corrupt journal.

A previous results file exists before each interrupted run; afterwards it is either still
the previous file, byte for byte, or a complete new one (never half of one). The journal
passes SQLite's integrity check, and a re-run completes the batch with every row created
exactly once. tests/test_cli_run.py covers a SIGTERM at a fixed point in detail.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import DONE, FLOW, INSTANCE, cli_args, start_child, statuses, tasks_by_token
from spreadsheets import read_csv, read_results, write_csv

from importer.cli import main
from importer.sandbox import Sandbox

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
    pytest.mark.early,
]

ROWS = 300
HEADER = ["Name", "Attributes.n"]
WAIT_S = 120
"""Guard against a hung child process; never reached by a healthy run."""


def interrupted_run(args: list[str], tmp_path: Path, sig: signal.Signals, delay: float) -> int:
    """Start ``python -m importer ARGS``, send ``sig`` after ``delay`` s; its exit status."""
    process, _ = start_child(args, tmp_path)
    time.sleep(delay)
    if process.poll() is None:
        process.send_signal(sig)
    try:
        return process.wait(timeout=WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()


def integrity(journal: Path) -> str:
    db = sqlite3.connect(journal)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_at_a_random_moment_loses_nothing_and_a_rerun_finishes(
    sandbox: Callable[..., Sandbox], tmp_path: Path, sig: signal.Signals, seed: int
) -> None:
    sb = sandbox(latency_ms=(5, 15), seed=seed)
    source = write_csv(
        tmp_path / "tasks.csv", [HEADER, *([f"Task {i}", str(i)] for i in range(ROWS))]
    )
    results = tmp_path / "tasks.results.csv"
    args = cli_args("run", source, sb, tmp_path, rate="200")
    routing = ["--instance-id", INSTANCE, "--contact-flow-id", FLOW]
    assert main(["validate", str(source), *routing, "--results", str(results)]) == 0
    previous = results.read_bytes()
    # from Python's start-up, through reading and sending, to writing the results
    delay = random.Random(seed * 7 + sig).uniform(0.1, 2.2)

    code = interrupted_run(args, tmp_path, sig, delay)

    assert code in (0, 3, -sig), f"exit {code} after {sig.name} at {delay:.2f} s"
    after = results.read_bytes()
    if after != previous:
        lines = read_results(results)
        assert [line["row"] for line in lines] == [str(n) for n in range(2, ROWS + 2)]
        assert set(statuses(lines)) <= {*DONE, "not_attempted"}
    else:
        assert len(read_csv(results)) == ROWS + 1
    journal = tmp_path / "j.sqlite3"
    if journal.exists():
        assert integrity(journal) == "ok"
    created_before = sb.counters()["created"]

    assert main(cli_args("run", source, sb, tmp_path, rate="2000")) == 0  # the rate: no matter

    assert sb.counters()["created"] == ROWS
    by_token = tasks_by_token(sb)
    lines = read_results(results)
    assert set(statuses(lines)) <= DONE
    assert {line["client_token"] for line in lines} == set(by_token)
    print(f"\n{sig.name} at {delay:.2f} s: exit {code}, {created_before} created before")
