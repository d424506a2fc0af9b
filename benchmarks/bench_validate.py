"""How fast is `task-importer validate` compared with a bare pandas read of the same file?

Usage::

    python benchmarks/bench_validate.py [--rows 100000] [--repeat 3] [--keep DIR] [--million]
    python benchmarks/bench_validate.py --profile [TOP]     # cProfile instead of timing

Generates an input file (CSV and xlsx, the same rows) and runs, each in a fresh process,
interleaved, with the order alternating from one round to the next:

  bare        pandas.read_excel(path, engine="calamine", dtype=str)        (xlsx)
              pandas.read_csv(path, dtype=str, keep_default_na=False)      (CSV)
  default     python -m importer validate FILE --instance-id ... --timezone UTC, fresh:
              no previous results, so the default results file (.xlsx for an xlsx input,
              .csv for a CSV) is written from nothing
  csv results the xlsx with --results x.csv, fresh
  re-validate the default command again with the previous results file present
  --million   a 1,000,000-row CSV, default command, fresh

Every figure is the median over the runs of the whole process (interpreter start-up and
imports included, for the bare read too) and its peak RSS (wait4's ru_maxrss of that child).
It ends by printing each target of issue 17 section 1 as MET or MISSED with its ratio.
Nothing here asserts. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

INSTANCE_ID = "a1b2c3d4-0000-4000-8000-000000000001"
TIMEZONE = "UTC"
MILLION = 1_000_000

BARE = {
    "xlsx": "import sys, pandas\npandas.read_excel(sys.argv[1], engine='calamine', dtype=str)\n",
    "csv": "import sys, pandas\npandas.read_csv(sys.argv[1], dtype=str, keep_default_na=False)\n",
}
STARTUP = {
    "python -c pass": "pass",
    "import importer.cli": "import importer.cli",
    "import importer.cli + limits()": "import importer.cli\n"
    "from importer.limits import limits\nlimits()\n",
    "import pandas": "import pandas",
}
"""Fixed start-up costs; pandas for what a column-wise validation in pandas would add."""

PROFILE = """
import cProfile, pstats, sys
from importer.cli import main
top = int(sys.argv[1])
profiler = cProfile.Profile()
profiler.runcall(main, sys.argv[2:])
stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
stats.sort_stats("tottime").print_stats(top)
stats.sort_stats("cumulative").print_stats(top)
"""


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float  # whole process, measured by this script (start-up included)
    maxrss_kb: int  # the child's ru_maxrss, from wait4


def run_child(argv: list[str], ok_codes: tuple[int, ...] = (0,)) -> Run:
    """Run one fresh process: its wall time and its own peak RSS (wait4 rusage).

    The parent stays small (standard library only; files are generated in a child), so the
    RSS a forked child inherits before exec never dominates ru_maxrss.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in ok_codes:
            out.seek(0)
            err.seek(0)
            raise RuntimeError(
                f"{argv} exited {code}:\n{out.read().decode()}\n{err.read().decode()}"
            )
    return Run(wall, usage.ru_maxrss)


@dataclass
class Series:
    """Repeated whole-process runs of one command: median time, median and highest RSS."""

    label: str
    walls: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)

    def add(self, run: Run) -> None:
        self.walls.append(run.wall)
        self.rss_kb.append(run.maxrss_kb)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def spread(self) -> float:
        """Worst over best time, minus one: how noisy this measurement was."""
        return max(self.walls) / min(self.walls) - 1

    @property
    def rss_mib(self) -> float:
        return statistics.median(self.rss_kb) / 1024

    @property
    def peak_mib(self) -> float:
        return max(self.rss_kb) / 1024


def validate_argv(path: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "importer",
        "validate",
        str(path),
        "--instance-id",
        INSTANCE_ID,
        "--timezone",
        TIMEZONE,
        *extra,
    ]


def fresh(path: Path, results: Path, *extra: str) -> Callable[[], Run]:
    """Validate with no previous results file: it is deleted before each run."""

    def step() -> Run:
        results.unlink(missing_ok=True)
        return run_child(validate_argv(path, *extra), ok_codes=(0, 1))  # 1: invalid rows

    return step


