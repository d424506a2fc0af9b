"""How fast is `task-importer validate` compared with a bare pandas read of the same file?

Usage::

    python benchmarks/bench_validate.py [--rows 100000] [--repeat 3] [--keep DIR] [--profile [TOP]]

Generates a realistic input file (CSV and xlsx) and times, each in a fresh subprocess:

  bare     pandas.read_csv(path, dtype=str, keep_default_na=False)   (CSV)
           pandas.read_excel(path, engine="calamine")                 (xlsx)
  library  what `validate` runs: open_batch + every row + ResultsWriter (results CSV)
  CLI      python -m importer validate FILE --instance-id ... --results OUT, end to end

It prints ratios (ours / bare, measured in this run), rows/s and peak RSS. The project's
target is validate within 2x of the bare read. Nothing here asserts: it only prints figures.
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

INSTANCE_ID = "a1b2c3d4-0000-4000-8000-000000000001"
TIMEZONE = "UTC"
TARGET = 2.0
MARK = "BENCH-RESULT "

# --- child programs (each runs in a fresh interpreter) ----------------------------------------
# The clock starts after the imports: interpreter + import start-up is reported separately.
# Peak RSS is the child's own VmHWM (/proc/self/status), imports included.

_REPORT = """
def _report(seconds, **extra):
    import json
    hwm = 0
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    print("BENCH-RESULT " + json.dumps({"seconds": seconds, "hwm_kb": hwm, **extra}))
"""

BARE_CSV = (
    _REPORT
    + """
import sys, time
import pandas as pd
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
_report(time.perf_counter() - start, rows=len(frame))
"""
)

BARE_XLSX = (
    _REPORT
    + """
import sys, time
import pandas as pd
import python_calamine
start = time.perf_counter()
frame = pd.read_excel(sys.argv[1], engine="calamine")
_report(time.perf_counter() - start, rows=len(frame))
"""
)

# Mirrors importer/cli/validate.py run_validate (minus printing) and cli/options.py
# prepare_options for `--instance-id ID --timezone UTC --results OUT`.
LIBRARY = (
    _REPORT
    + """
import sys, time
from collections import Counter
from importer.mapping import MappingSpec
from importer.model import Status
from importer.pipeline import PrepareOptions, open_batch
from importer.results import ResultsWriter, results_path_for
if sys.argv[1].endswith(".xlsx"):
    import python_calamine  # what importer.reading.excel imports lazily

def validate(path, out, instance_id, timezone):
    spec = MappingSpec()
    spec.set_constant("InstanceId", instance_id, "--instance-id")
    spec.timezone = timezone
    batch = open_batch(path, PrepareOptions(mapping=spec))
    counts = Counter()
    with ResultsWriter(results_path_for(path, out), batch.table.columns) as writer:
        for row in batch.rows():
            status = Status.VALID if row.ok else Status.INVALID
            counts[status] += 1
            writer.write(row.outcome(status))
    return counts

start = time.perf_counter()
if len(sys.argv) > 5:
    import cProfile, pstats
    profiler = cProfile.Profile()
    counts = profiler.runcall(validate, *sys.argv[1:5])
    seconds = time.perf_counter() - start
    stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs()
    stats.sort_stats("tottime").print_stats(int(sys.argv[5]))
    stats.sort_stats("cumulative").print_stats(int(sys.argv[5]))
else:
    counts = validate(*sys.argv[1:5])
    seconds = time.perf_counter() - start
_report(
    seconds,
    rows=sum(counts.values()),
    valid=counts[Status.VALID],
    invalid=counts[Status.INVALID],
)
"""
)


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float  # whole process, measured by this script (start-up included)
    maxrss_kb: int  # the child's ru_maxrss, from wait4
    stdout: str
    stderr: str
    returncode: int

    @property
    def result(self) -> dict:
        for line in self.stdout.splitlines():
            if line.startswith(MARK):
                return json.loads(line[len(MARK) :])
        raise RuntimeError(f"child printed no result:\n{self.stdout}\n{self.stderr}")


def run_child(argv: list[str], ok_codes: tuple[int, ...] = (0,)) -> Run:
    """Run one fresh process; its wall time and its own peak RSS (wait4 rusage).

    The parent stays small (it only uses the standard library; the file is generated in a
    child), so the RSS a forked child inherits before exec never dominates ru_maxrss.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        run = Run(wall, usage.ru_maxrss, out.read().decode(), err.read().decode(), code)
    if code not in ok_codes:
        raise RuntimeError(f"{argv} exited {code}:\n{run.stdout}\n{run.stderr}")
    return run


