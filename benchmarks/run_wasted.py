"""bench_run.py's wasted-calls section: how many calls the service refuses before ours adapts.

Each scenario runs ours (Executor with a journal, as `task-importer run` does) against a
fresh sandbox in a process of its own, and reads the sandbox's counters: throttled calls as
a share of all calls when ours is told more than the quota, and the calls the active-task
quota refused from the first refusal to the run's stop. The steady rate is
(created - burst) / elapsed as a share of the quota: finding the quota must not cost speed.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from run_common import make_rows, met, refuse_remote, run_ours
from sandbox_process import sandbox_process

from importer.executor import ExecutorSettings
from importer.model import Status
from importer.sandbox import SandboxConfig

LATENCY_MS = (20.0, 60.0)
BURST = 5
TARGET_STEADY = 0.97
"""Steady rate / quota wanted when ours is told 4x the quota."""
NO_QUOTA = 1e9
ACTIVE_CAP = 20
"""Open tasks the active-task scenario's sandbox allows."""
QUOTA_PAUSE_S = 2.0
"""The active-task scenario's pause (the tool's default is 30 s; the refusals counted do not
depend on its length, only the time the scenario takes does)."""


@dataclass(frozen=True)
class Scenario:
    label: str
    quota: float
    """The sandbox's requests/s (NO_QUOTA: none)."""
    told: float
    rows: int
    limit: float
    """Throttled share of calls below which (or refused calls at most, ``active``) it is met."""
    active: bool = False


SCENARIOS = (
    Scenario("quota 20/s, told 80/s", 20.0, 80.0, 600, 0.02),
    Scenario("quota 2/s, told 8/s", 2.0, 8.0, 60, 0.05),
    Scenario("quota 2/s burst 5, told 50/s", 2.0, 50.0, 30, 0.10),
    Scenario(f"active-task cap {ACTIVE_CAP}, --rate 50", NO_QUOTA, 50.0, 60, 5, True),
)


def _run(scenario: Scenario, rows: int, scratch: Path, seed: int) -> tuple[str, list[str]]:
    """One scenario: its table line, whether its target is met, correctness problems."""
    config = SandboxConfig(
        rate=scenario.quota,
        burst=int(NO_QUOTA) if scenario.active else BURST,
        latency_ms=LATENCY_MS,
        seed=seed,
        active_task_cap=ACTIVE_CAP if scenario.active else None,
    )
    rate_for_c = scenario.told if scenario.active else scenario.quota
    concurrency = max(8, math.ceil(2 * rate_for_c * LATENCY_MS[1] / 1000))
    settings = ExecutorSettings(
        concurrency=concurrency,
        rate=scenario.told,
        burst=BURST,
        quota_pause_seconds=QUOTA_PAUSE_S,
    )
    batch = make_rows(rows, f"wasted-{len(scenario.label)}-{rows}-{scenario.told:g}")
    with sandbox_process(config) as sandbox:
        refuse_remote(sandbox.url)
        run = run_ours(sandbox.url, batch, settings, scratch / f"{id(batch)}.sqlite3", 600.0)
        counters, tokens = sandbox.counters()
    problems = []
    if len(tokens) != len(set(tokens)) or run.statuses[Status.CREATED] != counters["created"]:
        problems.append(f"wasted calls, {scenario.label}: duplicates or a miscount")
    calls = counters["requests"]
    if scenario.active:
        refused = counters["quota_exceeded"]
        ok = refused <= scenario.limit and run.report.stopped_early
        stopped = "stopped" if run.report.stopped_early else "did NOT stop"
        line = (
            f"  {scenario.label}, {rows} rows: {refused} calls refused, first refusal to the "
            f"stop (target <= {scenario.limit:g}; the run {stopped}): {met(ok)}"
        )
        return line, problems
    share = counters["throttled"] / calls if calls else 0.0
    ok = share < scenario.limit
    line = (
        f"  {scenario.label}, {rows} rows: {counters['throttled']} of {calls} calls throttled, "
        f"{100 * share:.1f}% (target < {100 * scenario.limit:g}%): {met(ok)}"
    )
    if scenario is SCENARIOS[0]:
        steady = (counters["created"] - BURST) / run.elapsed / scenario.quota
        line += (
            f"\n  {scenario.label}, {rows} rows: steady rate {steady:.3f} of the quota "
            f"(target >= {TARGET_STEADY}): {met(steady >= TARGET_STEADY)}"
        )
    line += f"  [limiter cut {run.cuts}x, ended at {run.report.final_rate:.1f}/s]"
    return line, problems


def wasted_section(args: argparse.Namespace, scratch: Path) -> list[str]:
    """Run each scenario once (rows divided by ``args.shrink``) and print its verdict."""
    print(
        f"== wasted calls: ours against a fresh sandbox per scenario (own process), latency "
        f"{LATENCY_MS[0]:g}-{LATENCY_MS[1]:g} ms, sandbox burst {BURST}",
        flush=True,
    )
    problems: list[str] = []
    for scenario in SCENARIOS:
        least = ACTIVE_CAP + 20 if scenario.active else 20
        rows = max(least, scenario.rows // args.shrink)
        print(f"  wasted: {scenario.label} ({rows} rows) ...", file=sys.stderr, flush=True)
        line, found = _run(scenario, rows, scratch, args.seed)
        print(line, flush=True)
        problems += found
    return problems
