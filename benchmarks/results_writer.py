"""How fast is the results workbook written now (XlsxWriter) against the openpyxl writer it
replaced, on the same outcomes, in one run?

Usage::

    python benchmarks/results_writer.py [--rows 50000] [--repeat 1] [--baseline COMMIT]
                                        [--cell-rows 20000]

The baseline is ``importer/results/workbook.py`` as it was at COMMIT (the last with the
openpyxl write-only writer), taken with ``git show``: run it inside the repository. Each
measurement is a fresh process that builds N outcomes (1% invalid, with a comment each),
then times ``write`` for each and ``close``; the runs alternate writer by writer. It prints
the best time of each, the ratio ours/baseline, each one's peak RSS, and whether both
workbooks hold the same cell values (read back with python-calamine). Then it times the
CSV formula-injection protection and the workbook's ``_xHHHH_`` escaping, as at COMMIT and
now, on the same cells in one process, and checks their outputs are the same. Nothing
asserts: it only prints figures. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

BASELINE = "00b50a6"
"""The last commit whose results workbook was written with openpyxl."""
BASELINE_BOOK = "importer/results/workbook.py"
MARK = "BENCH-RESULT "
REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
from importer.model import Outcome, RowError, Status

mode, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if mode == "openpyxl":
    sys.path.insert(0, sys.argv[4])
    from baseline_workbook import ResultsWorkbook
else:
    from importer.results.workbook import ResultsWorkbook

COLUMNS = ["Name", "Description", "ContactFlowId", "ScheduledTime", "customer_id", "Notes"]
NOTES = ['plain', 'a "quoted", comma', "two\nlines", "=not a formula", "_x0041_ literal", ""]


def outcome(n):
    values = {
        "Name": f"Call back customer {n}",
        "Description": f"Order {n:08d} needs a call about the delivery window",
        "ContactFlowId": "f1e2d3c4-0000-4000-8000-00000000000f",
        "ScheduledTime": "" if n % 5 < 2 else f"2026-04-0{1 + n % 5}T09:{n % 60:02d}:00Z",
        "customer_id": f"{n % 100000:07d}",
        "Notes": NOTES[n % len(NOTES)],
    }
    if n % 100 == 0:
        values["Name"] = ""
        error = RowError("Name", "Name is required; give every row a Name")
        return Outcome(n, Status.INVALID, f"tok-{n}", values, error_message=str(error),
                       error_code="Validation", errors=(error,))
    return Outcome(n, Status.VALID, f"tok-{n}", values)


outcomes = [outcome(n) for n in range(2, rows + 2)]
start, cpu = time.perf_counter(), time.process_time()
book = ResultsWorkbook(__import__("pathlib").Path(out), COLUMNS)
for item in outcomes:
    book.write(item)
book.close()
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
hwm = 0
try:
    with open("/proc/self/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    import resource  # POSIX; Linux gives KiB, macOS bytes
    scale = 1024 if sys.platform == "darwin" else 1
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // scale
print("BENCH-RESULT " + json.dumps({"seconds": seconds, "cpu": cpu, "hwm_kb": hwm}))
"""


def git_show(commit: str, path: str) -> str:
    """A file of the repository as it was at ``commit``."""
    argv = ["git", "-C", str(REPO), "show", f"{commit}:{path}"]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def baseline_source(commit: str, folder: Path) -> Path:
    """The openpyxl writer as it was at ``commit``, saved as ``baseline_workbook.py``."""
    source = git_show(commit, BASELINE_BOOK)
    (folder / "baseline_workbook.py").write_text(source, encoding="utf-8")
    return folder


def measure(mode: str, rows: int, out: Path, baseline: Path) -> dict[str, float]:
    """One fresh process writing ``rows`` outcomes with ``mode``'s writer: its figures."""
    argv = [sys.executable, "-c", CHILD, mode, str(rows), str(out), str(baseline)]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO)
    for line in done.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise SystemExit(f"{mode} run failed:\n{done.stderr}")


