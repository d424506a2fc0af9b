"""Fault soak: a big file against a misbehaving sandbox that restarts mid-run.

The CLI runs as a child process against the test's sandbox at a high quota, with 10% 500s,
5% connections dropped before and 5% after the task is created, and one restart of the
sandbox (its token memory kept) half way. Every row must become exactly one task, and the
sandbox, the journal and the results file must tell the same story. The 2,000-row soak is
in the default suite; the 20,000-row one is marked slow (``pytest -m slow``). Peak memory
and wall time are printed (``pytest -s -n 0``: one process), never asserted.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import cli_args, start_child, tasks_by_token
from spreadsheets import read_results, write_csv

from importer.sandbox import Sandbox

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="os.wait4 and POSIX signals"),
    pytest.mark.early,
]

HEADER = ["Name", "Description", "Attributes.customer_id", "Attributes.region"]
WAIT_S = 1200
"""Guard against a hung child process; never reached by a healthy run."""


def soak_rows(n: int) -> list[list[str]]:
    return [
        [f"Soak task {i}", f"Row {i} of {n}", f"{i:06d}", ("north", "south", "east")[i % 3]]
        for i in range(n)
    ]


def run_child(args: list[str], tmp_path: Path, on_progress: Callable[[], None]) -> tuple[int, int]:
    """Run ``python -m importer ARGS``; call on_progress while it runs. (exit code, peak KiB)."""
    process, log = start_child(args, tmp_path)
    done = threading.Event()
    failures: list[BaseException] = []

    def watch() -> None:
        try:
            while not done.wait(0.01):
                on_progress()
        except BaseException as problem:  # raised again in the test's own thread
            failures.append(problem)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    deadline = time.monotonic() + WAIT_S
    try:
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if failures:
                process.kill()
                raise failures[0]
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the soak run hung:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
    finally:
        done.set()
        watcher.join()
    if failures:
        raise failures[0]
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, log.read_text()[-3000:]
    return process.returncode, usage.ru_maxrss


def journal_rows(path: Path) -> dict[str, tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT client_token, status, contact_id FROM tasks").fetchall()
    finally:
        db.close()
    return {token: (status, contact_id) for token, status, contact_id in rows}


@pytest.mark.parametrize(
    "rows", [2_000, pytest.param(20_000, marks=pytest.mark.slow)], ids=["2k", "20k"]
)
def test_fault_soak_creates_every_row_exactly_once(
    sandbox: Callable[..., Sandbox], tmp_path: Path, rows: int
) -> None:
    sb = sandbox(fail_rate=0.10, drop_before_rate=0.05, drop_after_rate=0.05, seed=2024)
    source = write_csv(tmp_path / "soak.csv", [HEADER, *soak_rows(rows)])
    args = cli_args("run", source, sb, tmp_path, "--concurrency", "16", rate="2000")
    restarted: list[int] = []

    def restart_half_way() -> None:
        if not restarted and sb.counters()["created"] >= rows // 2:
            sb.restart()
            restarted.append(sb.counters()["created"])

    started = time.monotonic()
    _code, peak_kib = run_child(args, tmp_path, restart_half_way)
    elapsed = time.monotonic() - started

    assert restarted, "the sandbox was never restarted"
    counters = sb.counters()
    by_token = tasks_by_token(sb)  # fails on a duplicate
    lines = read_results(tmp_path / "soak.results.csv")
    journal = journal_rows(tmp_path / "j.sqlite3")
    print(
        f"\nsoak {rows:,} rows: {len(by_token):,} tasks, {counters['created']:,} created, "
        f"{counters['requests']:,} requests, {counters['faults']:,} faults, "
        f"{counters['replays']:,} replays, restart at {restarted[0]:,} created; "
        f"peak RSS {peak_kib / 1024:.0f} MB, {elapsed:.1f} s"
    )
    assert counters["faults"] > rows // 10, "too few faults: the soak proves little"
    assert counters["dropped_after"] > 0
    assert counters["created"] == rows
    assert len(lines) == rows
    assert [line["row"] for line in lines] == [str(n) for n in range(2, rows + 2)]
    assert {line["status"] for line in lines} == {"created"}
    assert {line["client_token"] for line in lines} == set(by_token)
    assert [line["Name"] for line in lines] == [row[0] for row in soak_rows(rows)]
    for line in lines:
        task = by_token[line["client_token"]]
        assert line["contact_id"] == task["ContactId"]
        assert task["request"]["Name"] == line["Name"]
        assert journal[line["client_token"]] == ("created", line["contact_id"])
    assert len(journal) == rows
