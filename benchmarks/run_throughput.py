"""bench_run.py's throughput section: ours against a plain boto3 thread pool, no quota.

When an account's quota is raised far enough, the client is the ceiling. Both clients send
the same number of rows at the same concurrency to a sandbox with no rate quota, run in a
process of its own (so its CPU and GIL are not the client's): ours (Executor, journal, rate
limiter, told a rate far above what it reaches) and a ThreadPoolExecutor of as many threads
sharing one boto3 client (botocore's default configuration), one call per row and nothing
else. Targets: ours reaches >= 0.85
of the pool's rows/s, and spends <= 1.5x its CPU time per row (this process's CPU, all
threads, during the send phase), at each latency.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.exceptions as bce
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
from sandbox_process import sandbox_process

from importer.executor import ExecutorSettings
from importer.model import PreparedRow, Status
from importer.sandbox import SandboxConfig

TARGET_RATE = 0.85
"""Ours ÷ pool rows/s wanted."""
TARGET_CPU = 1.5
"""Ours ÷ pool CPU seconds per row wanted (at most)."""
NO_QUOTA = 1e9
"""The sandbox's rate and burst: no request is ever throttled."""
TOLD_RATE = 1e6
"""The rate ours is told: far above anything it reaches."""
LATENCIES_MS = (0.0, 20.0)

Client = Callable[[str, list[PreparedRow], int, Path], tuple[int, float, float]]
"""Sends rows to a URL at a concurrency (scratch dir last); returns (created, seconds, CPU)."""


@dataclass
class Sent:
    """One client's send phase: rows created (by the sandbox's count), seconds, CPU seconds."""

    created: int
    elapsed: float
    cpu: float
    problems: list[str]

    @property
    def rate(self) -> float:
        return self.created / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def cpu_per_row(self) -> float:
        return self.cpu / self.created if self.created else float("inf")


def _ours(
    url: str, rows: list[PreparedRow], concurrency: int, scratch: Path
) -> tuple[int, float, float]:
    settings = ExecutorSettings(concurrency=concurrency, rate=TOLD_RATE, burst=5)
    journal = scratch / f"throughput-{time.monotonic_ns()}.sqlite3"
    run = run_ours(url, rows, settings, journal, deadline_s=600.0)
    return run.statuses[Status.CREATED], run.elapsed, run.cpu


def _pool(
    url: str, rows: list[PreparedRow], concurrency: int, _scratch: Path
) -> tuple[int, float, float]:
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        max_pool_connections=concurrency,
    )
    client = boto3.session.Session(region_name=REGION).client(
        "connect", endpoint_url=url, config=config
    )

    def send(row: PreparedRow) -> bool:
        assert row.request is not None
        try:
            client.start_task_contact(**row.request)
        except (bce.ClientError, bce.BotoCoreError):
            return False
        return True

    cpu = time.process_time()
    start = time.monotonic()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="pool") as pool:
        created = Counter(pool.map(send, rows))[True]
    return created, time.monotonic() - start, time.process_time() - cpu


def _measure(
    client: Client, label: str, latency_ms: float, rows: int, concurrency: int, scratch: Path
) -> Sent:
    prefix = f"{label}-{latency_ms:g}-{time.monotonic_ns()}"
    batch = make_rows(rows, prefix)
    config = SandboxConfig(rate=NO_QUOTA, burst=int(NO_QUOTA), latency_ms=(latency_ms, latency_ms))
    with sandbox_process(config) as sandbox:
        refuse_remote(sandbox.url)
        created, elapsed, cpu = client(sandbox.url, batch, concurrency, scratch)
        counters, tokens = sandbox.counters()
    problems = []
    if created != counters["created"] or counters["created"] != rows:
        problems.append(
            f"throughput {label} at {latency_ms:g} ms: the client saw {created} created, the "
            f"sandbox {counters['created']}, of {rows} rows"
        )
    if len(tokens) != len(set(tokens)):
        problems.append(f"throughput {label} at {latency_ms:g} ms: duplicate tasks")
    return Sent(counters["created"], elapsed, cpu, problems)


def throughput_section(args: argparse.Namespace, scratch: Path) -> list[str]:
    """Ours vs the pool at each latency (median of ``--repeat`` interleaved runs each)."""
    rows, concurrency, repeat = args.throughput_rows, args.throughput_concurrency, args.repeat
    print(
        f"== throughput: {rows} rows, concurrency {concurrency}, sandbox without a quota in "
        f"its own process; median of {repeat} interleaved run(s) per client",
        flush=True,
    )
    print(f"{'latency':>7}  {'client':<6}  {'rows/s':>8}  {'CPU ms/row':>10}")
    problems: list[str] = []
    verdicts = []
    for latency in LATENCIES_MS:
        runs: dict[str, list[Sent]] = {"ours": [], "pool": []}
        for round_ in range(repeat):
            order = [("ours", _ours), ("pool", _pool)]
            for label, client in order if round_ % 2 == 0 else order[::-1]:
                print(f"  throughput {label} at {latency:g} ms ...", file=sys.stderr, flush=True)
                sent = _measure(client, label, latency, rows, concurrency, scratch)
                problems += sent.problems
                runs[label].append(sent)
        rate = {k: statistics.median(s.rate for s in v) for k, v in runs.items()}
        cpu = {k: statistics.median(s.cpu_per_row for s in v) for k, v in runs.items()}
        for label in runs:
            print(f"{latency:>5g}ms  {label:<6}  {rate[label]:>8.1f}  {1000 * cpu[label]:>10.3f}")
        rate_ratio, cpu_ratio = rate["ours"] / rate["pool"], cpu["ours"] / cpu["pool"]
        verdicts.append(
            f"  latency {latency:g} ms: ours / pool rows/s {rate_ratio:.2f} (target >= "
            f"{TARGET_RATE}): {met(rate_ratio >= TARGET_RATE)}; CPU per row ours / pool "
            f"{cpu_ratio:.2f}x (target <= {TARGET_CPU}x): {met(cpu_ratio <= TARGET_CPU)}"
        )
    print("targets:")
    print("\n".join(verdicts))
    return problems
