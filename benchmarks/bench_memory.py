"""How much memory does `run` take on a large CSV, and how fast is a re-run of created rows?

Usage::

    python benchmarks/bench_memory.py                  # 100,000 rows
    python benchmarks/bench_memory.py --rows 1000000   # the 1,000,000-row target itself
    python benchmarks/bench_memory.py --rows 20000 --keep /tmp/bench-memory

Each measurement is a fresh ``python -m importer`` process against a local sandbox (its own
child process, 127.0.0.1, a quota far above what the tool reaches), with dummy credentials:

  run          run FILE: every row created (a fresh journal)
  dry-run      run FILE --dry-run, before the run (every row would be sent)
  re-run       run FILE again: every row already created, no API call
  bare read    pandas.read_csv(FILE, dtype=str) in a fresh process (the csv module without
               pandas), timed inside it

and prints each figure with MET or MISSED against the targets of issue 17: peak RSS under
400 MB (10^6 bytes) for run and dry-run at 1,000,000 rows, and a re-run of 100,000 created
rows in 4 s or less. Peak RSS is each child's own (``os.wait4``; psutil's peak where there is
no ``wait4``, else not measured). A small run of ``--base-rows`` gives the fixed cost, so
the MB per row and the 1,000,000-row figure extrapolated from them are printed too. The exit
code is 1 only if a run failed or a re-run made API calls, whatever the targets.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from run_common import AWS_ENV_REMOVED

from importer.sandbox import defaults

MILLION = 1_000_000
RSS_TARGET_MB = 400.0
RERUN_TARGET_S = 4.0
"""Seconds for a re-run of RERUN_TARGET_ROWS created rows."""
RERUN_TARGET_ROWS = 100_000
SANDBOX_RATE = 100_000.0
SANDBOX_BURST = 10_000

_SANDBOX_CHILD = """
import json, sys
from importer.sandbox import Sandbox, SandboxConfig
with Sandbox(SandboxConfig(rate={rate}, burst={burst}), port=0) as sandbox:
    print(sandbox.url, flush=True)
    for line in sys.stdin:
        print(json.dumps(sandbox.counters()), flush=True)
"""

_BARE_READ = """
import sys, time
path = sys.argv[1]
try:
    import pandas
except ImportError:
    import csv
    start = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    print(time.perf_counter() - start, "csv")
else:
    start = time.perf_counter()
    frame = pandas.read_csv(path, dtype=str, keep_default_na=False)
    print(time.perf_counter() - start, "pandas")
"""


def isolate_from_aws(scratch: Path) -> dict[str, str]:
    """An environment with dummy credentials, no AWS config files and no proxies."""
    env = {k: v for k, v in os.environ.items() if k not in AWS_ENV_REMOVED}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": defaults.REGION,
            "AWS_REGION": defaults.REGION,
            "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1",
        }
    )
    return env


def write_csv(path: Path, rows: int) -> None:
    """``rows`` valid task rows (about 200 bytes each), every one a distinct task."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["Name", "Description", "Attributes.customer_id", "References.URL.order", "Notes"]
        )
        for number in range(rows):
            writer.writerow(
                [
                    f"Call back customer {number}",
                    f"Order {number:08d} arrived damaged; the customer asked for a call back.",
                    f"{number:010d}",
                    f"https://example.com/orders/{number}",
                    'kept as typed, "quoted", 0042' if number % 7 == 0 else "",
                ]
            )


@dataclass
class Measured:
    seconds: float
    peak_mb: float | None
    code: int
    stdout: str
    stderr: str


