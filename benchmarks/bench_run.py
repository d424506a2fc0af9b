"""How fast and how economically does `task-importer run` create tasks?

Usage::

    python benchmarks/bench_run.py [--only quota,throughput,wasted] [--small]
                                   [--quota 20] [--rows 600] [--latency-ms 20 60]
                                   [--burst 5] [--concurrency N] [--seed 1]
                                   [--throughput-rows 3000] [--throughput-concurrency 40]
                                   [--repeat 1]

Against the local Amazon Connect emulator (importer.sandbox, on 127.0.0.1 only, dummy
credentials), three sections, each scenario on a FRESH sandbox:

  quota        at the request-rate quota: ours told the quota and told 4x, against a plain
               boto3 loop and botocore's adaptive mode (benchmarks/run_quota.py)
  throughput   no quota: ours against a plain boto3 thread pool at the same concurrency,
               at latency 0 and 20 ms: rows/s and CPU per row (benchmarks/run_throughput.py)
  wasted       calls the service refuses before ours adapts: throttles when told more than
               the quota, active-task refusals before the stop (benchmarks/run_wasted.py)

Each target is printed MET or MISSED, every figure measured in this one run. Nothing here
asserts on time: the exit code is 1 only if a correctness check fails (a duplicate task, a
row created but not reported). See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
from pathlib import Path

import botocore
from run_common import isolate_from_aws
from run_quota import quota_section
from run_throughput import throughput_section
from run_wasted import wasted_section

SECTIONS = {"quota": quota_section, "throughput": throughput_section, "wasted": wasted_section}
SMALL = 5
"""``--small`` divides every section's rows by this."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help="comma-separated sections to run: quota, throughput, wasted (all)",
    )
    parser.add_argument(
        "--small", action="store_true", help=f"every section's rows divided by {SMALL}"
    )
    parser.add_argument("--quota", type=float, default=20.0, help="sandbox requests/s (20)")
    parser.add_argument("--rows", type=int, default=600, help="tasks per quota scenario (600)")
    parser.add_argument(
        "--latency-ms",
        type=float,
        nargs=2,
        default=(20.0, 60.0),
        metavar=("MIN", "MAX"),
        help="quota section: sandbox answer delay, uniform in [MIN, MAX] ms (20 60)",
    )
    parser.add_argument(
        "--burst", type=int, default=5, help="sandbox bucket size, also told to ours (5)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="quota section: requests in flight (max(8, 2 x quota x max latency))",
    )
    parser.add_argument("--seed", type=int, default=1, help="sandbox latency draws (1)")
    parser.add_argument(
        "--throughput-rows", type=int, default=3000, help="throughput: rows per run (3000)"
    )
    parser.add_argument(
        "--throughput-concurrency",
        type=int,
        default=40,
        help="throughput: threads, ours and the pool (40)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="throughput: interleaved runs, median kept (1)"
    )
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.only if name not in SECTIONS]
    if unknown or not args.only:
        parser.error(f"--only takes {', '.join(SECTIONS)}, not {', '.join(unknown) or 'nothing'}")
    if args.quota <= 0 or args.rows < 1 or args.burst < 1 or args.throughput_rows < 1:
        parser.error("--quota, --rows, --throughput-rows and --burst must be positive")
    if args.repeat < 1 or args.throughput_concurrency < 1:
        parser.error("--repeat and --throughput-concurrency must be at least 1")
    low, high = args.latency_ms
    if not 0 <= low <= high:
        parser.error("--latency-ms needs 0 <= MIN <= MAX")
    if args.concurrency is None:
        args.concurrency = max(8, math.ceil(2 * args.quota * high / 1000))
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    args.shrink = SMALL if args.small else 1
    if args.small:
        args.rows = max(20, args.rows // SMALL)
        args.throughput_rows = max(20, args.throughput_rows // SMALL)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"bench_run: sections {', '.join(args.only)}; python {platform.python_version()}, "
        f"botocore {botocore.__version__}, {os.cpu_count()} CPUs",
        flush=True,
    )
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch_dir:
        scratch = Path(scratch_dir)
        isolate_from_aws(scratch)
        for name in args.only:
            print()
            problems += SECTIONS[name](args, scratch)
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