@dataclass
class Series:
    """Repeated measurements of one thing: best time, highest peak RSS."""

    label: str
    seconds: list[float] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)

    def add(self, run: Run, seconds: float | None = None, rss_kb: int | None = None) -> None:
        self.seconds.append(run.wall if seconds is None else seconds)
        self.walls.append(run.wall)
        self.rss_kb.append(run.maxrss_kb if rss_kb is None else rss_kb)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def best_wall(self) -> float:
        return min(self.walls)

    @property
    def spread(self) -> float:
        """Worst over best time, minus one: how noisy this measurement was."""
        return max(self.seconds) / min(self.seconds) - 1

    @property
    def peak_mib(self) -> float:
        return max(self.rss_kb) / 1024


def measure_format(
    path: Path, out_dir: Path, repeat: int, startup: dict[str, Series]
) -> dict[str, Series]:
    python = sys.executable
    bare_code = BARE_XLSX if path.suffix == ".xlsx" else BARE_CSV
    lib_out = out_dir / f"{path.stem}-{path.suffix[1:]}.library.results.csv"
    cli_out = out_dir / f"{path.stem}-{path.suffix[1:]}.cli.results.csv"
    series = {
        "bare": Series("bare read (in process)"),
        "bare_proc": Series("bare read (whole process)"),
        "library": Series("validate, library path"),
        "cli": Series("validate, CLI end to end"),
    }

    def bare() -> None:
        run = run_child([python, "-c", bare_code, str(path)])
        result = run.result
        series["bare"].add(run, result["seconds"], result["hwm_kb"])
        series["bare_proc"].add(run)
        series["bare"].results.append(result)

    def library() -> None:
        argv = [python, "-c", LIBRARY, str(path), str(lib_out), INSTANCE_ID, TIMEZONE]
        run = run_child(argv)
        result = run.result
        series["library"].add(run, result["seconds"], result["hwm_kb"])
        series["library"].results.append(result)

    def cli() -> None:
        argv = [python, "-m", "importer", "validate", str(path), "--instance-id", INSTANCE_ID]
        argv += ["--timezone", TIMEZONE, "--results", str(cli_out)]
        run = run_child(argv, ok_codes=(0, 1))  # 1: some rows invalid (expected)
        series["cli"].add(run)
        series["cli"].results.append({"summary": _summary_line(run.stderr)})

    def startup_runs() -> None:
        for key, code in STARTUP.items():
            startup[key].add(run_child([python, "-c", code]))

    steps = [bare, library, cli, startup_runs]
    for index in range(repeat):
        # Interleave, and alternate the order so a noisy neighbour doesn't favour one side.
        for step in steps if index % 2 == 0 else reversed(steps):
            step()
    return series


STARTUP = {
    "python": "pass",
    "importer.cli": "import importer.cli",
    "pandas": "import pandas",
}


def _summary_line(log: str) -> str:
    """The CLI's "N rows: V valid, I invalid" log line (on stderr, after its timestamp)."""
    found = re.search(r"\d[\d,]* rows?: \d+ valid, \d+ invalid", log)
    return found.group(0) if found else "?"


# --- report ------------------------------------------------------------------------------------


