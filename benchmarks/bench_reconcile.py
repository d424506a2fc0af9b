"""How long does reconciling a batch take before it is sent, against the journal lookups the
executor already makes (one per row)?

Usage::

    python benchmarks/bench_reconcile.py [--rows 100000] [--repeat 3]

Builds a journal in a temporary folder and times, best of ``--repeat``:

  lookups     journal.lookup(token) for every row (what the executor does before sending)
  first run   reconcile() of a batch the journal has never seen
  re-run      reconcile() of the same batch once every row was created, 1% of rows edited

and prints each time, its ratio to the lookups and the peak RSS. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from importer.journal import Journal, request_digest
from importer.model import PreparedRow, SourceRow
from importer.reconcile import reconcile

BATCH = "tasks.csv"


def make_rows(count: int, edited_every: int = 0) -> list[PreparedRow]:
    rows = []
    for number in range(2, count + 2):
        name = f"Task {number}"
        if edited_every and number % edited_every == 0:
            name += " (edited)"
        token = f"cti1-{number:040d}" if name == f"Task {number}" else f"cti1-e{number:039d}"
        request = {"Name": name, "InstanceId": "i", "ContactFlowId": "f", "ClientToken": token}
        rows.append(PreparedRow(SourceRow(number, {"Name": name}), request, token))
    return rows


def fill(path: Path, rows: list[PreparedRow]) -> None:
    """Journal every row as created, in one transaction (filling is not what is measured)."""
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO tasks (client_token, status, contact_id, batch_id, row_number, "
            "request_sha256, run_id, first_sent_at, updated_at) "
            "VALUES (?, 'created', 'c', ?, ?, ?, 1, 'then', 'then')",
            [(r.client_token, BATCH, r.number, request_digest(r.request or {})) for r in rows],
        )
    db.close()


def best(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    rows = make_rows(options.rows)
    with tempfile.TemporaryDirectory() as folder, Journal(Path(folder) / "j.sqlite3") as journal:
        journal.start_run({"command": "run"})
        first = best(options.repeat, lambda: reconcile(journal, BATCH, rows))
        fill(Path(folder) / "j.sqlite3", rows)
        lookups = best(options.repeat, lambda: [journal.lookup(r.client_token) for r in rows])
        edited = make_rows(options.rows, edited_every=100)
        plan = reconcile(journal, BATCH, edited)
        rerun = best(options.repeat, lambda: reconcile(journal, BATCH, edited))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{options.rows:,} rows, best of {options.repeat}")
    print(f"  lookups    {lookups:7.3f} s")
    print(f"  first run  {first:7.3f} s  ({first / lookups:.2f}x the lookups)")
    print(f"  re-run     {rerun:7.3f} s  ({rerun / lookups:.2f}x the lookups)")
    print(f"  edited rows found: {len(plan.edited):,}; peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
