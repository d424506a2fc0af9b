"""Shared by the end-to-end CLI tests: the command line against a sandbox, and what it created."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from importer.sandbox import Sandbox, defaults

INSTANCE = defaults.INSTANCE_ID
FLOW = defaults.CONTACT_FLOW_IDS[0]
OTHER_FLOW = defaults.CONTACT_FLOW_IDS[1]
DONE = {"created", "already_created"}


def cli_args(
    command: str, target: Path, sb: Sandbox, tmp_path: Path, *extra: str, rate: str = "500"
) -> list[str]:
    """`command target` pointed at the sandbox, with a journal in tmp_path."""
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


def statuses(lines: list[dict[str, str]]) -> Counter[str]:
    return Counter(line["status"] for line in lines)


def tasks_by_token(sb: Sandbox) -> dict[str, dict[str, Any]]:
    """The sandbox's tasks by ClientToken; fails if any token created two tasks."""
    tasks = sb.tasks()
    by_token = {task["ClientToken"]: task for task in tasks}
    assert len(by_token) == len(tasks), "a ClientToken created more than one task"
    return by_token


_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (DEBUG|INFO|WARNING|ERROR) ")


def log_messages(stderr: str) -> list[str]:
    """stderr's log lines (timestamped, since tests do not run on a terminal) without the
    timestamp and level; a line without that prefix fails the test."""
    lines = stderr.strip().splitlines()
    assert all(_LOG_PREFIX.match(line) for line in lines), stderr
    return [_LOG_PREFIX.sub("", line) for line in lines]