def measure(argv: list[str], env: dict[str, str]) -> Measured:
    """Run one child to its end: wall time, its own peak RSS, exit code, output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - start
            code = os.waitstatus_to_exitcode(status)
            process.returncode = code
            scale = 1 if sys.platform == "darwin" else 1024  # macOS: bytes, else KiB
            peak: float | None = usage.ru_maxrss * scale / 1e6
        else:
            peak = _poll_peak(process)
            code = process.wait()
            seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return Measured(seconds, peak, code, out.read().decode(), err.read().decode())


def _poll_peak(process: subprocess.Popen[bytes]) -> float | None:
    """The child's peak memory from psutil (Windows' peak working set), or None."""
    try:
        import psutil
    except ImportError:
        return None
    peak = 0
    try:
        child = psutil.Process(process.pid)
        while process.poll() is None:
            info = child.memory_info()
            peak = max(peak, getattr(info, "peak_wset", 0) or info.rss)
            time.sleep(0.05)
    except psutil.Error:
        pass
    return peak / 1e6 if peak else None


class SandboxChild:
    """A sandbox server in a child process, so its memory is not the tool's."""

    def __init__(self, env: dict[str, str]) -> None:
        code = _SANDBOX_CHILD.format(rate=SANDBOX_RATE, burst=SANDBOX_BURST)
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.close()
            raise SystemExit(f"refusing a sandbox URL that is not local: {self.url!r}")

    def counters(self) -> dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("counters\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        timer = threading.Timer(10, self.process.kill)
        timer.start()
        self.process.wait()
        timer.cancel()


def importer_run(url: str, csv_path: Path, journal: Path, results: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "importer",
        "run",
        str(csv_path),
        "--endpoint-url",
        url,
        "--instance-id",
        defaults.INSTANCE_ID,
        "--contact-flow-id",
        defaults.CONTACT_FLOW_IDS[0],
        "--timezone",
        "UTC",
        "--journal",
        str(journal),
        "--results",
        str(results),
        "--rate",
        str(SANDBOX_RATE / 10),
        "--burst",
        "1000",
        "--concurrency",
        "32",
        "--no-progress",
        *extra,
    ]


def _mb(value: float | None) -> str:
    return "not measured" if value is None else f"{value:,.0f} MB"


def verdict(ok: bool | None) -> str:
    return "n/a   " if ok is None else ("MET   " if ok else "MISSED")


@dataclass
class Pair:
    """A figure at ``--rows`` and at ``--base-rows``: MB a row, and 1,000,000 rows from it."""

    rows: int
    base_rows: int
    peak: float | None
    base: float | None

    @property
    def per_row(self) -> float | None:
        if self.peak is None or self.base is None or self.rows <= self.base_rows:
            return None
        return (self.peak - self.base) / (self.rows - self.base_rows)

    @property
    def at_million(self) -> float | None:
        if self.rows == MILLION:
            return self.peak
        per_row = self.per_row
        if per_row is None or self.base is None:
            return None
        return self.base + per_row * (MILLION - self.base_rows)

    def line(self, label: str) -> str:
        million = self.at_million
        ok = None if million is None else million < RSS_TARGET_MB
        how = "measured" if self.rows == MILLION else "extrapolated"
        per_row = self.per_row
        per_kb = "" if per_row is None else f", {per_row * 1000:.2f} KB a row"
        return (
            f"  {verdict(ok)} {label:<8} peak RSS {_mb(self.peak)} at {self.rows:,} rows "
            f"({_mb(self.base)} at {self.base_rows:,}{per_kb}); at 1,000,000 rows "
            f"{_mb(million)} ({how}), target < {RSS_TARGET_MB:.0f} MB"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the CSV (100000)")
    parser.add_argument("--base-rows", type=int, default=1_000, help="rows of the small run (1000)")
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = options.keep or Path(scratch_name)
        scratch.mkdir(parents=True, exist_ok=True)
        return bench(options.rows, options.base_rows, scratch)


def bench(rows: int, base_rows: int, scratch: Path) -> int:
    env = isolate_from_aws(scratch)
    big, small = scratch / "tasks.csv", scratch / "small.csv"
    write_csv(big, rows)
    write_csv(small, base_rows)
    problems: list[str] = []
    sandbox = SandboxChild(env)
    try:

        def run(name: str, csv_path: Path, *extra: str) -> Measured:
            argv = importer_run(
                sandbox.url,
                csv_path,
                scratch / f"{name}.sqlite3",
                scratch / f"{name}.results.csv",
                *extra,
            )
            measured = measure(argv, env)
            if measured.code != 0:
                problems.append(f"{name} exited {measured.code}: {measured.stderr[-2000:]}")
            return measured

        dry_small = run("small", small, "--dry-run")
        run_small = run("small", small)
        dry = run("big", big, "--dry-run")
        before = sandbox.counters()
        first = run("big", big)
        created = sandbox.counters()
        rerun = run("big", big)
        after = sandbox.counters()
    finally:
        sandbox.close()
    bare = measure([sys.executable, "-c", _BARE_READ, str(big)], env)
    bare_seconds, reader = bare.stdout.split()
    new_calls = after["requests"] - created["requests"]
    made = created["created"] - before["created"]
    if made != rows:
        problems.append(f"the run created {made:,} tasks of {rows:,} rows")
    if new_calls:
        problems.append(f"the re-run made {new_calls:,} API calls (expected none)")
    lines = sum(1 for _ in (scratch / "big.results.csv").open(encoding="utf-8")) - 1
    if lines < rows:
        problems.append(f"the re-run's results file has {lines:,} lines of {rows:,}")

    target = RERUN_TARGET_S * rows / RERUN_TARGET_ROWS
    ratio = rerun.seconds / float(bare_seconds)
    print(f"{rows:,}-row CSV ({big.stat().st_size / 1e6:.0f} MB), sandbox in a child process")
    print(f"  run: {first.seconds:.1f} s, {rows / first.seconds:,.0f} rows/s")
    print(Pair(rows, base_rows, first.peak_mb, run_small.peak_mb).line("run"))
    print(Pair(rows, base_rows, dry.peak_mb, dry_small.peak_mb).line("dry-run"))
    print(
        f"  {verdict(rerun.seconds <= target)} re-run   {rerun.seconds:.2f} s for {rows:,} "
        f"created rows ({new_calls} API calls), target <= {target:.1f} s; "
        f"{ratio:.1f}x a bare read ({float(bare_seconds):.3f} s, {reader}); "
        f"peak RSS {_mb(rerun.peak_mb)}"
    )
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
