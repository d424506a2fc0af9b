"""Shared by the end-to-end CLI tests: the command line against a sandbox, and what it created."""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from spreadsheets import read_results, write_csv

from importer.results import default_results_path, protect, unprotect
from importer.sandbox import Sandbox, defaults

INSTANCE = defaults.INSTANCE_ID
FLOW = defaults.CONTACT_FLOW_IDS[0]
OTHER_FLOW = defaults.CONTACT_FLOW_IDS[1]
DONE = {"created", "already_created"}
HEADER = ["Name", "Description", "Attributes.customer_id", "Attributes.priority"]
WAIT_S = 60
"""Guard against a hung child process; never reached by a healthy run."""


def task_rows(n: int, start: int = 0) -> list[list[str]]:
    return [
        [f"Task {i}", f"Call back customer {i}", f"{i:05d}", ("high", "normal", "low")[i % 3]]
        for i in range(start, start + n)
    ]


def write_input(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> Path:
    return write_csv(path, [list(header), *rows])


def validate_args(*paths: Path) -> list[str]:
    """`validate` of these files, the instance and flow given as options."""
    return ["validate", *map(str, paths), "--instance-id", INSTANCE, "--contact-flow-id", FLOW]


def results_of(input_path: Path) -> list[dict[str, str]]:
    return read_results(default_results_path(input_path))


def edit_results(path: Path, edit: Callable[[dict[str, str]], dict[str, str] | None]) -> int:
    """Rewrite a results CSV as ops would: ``edit(line)`` returns the cells to change.

    Lines are given unprotected (as retry reads them); changed cells are written back
    protected, untouched cells exactly as they were. Returns how many lines changed.
    """
    with path.open(encoding="utf-8-sig", newline="") as stream:
        header, *raw = list(csv.reader(stream))
    changed = 0
    for cells in raw:
        line = {name: unprotect(cell) for name, cell in zip(header, cells, strict=True)}
        changes = edit(line)
        if changes:
            changed += 1
            for name, value in changes.items():
                cells[header.index(name)] = protect(value)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        csv.writer(stream).writerows([header, *raw])
    return changed


def journal_tokens(path: Path) -> dict[str, str]:
    """Every token in a journal with its status (read directly, without taking the lock)."""
    db = sqlite3.connect(path)
    try:
        return dict(db.execute("SELECT client_token, status FROM tasks").fetchall())
    finally:
        db.close()


def start_child(args: list[str], tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """``python -m importer ARGS`` in tmp_path, output to a file; environment as the test's."""
    log = tmp_path / "child-output.txt"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "importer", *args],
            cwd=tmp_path,
            env=dict(os.environ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, log


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[bytes], log: Path):
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the run ended (exit {process.returncode}) too soon:\n{log.read_text()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run never got there:\n{log.read_text()}")
        time.sleep(0.005)


def cli_args(
    command: str, target: Path, sb: Sandbox, tmp_path: Path, *extra: str, rate: str = "500"
) -> list[str]:
    """`command target` pointed at the sandbox, with a journal in tmp_path."""
    return [
        *check_args(target, sb, command),
        "--journal",
        str(tmp_path / "j.sqlite3"),
        "--no-progress",
        "--rate",
        rate,
        "--burst",
        "50",
        "--concurrency",
        "8",
        *extra,
    ]


def check_args(target: Path, sb: Sandbox, command: str = "check") -> list[str]:
    """`command target` (`check` unless told) with the sandbox's instance and flow,
    Amazon Connect pointed at the sandbox (STS follows AWS_ENDPOINT_URL_STS)."""
    return [
        command,
        str(target),
        "--instance-id",
        INSTANCE,
        "--contact-flow-id",
        FLOW,
        "--endpoint-url",
        sb.url,
        "--region",
        "us-east-1",
    ]


def statuses(lines: list[dict[str, str]]) -> Counter[str]:
    return Counter(line["status"] for line in lines)


def tasks_by_token(sb: Sandbox) -> dict[str, dict[str, Any]]:
    """The sandbox's tasks by ClientToken; fails if any token created two tasks."""
    tasks = sb.tasks()
    by_token = {task["ClientToken"]: task for task in tasks}
    assert len(by_token) == len(tasks), "a ClientToken created more than one task"
    return by_token


_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (DEBUG|INFO|WARNING|ERROR) ")


def planned_rows(stdout: str) -> dict[int, str]:
    """What a dry run printed for each row ("  row N: what"), by row number."""
    plans = {}
    for line in stdout.splitlines():
        number, colon, plan = line.strip().removeprefix("row ").partition(": ")
        if line.startswith("  row ") and colon and number.isdigit():
            plans[int(number)] = plan
    return plans


HEADER_LINE = re.compile(r"task-importer \S+ [a-z]+, pid \d+")
"""The line every command says first: version, command, pid (config file, journal)."""


def after_header(messages: list[str]) -> list[str]:
    """The log's messages after the command's header line, which must come first."""
    assert messages and HEADER_LINE.match(messages[0]), messages
    return messages[1:]


def log_messages(stderr: str) -> list[str]:
    """stderr's log lines (timestamped, since tests do not run on a terminal) without the
    timestamp and level; a line without that prefix fails the test."""
    lines = stderr.strip().splitlines()
    assert all(_LOG_PREFIX.match(line) for line in lines), stderr
    return [_LOG_PREFIX.sub("", line) for line in lines]
