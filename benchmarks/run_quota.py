"""bench_run.py's first section: creating tasks at the request-rate quota.

Ours told the quota and told 4x, against a plain boto3 loop and botocore's adaptive mode,
each on a fresh in-process sandbox (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.exceptions as bce
import botocore.session
from botocore.config import Config
from run_common import (
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    REGION,
    make_rows,
    met,
    refuse_remote,
    run_ours,
)

from importer.executor import ExecutorSettings
from importer.model import PreparedRow, Status
from importer.sandbox import Sandbox, SandboxConfig

TARGET_TRUE = 0.97
"""Achieved rate / quota wanted when ours is told the true quota."""
TARGET_OVER = 0.9
"""Achieved rate / quota wanted when ours is told 4x the quota."""
OVER_FACTOR = 4
LOOP_SLEEP_S = 0.1
"""The plain loop's fixed sleep before resending a row botocore gave up on."""
LOOP_ATTEMPTS = 5
"""The plain loop's own attempts per row (each one is up to 3 botocore attempts)."""
ADAPTIVE_ATTEMPTS = 10


# --- scenarios ------------------------------------------------------------------------------


@dataclass
class ClientSide:
    """What a scenario's own code saw: rows by outcome, the timed interval, extra notes."""

    created: int
    failed: int
    not_sent: int
    elapsed: float
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Setup:
    quota: float
    burst: int
    rows: int
    latency_ms: tuple[float, float]
    concurrency: int
    deadline_s: float
    scratch: Path


Scenario = Callable[[str, list[PreparedRow], Setup], ClientSide]


def ours(told_rate: float) -> Scenario:
    """The Executor as `task-importer run` uses it, with a journal in the scratch dir."""

    def scenario(url: str, rows: list[PreparedRow], setup: Setup) -> ClientSide:
        settings = ExecutorSettings(
            concurrency=setup.concurrency, rate=told_rate, burst=setup.burst
        )
        journal_path = setup.scratch / f"journal-told-{told_rate:g}.sqlite3"
        run = run_ours(url, rows, settings, journal_path, setup.deadline_s)
        report = run.report
        notes = [
            f"Executor counted {report.calls} calls, {report.throttles} throttled; "
            f"limiter cut its rate {run.cuts} times, ended at "
            f"{report.final_rate:.1f}/s (ceiling {told_rate:g}/s)",
        ]
        if report.stopped_early:
            notes.append(f"stopped early: {report.stop_reason}")
        return ClientSide(
            created=run.statuses[Status.CREATED],
            failed=run.statuses[Status.FAILED],
            not_sent=run.statuses[Status.NOT_ATTEMPTED],
            elapsed=run.elapsed,
            notes=notes,
        )

    return scenario