def print_report(
    rows: int, repeat: int, files: dict[str, Path], measured: dict[str, dict[str, Series]]
) -> None:
    print(
        f"validate vs bare pandas read: {rows:,} rows, best of {repeat} (interleaved), "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    print(
        "time/bare = best time / best bare in-process read; spread = worst/best - 1; "
        "peak RSS = highest of the runs"
    )
    print()
    header = f"{'format':<6} {'measurement':<28} {'rows/s':>9} {'time/bare':>10} "
    header += f"{'spread':>7} {'peak MiB':>9} {'RSS/bare':>9}"
    print(header)
    print("-" * len(header))
    for name, series in measured.items():
        bare = series["bare"]
        for key in ("bare", "bare_proc", "library", "cli"):
            item = series[key]
            ratio = item.best / bare.best
            label = item.label
            if key == "bare":
                label = "pandas.read_excel (calamine)" if name == "xlsx" else "pandas.read_csv"
            print(
                f"{name:<6} {label:<28} {rows / item.best:>9,.0f} {ratio:>9.2f}x "
                f"{item.spread:>7.0%} {item.peak_mib:>9.1f} {item.peak_mib / bare.peak_mib:>8.2f}x"
            )
    print()
    for name, series in measured.items():
        size = files[name].stat().st_size / 1024 / 1024
        library = series["library"].results[-1]
        print(
            f"{name}: file {size:.1f} MiB; library {library['valid']:,} valid, "
            f"{library['invalid']:,} invalid; CLI '{series['cli'].results[-1]['summary']}'"
        )


def print_startup(startup: dict[str, Series], measured: dict[str, dict[str, Series]]) -> None:
    python = startup["python"].best
    importer = startup["importer.cli"].best
    pandas = startup["pandas"].best
    print()
    print(f"fixed start-up, best of {len(startup['python'].seconds)} (not included in rows/s):")
    print(
        f"  python -c pass {python * 1000:.0f} ms; import importer.cli {importer * 1000:.0f} ms "
        f"(peak {startup['importer.cli'].peak_mib:.0f} MiB); import pandas {pandas * 1000:.0f} ms"
    )
    shares = [
        f"{importer / series['cli'].best:.0%} of the {name} CLI run"
        for name, series in measured.items()
    ]
    print(f"  import importer.cli = {', '.join(shares)}")


def print_verdict(measured: dict[str, dict[str, Series]]) -> None:
    print()
    print(f"target: validate within {TARGET:g}x of the bare read")
    for name, series in measured.items():
        bare, bare_proc = series["bare"].best, series["bare_proc"].best
        for key, label in (("library", "library"), ("cli", "CLI")):
            ratio = series[key].best / bare
            verdict = "meets" if ratio <= TARGET else "MISSES"
            line = f"  {name:<4} {label:<7} {ratio:6.2f}x the bare read: {verdict} the target"
            if key == "cli":
                whole = series[key].best / bare_proc
                line += f" ({whole:.2f}x a whole-process bare read)"
            print(line)


def profile(files: dict[str, Path], out_dir: Path, top: int) -> None:
    """cProfile the library path once per format (profiling overhead: no timings here)."""
    for name, path in files.items():
        out = out_dir / f"{path.stem}-{name}.profile.results.csv"
        argv = [sys.executable, "-c", LIBRARY, str(path), str(out), INSTANCE_ID, TIMEZONE]
        run = run_child([*argv, str(top)])
        print()
        print(f"=== cProfile of the library path, {name} (top {top}) ===")
        print(run.stderr.rstrip())


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


def generate(directory: Path, rows: int, seed: int = 7) -> dict[str, Path]:
    """Write input.csv and input.xlsx with the same rows (runs in a child process)."""
    import csv
    import datetime as dt
    import random

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    csv_rows: list[list[str]] = []
    xlsx_rows: list[list[object]] = []
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
        csv_rows.append([*common, csv_time, customer, str(total), url, note])
        xlsx_rows.append([*common, xlsx_time, customer, total, url, note or None])

    directory.mkdir(parents=True, exist_ok=True)
    csv_path = directory / "tasks.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        writer.writerows(csv_rows)
    xlsx_path = directory / "tasks.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Tasks")
    sheet.append(COLUMNS)
    for row in xlsx_rows:
        if isinstance(row[-1], str) and row[-1].startswith("="):
            # Typed text, not a formula (openpyxl would write "=..." as a formula).
            row[-1] = WriteOnlyCell(sheet, value=row[-1])
            row[-1].data_type = "s"
        sheet.append(row)
    workbook.save(xlsx_path)
    return {"csv": csv_path, "xlsx": xlsx_path}


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--keep", metavar="DIR", help="write the files here and keep them")
    parser.add_argument(
        "--profile",
        nargs="?",
        type=int,
        const=10,
        metavar="TOP",
        help="instead of timing, cProfile the library path on each format and print the "
        "top TOP functions by own time and by cumulative time (default 10)",
    )
    parser.add_argument("--generate-only", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.generate_only:  # the child that writes the files (keeps the parent's RSS small)
        generate(Path(args.generate_only), args.rows)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-validate-") as temp:
        directory = Path(args.keep) if args.keep else Path(temp)
        directory.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        script = str(Path(__file__).resolve())
        argv = [sys.executable, script, "--rows", str(args.rows), "--generate-only"]
        run_child([*argv, str(directory)])
        files = {"csv": directory / "tasks.csv", "xlsx": directory / "tasks.xlsx"}
        print(f"generated {args.rows:,} rows in {time.perf_counter() - start:.0f} s: {directory}")
        print()
        if args.profile:
            profile(files, directory, args.profile)
            return 0
        startup = {key: Series(key) for key in STARTUP}
        measured = {
            name: measure_format(path, directory, args.repeat, startup)
            for name, path in files.items()
        }
        print_report(args.rows, args.repeat, files, measured)
        print_startup(startup, measured)
        print_verdict(measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
