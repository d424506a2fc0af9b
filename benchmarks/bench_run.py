"""How close to the request-rate quota does `task-importer run` create tasks?

Usage::

    python benchmarks/bench_run.py [--quota 20] [--rows 600] [--latency-ms 20 60]
                                   [--burst 5] [--concurrency N] [--seed 1]

Against the local Amazon Connect emulator (importer.sandbox, on 127.0.0.1 only, dummy
credentials), it creates the same number of tasks four ways, each on a FRESH sandbox so
no token bucket carries over from one scenario to the next:

  ours, told quota     Executor + journal, ExecutorSettings(rate=quota)
  ours, told 4x quota  Executor + journal, ExecutorSettings(rate=4 * quota)
  boto3 loop           one client, botocore's default retries (standard mode, 3 attempts),
                       one call at a time; a ThrottlingException that escapes botocore is
                       retried by the loop after a fixed 0.1 s sleep, up to 5 times per row
  boto3 adaptive       Config(retries={"mode": "adaptive", "max_attempts": 10}), one client
                       shared by a ThreadPoolExecutor as wide as our concurrency; a row whose
                       call still fails after botocore's 10 attempts counts as failed

It prints the achieved rate as a share of the quota, and throttled calls as a share of all
calls, every figure measured in this one run. The project's targets: >= 0.97 of the quota
when told the true quota, >= 0.9 when told 4x. Nothing here asserts on time: the exit code
is 1 only if a correctness check fails (a duplicate task, a row created but not reported).
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
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

from importer.aws import make_client, task_submitter
from importer.executor import Executor, ExecutorSettings
from importer.journal import Journal
from importer.model import Outcome, PreparedRow, SourceRow, Status
from importer.row_journal import TaskJournal
from importer.sandbox import Sandbox, SandboxConfig, defaults

REGION = defaults.REGION
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
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
_LOCAL_URL = "http://127.0.0.1:"

_AWS_ENV_REMOVED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_CONNECT",
    "AWS_RETRY_MODE",
    "AWS_MAX_ATTEMPTS",
    "AWS_CA_BUNDLE",
    *(f"{scheme}_proxy" for scheme in ("http", "https", "all", "HTTP", "HTTPS", "ALL")),
)


def isolate_from_aws(scratch: Path) -> None:
    """Dummy credentials, no AWS config files, no proxies: nothing can reach a real account.

    Every client is also given the sandbox's 127.0.0.1 endpoint explicitly.
    """
    for name in _AWS_ENV_REMOVED:
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1",
        }
    )


# --- rows ---------------------------------------------------------------------------------


def make_rows(n: int, prefix: str) -> list[PreparedRow]:
    """``n`` valid rows with distinct ClientTokens, built as tests/test_executor.py does."""
    rows = []
    for index in range(n):
        request = {
            "InstanceId": defaults.INSTANCE_ID,
            "ContactFlowId": defaults.CONTACT_FLOW_IDS[0],
            "Name": f"Bench task {index}",
            "Description": f"bench_run.py row {index}",
            "ClientToken": f"{prefix}-{index:05d}",
        }
        source = SourceRow(index + 2, {"Name": request["Name"]})
        rows.append(PreparedRow(source, request, request["ClientToken"]))
    return rows


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
        client = make_client(
            region=REGION,
            endpoint_url=url,
            concurrency=setup.concurrency,
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
        )
        settings = ExecutorSettings(
            concurrency=setup.concurrency, rate=told_rate, burst=setup.burst
        )
        statuses: Counter[Status] = Counter()

        def count(outcome: Outcome) -> None:
            statuses[outcome.status] += 1

        journal_path = setup.scratch / f"journal-told-{told_rate:g}.sqlite3"
        with Journal(journal_path) as journal:
            submit = task_submitter(client)
            executor = Executor(submit, TaskJournal(journal), settings, batch_id="bench")
            deadline = threading.Timer(
                setup.deadline_s, executor.request_stop, args=("benchmark deadline",)
            )
            deadline.daemon = True
            deadline.start()
            try:
                start = time.monotonic()
                report = executor.run(rows, count)
                elapsed = time.monotonic() - start
            finally:
                deadline.cancel()
        notes = [
            f"Executor counted {report.calls} calls, {report.throttles} throttled; "
            f"limiter cut its rate {executor.limiter.cuts} times, ended at "
            f"{report.final_rate:.1f}/s (ceiling {told_rate:g}/s)",
        ]
        if report.stopped_early:
            notes.append(f"stopped early: {report.stop_reason}")
        return ClientSide(
            created=statuses[Status.CREATED],
            failed=statuses[Status.FAILED],
            not_sent=statuses[Status.NOT_ATTEMPTED],
            elapsed=elapsed,
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
        if not sandbox.url.startswith(_LOCAL_URL):
            raise SystemExit(f"refusing a sandbox URL that is not local: {sandbox.url}")
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
    met = "met" if ratio >= target else "NOT met"
    return f"  {label}: {ratio:.3f} of the quota, target >= {target}: {met}"


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quota", type=float, default=20.0, help="sandbox requests/s (20)")
    parser.add_argument("--rows", type=int, default=600, help="tasks per scenario (600)")
    parser.add_argument(
        "--latency-ms",
        type=float,
        nargs=2,
        default=(20.0, 60.0),
        metavar=("MIN", "MAX"),
        help="sandbox answer delay, uniform in [MIN, MAX] ms (20 60)",
    )
    parser.add_argument(
        "--burst", type=int, default=5, help="sandbox bucket size, also told to ours (5)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="requests in flight, ours and the adaptive pool (max(8, 2 x quota x max latency))",
    )
    parser.add_argument("--seed", type=int, default=1, help="sandbox latency draws (1)")
    args = parser.parse_args(argv)
    if args.quota <= 0 or args.rows < 1 or args.burst < 1:
        parser.error("--quota, --rows and --burst must be positive")
    low, high = args.latency_ms
    if not 0 <= low <= high:
        parser.error("--latency-ms needs 0 <= MIN <= MAX")
    if args.concurrency is None:
        args.concurrency = max(8, math.ceil(2 * args.quota * high / 1000))
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    low, high = args.latency_ms
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch_dir:
        scratch = Path(scratch_dir)
        isolate_from_aws(scratch)
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
            f"bench_run: {args.rows} rows per scenario; sandbox quota {args.quota:g}/s, "
            f"burst {args.burst}, latency {low:g}-{high:g} ms (seed {args.seed}), a fresh "
            f"sandbox per scenario; concurrency {args.concurrency} (ours and the adaptive "
            f"pool)\npython {platform.python_version()}, botocore {botocore.__version__}, "
            f"{os.cpu_count()} CPUs; default retry mode here: {retry_mode}",
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
    print()
    print("targets:")
    print(verdict(f"ours told the quota ({args.quota:g}/s)", results[0], args.quota, TARGET_TRUE))
    print(verdict(f"ours told {OVER_FACTOR}x ({over:g}/s)", results[1], args.quota, TARGET_OVER))
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
    problems = [problem for result in results for problem in checks(result, args.rows)]
    print()
    if problems:
        print("CORRECTNESS CHECKS FAILED:")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(
        "checks: every scenario created each row exactly once or reported it failed; no "
        "duplicates,\nreplays or mismatches; every call was either created or throttled."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