def _throttled(error: bce.ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ThrottlingException"


def _boto3_client(url: str, config: Config) -> Any:
    session = boto3.session.Session(region_name=REGION)
    return session.client("connect", endpoint_url=url, config=config)


def boto3_loop(url: str, rows: list[PreparedRow], setup: Setup) -> ClientSide:
    """One default-config client, one call at a time, fixed-sleep resend on throttling."""
    config = Config(connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S)
    client = _boto3_client(url, config)
    stop = threading.Event()
    deadline = threading.Timer(setup.deadline_s, stop.set)
    deadline.daemon = True
    created = failed = not_sent = resends = 0
    deadline.start()
    try:
        start = time.monotonic()
        for row in rows:
            assert row.request is not None
            for attempt in range(1, LOOP_ATTEMPTS + 1):
                if stop.is_set():
                    not_sent += 1
                    break
                try:
                    client.start_task_contact(**row.request)
                except bce.ClientError as error:
                    if _throttled(error) and attempt < LOOP_ATTEMPTS:
                        resends += 1
                        time.sleep(LOOP_SLEEP_S)
                        continue
                    failed += 1
                except bce.BotoCoreError:
                    failed += 1
                else:
                    created += 1
                break
        elapsed = time.monotonic() - start
    finally:
        deadline.cancel()
    notes = [f"the loop resent {resends} rows after botocore gave up on a throttle"]
    return ClientSide(created, failed, not_sent, elapsed, notes)


def boto3_adaptive(url: str, rows: list[PreparedRow], setup: Setup) -> ClientSide:
    """botocore adaptive retries, one shared client, a pool of ``concurrency`` threads."""
    config = Config(
        retries={"mode": "adaptive", "max_attempts": ADAPTIVE_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=max(10, setup.concurrency),
    )
    client = _boto3_client(url, config)
    stop = threading.Event()

    def send(row: PreparedRow) -> str:
        if stop.is_set():
            return "not_sent"
        assert row.request is not None
        try:
            client.start_task_contact(**row.request)
        except (bce.ClientError, bce.BotoCoreError):
            return "failed"
        return "created"

    deadline = threading.Timer(setup.deadline_s, stop.set)
    deadline.daemon = True
    deadline.start()
    try:
        start = time.monotonic()
        with ThreadPoolExecutor(setup.concurrency, thread_name_prefix="adaptive") as pool:
            results = Counter(pool.map(send, rows))
        elapsed = time.monotonic() - start
    finally:
        deadline.cancel()
    return ClientSide(results["created"], results["failed"], results["not_sent"], elapsed)


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    client: ClientSide
    counters: dict[str, int]
    duplicates: int
    missing: int

    @property
    def created(self) -> int:
        return self.counters["created"]

    @property
    def rate(self) -> float:
        return self.created / self.client.elapsed if self.client.elapsed > 0 else 0.0

    @property
    def throttled_share(self) -> float:
        requests = self.counters["requests"]
        return self.counters["throttled"] / requests if requests else 0.0

    @property
    def calls_per_task(self) -> float:
        return self.counters["requests"] / self.created if self.created else math.inf


def measure(label: str, scenario: Scenario, prefix: str, setup: Setup, seed: int) -> Result:
    """Run one scenario on its own fresh sandbox and read the sandbox's counters."""
    rows = make_rows(setup.rows, prefix)
    config = SandboxConfig(
        rate=setup.quota, burst=setup.burst, latency_ms=setup.latency_ms, seed=seed
    )
    with Sandbox(config, port=0) as sandbox:
        refuse_remote(sandbox.url)
        client_side = scenario(sandbox.url, rows, setup)
        counters = sandbox.counters()
        tokens = [task["ClientToken"] for task in sandbox.tasks()]
    wanted = {row.client_token for row in rows}
    duplicates = len(tokens) - len(set(tokens))
    missing = len(wanted - set(tokens))
    return Result(label, client_side, counters, duplicates, missing)


def checks(result: Result, rows: int) -> list[str]:
    """Correctness problems (no timing): each one makes the exit code 1."""
    problems = []
    counters = result.counters
    if result.duplicates or counters["replays"] or counters["mismatches"]:
        problems.append(
            f"{result.label}: {result.duplicates} duplicate tasks, {counters['replays']} "
            f"replays, {counters['mismatches']} mismatches (all should be 0)"
        )
    if result.client.created != counters["created"]:
        problems.append(
            f"{result.label}: the client saw {result.client.created} created, the sandbox "
            f"{counters['created']}"
        )
    accounted = result.client.created + result.client.failed + result.client.not_sent
    if accounted != rows:
        problems.append(f"{result.label}: {accounted} rows accounted for, not {rows}")
    others = counters["requests"] - counters["created"] - counters["throttled"]
    if others:
        problems.append(f"{result.label}: {others} calls neither created nor throttled")
    return problems


# --- printing -------------------------------------------------------------------------------

_COLUMNS = (
    ("scenario", "<", 26),
    ("created", ">", 7),
    ("failed", ">", 6),
    ("dup", ">", 3),
    ("elapsed s", ">", 9),
    ("tasks/s", ">", 7),
    ("/quota", ">", 6),
    ("calls", ">", 5),
    ("throttled", ">", 9),
    ("thr %", ">", 5),
    ("calls/task", ">", 10),
)


def _line(cells: list[str]) -> str:
    pairs = zip(cells, _COLUMNS, strict=True)
    return "  ".join(f"{cell:{align}{width}}" for cell, (_, align, width) in pairs)


def table(results: list[Result], quota: float) -> str:
    lines = [_line([name for name, _, _ in _COLUMNS])]
    lines.append(_line(["-" * width for _, _, width in _COLUMNS]))
    for result in results:
        failed = result.client.failed + result.client.not_sent
        lines.append(
            _line(
                [
                    result.label,
                    str(result.created),
                    str(failed),
                    str(result.duplicates),
                    f"{result.client.elapsed:.2f}",
                    f"{result.rate:.2f}",
                    f"{result.rate / quota:.3f}",
                    str(result.counters["requests"]),
                    str(result.counters["throttled"]),
                    f"{100 * result.throttled_share:.1f}",
                    f"{result.calls_per_task:.3f}",
                ]
            )
        )
    return "\n".join(lines)


def verdict(label: str, result: Result, quota: float, target: float) -> str:
    ratio = result.rate / quota
    return f"  {label}: {ratio:.3f} of the quota, target >= {target}: {met(ratio >= target)}"


def quota_section(args: argparse.Namespace, scratch: Path) -> list[str]:
    """Run the four scenarios and print their table; returns the correctness problems."""
    low, high = args.latency_ms
    retry_mode = botocore.session.get_session().get_config_variable("retry_mode")
    # A row takes rows/quota seconds at best; the deadline only guards against a hang.
    deadline_s = max(120.0, 4 * args.rows / args.quota)
    setup = Setup(
        quota=args.quota,
        burst=args.burst,
        rows=args.rows,
        latency_ms=(low, high),
        concurrency=args.concurrency,
        deadline_s=deadline_s,
        scratch=scratch,
    )
    over = OVER_FACTOR * args.quota
    scenarios: list[tuple[str, Scenario, str]] = [
        (f"ours, told {args.quota:g}/s", ours(args.quota), "ours-true"),
        (f"ours, told {over:g}/s ({OVER_FACTOR}x)", ours(over), "ours-over"),
        (f"boto3 loop ({retry_mode})", boto3_loop, "loop"),
        (f"boto3 adaptive, {args.concurrency} thr", boto3_adaptive, "adaptive"),
    ]
    print(
        f"== quota: {args.rows} rows per scenario; sandbox quota {args.quota:g}/s, "
        f"burst {args.burst}, latency {low:g}-{high:g} ms (seed {args.seed}), a fresh "
        f"sandbox per scenario; concurrency {args.concurrency} (ours and the adaptive "
        f"pool); default retry mode here: {retry_mode}",
        flush=True,
    )
    results = []
    for number, (label, scenario, prefix) in enumerate(scenarios, start=1):
        print(f"[{number}/{len(scenarios)}] {label} ...", file=sys.stderr, flush=True)
        results.append(measure(label, scenario, prefix, setup, args.seed))

    # The best any client can do on a fresh bucket: the burst at once, then the quota, plus
    # the last answer's latency.
    mean_latency = (low + high) / 2000
    best_span = max(0, args.rows - args.burst) / args.quota + mean_latency
    best = args.rows / best_span / args.quota
    print()
    print(table(results, args.quota))
    print()
    print(
        "tasks/s = tasks the sandbox created / elapsed; elapsed = from just before the first "
        "request\nto the last answer (the scenario's send phase; client and sandbox set-up "
        f"excluded). Best possible\n/quota on a fresh bucket here ~ {best:.3f} "
        f"({args.burst} burst tokens free, then {args.quota:g}/s, + mean latency)."
    )
    steady = (results[0].created - args.burst) / results[0].client.elapsed / args.quota
    print()
    print("targets:")
    print(verdict(f"ours told the quota ({args.quota:g}/s)", results[0], args.quota, TARGET_TRUE))
    print(verdict(f"ours told {OVER_FACTOR}x ({over:g}/s)", results[1], args.quota, TARGET_OVER))
    print(
        f"  ours told the quota, steady rate (created - burst) / elapsed: {steady:.3f} of the "
        f"quota, target >= {TARGET_TRUE}: {met(steady >= TARGET_TRUE)}"
    )
    print()
    print("same run, ratios of tasks/s:")
    for other in results[2:]:
        print(
            f"  ours (told quota) / {other.label}: {results[0].rate / other.rate:.2f}x"
            if other.rate
            else f"  {other.label}: created nothing"
        )
    print()
    print("notes:")
    for result in results:
        for note in result.client.notes:
            print(f"  {result.label}: {note}")
    return [problem for result in results for problem in checks(result, args.rows)]