def cell_texts(rows: int) -> list[str]:
    """The cells of ``rows`` results lines, CSV-risky and OOXML-like text among them."""
    notes = ["plain", 'a "quoted", comma', "two\nlines", "=1+2", "x;=1+2", "_x0041_", "\r"]
    cells = []
    for n in range(rows):
        description = f"Order {n:08d}: call about the delivery window, see notes; thanks\n"
        cells += [
            f"Call back customer {n}",
            description * 3,
            "f1e2d3c4-0000-4000-8000-00000000000f",
            "2026-04-01T09:00:00Z" if n % 2 else "",
            f"{n % 100000:07d}",
            notes[n % len(notes)],
        ]
    return cells


def time_cell_functions(commit: str, rows: int, repeat: int) -> None:
    """CSV protection and the workbook's escaping, as at ``commit`` and now, on the same
    cells in this process: best of ``repeat``, and whether the outputs are the same."""
    import importlib.util
    import timeit

    from importer.results.csv import protect
    from importer.results.xlsx_text import xlsx_text

    old = {}
    for name, path in (("csv", "importer/results/csv.py"), ("book", BASELINE_BOOK)):
        source = git_show(commit, path)
        spec = importlib.util.spec_from_loader(f"baseline_{name}", loader=None)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        exec(compile(source, f"{commit}:{path}", "exec"), module.__dict__)
        old[name] = module
    cells = cell_texts(rows)
    pairs = (
        ("CSV protect", old["csv"].protect, protect),
        ("xlsx escaping", old["book"]._xlsx_text, xlsx_text),
    )
    print(f"\ncell functions, {len(cells):,} cells, best of {repeat}")
    for label, before, after in pairs:
        seconds = [
            min(timeit.repeat(lambda f=f: list(map(f, cells)), number=1, repeat=repeat))
            for f in (before, after)
        ]
        same = list(map(before, cells)) == list(map(after, cells))
        print(
            f"{label:<16}{seconds[0]:>8.3f} s -> {seconds[1]:.3f} s  "
            f"({seconds[1] / seconds[0]:.2f}x), same output: {'yes' if same else 'NO'}"
        )


def same_cells(first: Path, second: Path) -> bool:
    """Whether both workbooks' Results sheets read back the same values."""
    from python_calamine import CalamineWorkbook

    def cells(path: Path) -> list[list[object]]:
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Results").to_python()

    return cells(first) == cells(second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each writer (best time)")
    parser.add_argument("--baseline", default=BASELINE, help="commit of the openpyxl writer")
    parser.add_argument(
        "--cell-rows", type=int, default=20_000, help="results lines (6 cells each) to escape"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        baseline = baseline_source(args.baseline, folder)
        runs: dict[str, list[dict[str, float]]] = {"openpyxl": [], "xlsxwriter": []}
        for round_ in range(args.repeat):
            order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
            for mode in order:
                runs[mode].append(measure(mode, args.rows, folder / f"{mode}.xlsx", baseline))
        best = {mode: min(run["seconds"] for run in found) for mode, found in runs.items()}
        cpu = {mode: min(run["cpu"] for run in found) for mode, found in runs.items()}
        peak = {mode: max(run["hwm_kb"] for run in found) / 1024 for mode, found in runs.items()}
        same = same_cells(folder / "openpyxl.xlsx", folder / "xlsxwriter.xlsx")
    print(f"results workbook, {args.rows:,} rows, best of {args.repeat}")
    print(f"{'writer':<28}{'seconds':>9}{'CPU s':>8}{'rows/s':>10}{'peak MiB':>10}")
    for mode, label in (("openpyxl", f"openpyxl ({args.baseline})"), ("xlsxwriter", "XlsxWriter")):
        rate = args.rows / best[mode]
        print(f"{label:<28}{best[mode]:>9.2f}{cpu[mode]:>8.2f}{rate:>10,.0f}{peak[mode]:>10.0f}")
    print(f"time XlsxWriter/openpyxl: {best['xlsxwriter'] / best['openpyxl']:.2f}x")
    print(f"CPU  XlsxWriter/openpyxl: {cpu['xlsxwriter'] / cpu['openpyxl']:.2f}x")
    print(f"peak XlsxWriter/openpyxl: {peak['xlsxwriter'] / peak['openpyxl']:.2f}x")
    print(f"same cell values: {'yes' if same else 'NO'}")
    time_cell_functions(args.baseline, args.cell_rows, max(3, args.repeat))


if __name__ == "__main__":
    main()