def again(path: Path) -> Callable[[], Run]:
    """Validate a copy of ``path`` whose previous results file stays (written once first)."""
    copy = path.parent / "again" / path.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, copy)
    run_child(validate_argv(copy), ok_codes=(0, 1))
    return lambda: run_child(validate_argv(copy), ok_codes=(0, 1))


def default_results(path: Path) -> Path:
    suffix = ".xlsx" if path.suffix == ".xlsx" else ".csv"
    return path.with_name(f"{path.stem}.results{suffix}")


def measure(files: dict[str, Path], repeat: int) -> dict[str, Series]:
    """Every measurement, ``repeat`` rounds, interleaved."""
    python = sys.executable
    xlsx, csv = files["xlsx"], files["csv"]
    steps: dict[str, tuple[str, Callable[[], Run]]] = {
        "xlsx bare": (
            "xlsx: pandas.read_excel(calamine, dtype=str)",
            lambda: run_child([python, "-c", BARE["xlsx"], str(xlsx)]),
        ),
        "xlsx default": (
            "xlsx: validate, .xlsx results, fresh",
            fresh(xlsx, default_results(xlsx)),
        ),
        "xlsx csv": (
            "xlsx: validate --results x.csv, fresh",
            fresh(xlsx, xlsx.parent / "x.csv", "--results", str(xlsx.parent / "x.csv")),
        ),
        "xlsx again": ("xlsx: re-validate, .xlsx results present", again(xlsx)),
        "csv bare": (
            "csv:  pandas.read_csv(dtype=str)",
            lambda: run_child([python, "-c", BARE["csv"], str(csv)]),
        ),
        "csv default": ("csv:  validate, .csv results, fresh", fresh(csv, default_results(csv))),
        "csv again": ("csv:  re-validate, .csv results present", again(csv)),
    }
    for name, code in STARTUP.items():
        steps[name] = (name, lambda code=code: run_child([python, "-c", code]))
    series = {key: Series(label) for key, (label, _) in steps.items()}
    order = list(steps)
    for index in range(repeat):
        # Interleave, and alternate the order so a noisy neighbour doesn't favour one side.
        for key in order if index % 2 == 0 else reversed(order):
            series[key].add(steps[key][1]())
    return series


def measure_million(directory: Path, runs: int) -> Series:
    """Validate a 1,000,000-row CSV, fresh, ``runs`` times."""
    csv = directory / "tasks.csv"
    series = Series("csv:  1,000,000 rows, validate, fresh")
    step = fresh(csv, default_results(csv))
    for _ in range(runs):
        series.add(step())
    return series


# --- report ------------------------------------------------------------------------------------


def print_table(rows: int, repeat: int, series: dict[str, Series]) -> None:
    print(
        f"validate vs bare pandas read: {rows:,} rows, median of {repeat} interleaved "
        f"whole-process runs, python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    header = f"{'measurement':<44} {'median s':>9} {'rows/s':>9} {'spread':>7} {'MiB':>7}"
    print(header + f" {'max MiB':>8}")
    print("-" * (len(header) + 9))
    for key, item in series.items():
        print(row_line(item, rows if key[:3] in ("xls", "csv") else 0))


def row_line(item: Series, rows: int) -> str:
    """One line of the table (rows/s left blank when ``rows`` is 0)."""
    rate = f"{rows / item.median:>9,.0f}" if rows else " " * 9
    figures = f"{item.spread:>7.0%} {item.rss_mib:>7.1f} {item.peak_mib:>8.1f}"
    return f"{item.label:<44} {item.median:>9.2f} {rate} {figures}"


@dataclass
class Target:
    what: str
    ratio: float
    limit: float
    detail: str

    shown: str = ""
    """The figure as printed, when it is not a ratio (the million-row seconds and MiB)."""

    def line(self) -> str:
        verdict = "MET" if self.ratio <= self.limit else "MISSED"
        figure = self.shown or f"{self.ratio:.2f}x (target <= {self.limit:g}x)"
        return f"  {verdict:<7} {self.what}: {figure}; {self.detail}"


RSS_SLACK = 1.05
"""Re-validating may use this much more memory than a fresh validate and still count as no
extra memory (runs differ by a few MiB)."""


def targets(series: dict[str, Series], million: Series | None) -> list[Target]:
    def ratio(key: str, bare: str, limit: float, what: str) -> Target:
        ours, base = series[key], series[bare]
        detail = f"{ours.median:.2f} s / {base.median:.2f} s"
        return Target(what, ours.median / base.median, limit, detail)

    found = [
        ratio("xlsx default", "xlsx bare", 3.0, "xlsx, default .xlsx results, fresh / read_excel"),
        ratio("xlsx csv", "xlsx bare", 1.5, "xlsx with --results x.csv, fresh / read_excel"),
        ratio("csv default", "csv bare", 2.0, "csv, fresh / read_csv"),
    ]
    for kind in ("xlsx", "csv"):
        ours, base = series[f"{kind} again"], series[f"{kind} default"]
        detail = (
            f"peak RSS {ours.rss_mib:.1f} MiB / {base.rss_mib:.1f} MiB fresh; "
            f"time {ours.median - base.median:+.2f} s"
        )
        found.append(
            Target(
                f"re-validate {kind}, previous results present: memory",
                ours.rss_mib / base.rss_mib,
                RSS_SLACK,
                detail,
            )
        )
    if million is not None:
        seconds, mib = million.median, million.peak_mib
        runs = f"median of {len(million.walls)} run(s)"
        shown = f"{seconds:.1f} s (target <= 15 s)"
        found.append(Target("1,000,000-row CSV: time", seconds / 15, 1.0, runs, shown))
        shown = f"{mib:.0f} MiB peak RSS (target <= 200 MiB)"
        found.append(Target("1,000,000-row CSV: memory", mib / 200, 1.0, runs, shown))
    return found


def profile(files: dict[str, Path], top: int) -> None:
    """cProfile `validate` on each file, default results, fresh (profiling overhead: no times)."""
    for name, path in files.items():
        default_results(path).unlink(missing_ok=True)
        argv = [sys.executable, "-c", PROFILE, str(top), *validate_argv(path)[3:]]
        with tempfile.TemporaryFile() as out:
            subprocess.run(argv, stdout=out, stderr=subprocess.DEVNULL, check=False)
            out.seek(0)
            print(f"=== cProfile of validate {name}, default results, fresh (top {top}) ===")
            print(out.read().decode().rstrip())
            print()


# --- the input file ----------------------------------------------------------------------------

COLUMNS = [
    "InstanceId",
    "Name",
    "Description",
    "ContactFlowId",
    "ScheduledTime",
    "Attributes.customer_id",
    "Attributes.order_total",
    "References.URL.order",
    "Notes",
]
_FIRST = ["Aisha", "Ben", "Carla", "Dmitri", "Élodie", "Farah", "Gustavo", "Hana", "Ines", "Jürgen"]
_LAST = ["Okafor", "Schmidt", "Rossi", "Ivanov", "Dubois", "Khan", "Pérez", "Sato", "Lima", "Nowak"]
_TOPICS = [
    ("Callback", "Customer asked for a call back about order {order}"),
    ("Refund", "Refund request for order {order} needs approval"),
    ("Delivery", "Parcel for order {order} reported missing; check with the courier"),
    ("Address change", "Update delivery address on order {order}"),
    ("Complaint", "Customer unhappy with order {order} — escalate if needed"),
]
_NOTES = [
    "",
    "",
    "",
    "Prefers mornings",
    "VIP customer",
    'Said "call after 5pm", not before',
    "Spoke to Ana, then Ben; waiting, again",
    "Line one\nline two of the note",
    "=SUM(A1:A2) pasted by mistake",
    "Café order — paid by card",
]
_FLOWS = [f"f10f10f{n}-0000-4000-8000-00000000000{n}" for n in range(1, 4)]


def _rows(rows: int, seed: int = 7) -> Iterator[tuple[list[str], list[object]]]:
    """Each row as CSV text and as xlsx cell values (about 1% invalid)."""
    import datetime as dt
    import random

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for index in range(rows):
        order = 10_000 + index
        topic, description = _TOPICS[index % len(_TOPICS)]
        name = f"{topic}: {rng.choice(_FIRST)} {rng.choice(_LAST)}"
        if rng.random() < 0.005:
            name = ""  # invalid: Name is required
        url = f"https://orders.example.com/{order}"
        if rng.random() < 0.005:
            url = f"orders.example.com/{order}"  # invalid: not an http(s) URL
        # Between 2 hours and 5 days ahead, so the rows stay valid while the benchmark runs.
        moment = now + dt.timedelta(seconds=rng.randrange(2 * 3600, 5 * 86_400))
        moment = moment.replace(second=0)
        kind = rng.random()
        if kind < 0.4:
            csv_time, xlsx_time = "", None
        elif kind < 0.7:
            offset = dt.timezone(dt.timedelta(hours=rng.choice((-5, 0, 1, 2, 5.5))))
            csv_time = xlsx_time = moment.astimezone(offset).isoformat()
        else:
            naive = moment.replace(tzinfo=None)  # read in --timezone UTC
            csv_time = naive.strftime("%Y-%m-%d %H:%M")
            xlsx_time = naive if kind < 0.85 else csv_time  # a real date cell or typed text
        customer = f"{rng.randrange(1, 1_000_000):07d}"  # leading zeros must survive
        total = round(rng.uniform(5, 2_000), 2) if rng.random() < 0.8 else rng.randrange(5, 500)
        note = rng.choice(_NOTES)
        common = [INSTANCE_ID, name, description.format(order=order), rng.choice(_FLOWS)]
        yield (
            [*common, csv_time, customer, str(total), url, note],
            [*common, xlsx_time, customer, total, url, note or None],
        )


def generate(directory: Path, rows: int, xlsx: bool) -> None:
    """Write tasks.csv (and tasks.xlsx) with the same rows, streaming (runs in a child)."""
    import csv

    directory.mkdir(parents=True, exist_ok=True)
    if xlsx:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Tasks")
        sheet.append(COLUMNS)
    with (directory / "tasks.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for csv_row, xlsx_row in _rows(rows):
            writer.writerow(csv_row)
            if not xlsx:
                continue
            if isinstance(xlsx_row[-1], str) and xlsx_row[-1].startswith("="):
                # Typed text, not a formula (openpyxl would write "=..." as a formula).
                cell = WriteOnlyCell(sheet, value=xlsx_row[-1])
                cell.data_type = "s"
                xlsx_row[-1] = cell
            sheet.append(xlsx_row)
    if xlsx:
        workbook.save(directory / "tasks.xlsx")


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--keep", metavar="DIR", help="write the files here and keep them")
    parser.add_argument(
        "--million",
        nargs="?",
        type=int,
        const=1,
        default=0,
        metavar="RUNS",
        help="also validate a 1,000,000-row CSV RUNS times (default 1), after the rest: the "
        "time and memory targets (about a minute per run on 2 cores)",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        type=int,
        const=15,
        metavar="TOP",
        help="instead of timing, cProfile validate on each format and print the top TOP "
        "functions by own time and by cumulative time (default 15)",
    )
    parser.add_argument("--generate-only", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("--csv-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.generate_only:  # the child that writes the files (keeps the parent's RSS small)
        generate(Path(args.generate_only), args.rows, xlsx=not args.csv_only)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-validate-") as temp:
        directory = Path(args.keep) if args.keep else Path(temp)
        script = str(Path(__file__).resolve())
        start = time.perf_counter()
        run_child(
            [sys.executable, script, "--rows", str(args.rows), "--generate-only", str(directory)]
        )
        files = {"xlsx": directory / "tasks.xlsx", "csv": directory / "tasks.csv"}
        print(f"generated {args.rows:,} rows in {time.perf_counter() - start:.0f} s: {directory}")
        if args.profile:
            profile(files, args.profile)
            return 0
        million = None
        if args.million:
            big = directory / "million"
            argv = [sys.executable, script, "--rows", str(MILLION), "--csv-only"]
            run_child([*argv, "--generate-only", str(big)])
        series = measure(files, args.repeat)
        if args.million:
            million = measure_million(big, args.million)
        print()
        print_table(args.rows, args.repeat, series)
        if million is not None:
            print(row_line(million, MILLION))
        print()
        print("targets (issue 17, section 1; ratios of medians measured in this run):")
        for target in targets(series, million):
            print(target.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
