"""Helpers that write input files for the tests (xlsx with openpyxl, CSV as raw bytes)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from importer.mapping import MappingSpec
from importer.model import PreparedRow
from importer.pipeline import Batch, PrepareOptions, open_batch

INSTANCE = "a1b2c3d4-0000-4000-8000-000000000001"
FLOW = "f10f10f1-0000-4000-8000-000000000001"
QUICK_CONNECT = "c0c0c0c0-0000-4000-8000-000000000001"
TASK_TEMPLATE = "7e7e7e7e-0000-4000-8000-000000000001"
# A fixed "now" (a Friday) two days before Europe/Berlin springs forward (2026-03-29 02:00).
NOW = dt.datetime(2026, 3, 27, 12, 0, tzinfo=dt.UTC)


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    sheet: str = "Tasks",
    more_sheets: dict[str, Sequence[Sequence[Any]]] | None = None,
    hidden_first: dict[str, Sequence[Sequence[Any]]] | None = None,
) -> Path:
    """An Excel workbook; rows of Python values (None = empty cell, [] = blank row).

    ``hidden_first`` adds hidden sheets *before* ``sheet``; ``more_sheets`` adds visible ones
    after it.
    """
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, content in (hidden_first or {}).items():
        hidden = workbook.create_sheet(name)
        _fill(hidden, content)
        hidden.sheet_state = "hidden"
    main = workbook.create_sheet(sheet)
    _fill(main, rows)
    for name, content in (more_sheets or {}).items():
        _fill(workbook.create_sheet(name), content)
    workbook.active = workbook.sheetnames.index(sheet)
    workbook.save(path)
    return path


def _fill(sheet: Any, rows: Sequence[Sequence[Any]]) -> None:
    for number, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            if value is not None:
                cell = sheet.cell(number, column)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # keep '=...' text as text, like a typed string


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    bom: bool = False,
    line_end: str = "\r\n",
) -> Path:
    """A CSV file written by the csv module (quotes as needed)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=line_end).writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def read_csv(path: Path) -> list[list[str]]:
    """A CSV file as lists of cells (BOM dropped)."""
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))


def read_results(path: Path) -> list[dict[str, str]]:
    """A results file (CSV, or the Results sheet of a workbook) as dicts (header as keys)."""
    header, *rows = read_xlsx(path) if path.suffix == ".xlsx" else read_csv(path)
    return [dict(zip(header, row, strict=True)) for row in rows]


def read_xlsx(path: Path, sheet: str = "Results") -> list[list[str]]:
    """A sheet's values as text, empty cells as ""."""
    from openpyxl import load_workbook

    rows = load_workbook(path)[sheet].iter_rows(values_only=True)
    return [["" if value is None else str(value) for value in row] for row in rows]


def prepare(
    path: Path,
    *,
    mapping: MappingSpec | None = None,
    batch_id: str | None = None,
    sheet: str | None = None,
    now: dt.datetime = NOW,
) -> tuple[Batch, list[PreparedRow]]:
    """Open a file through the pipeline with a fixed clock; all its prepared rows."""
    options = PrepareOptions(
        mapping=mapping or MappingSpec(timezone="UTC"),
        sheet=sheet,
        batch_id=batch_id,
        now=now,
    )
    batch = open_batch(path, options)
    return batch, list(batch.rows())


def task_rows(
    path: Path,
    header: Sequence[str],
    *rows: Sequence[str],
    routed: bool = True,
    **options: Any,
) -> list[PreparedRow]:
    """Write a CSV whose rows get InstanceId (and a flow when ``routed``) and prepare it.

    ``header``/``rows`` are the extra columns; InstanceId (and ContactFlowId) come first.
    """
    base = ["InstanceId", "ContactFlowId"] if routed else ["InstanceId"]
    base_values = [INSTANCE, FLOW] if routed else [INSTANCE]
    write_csv(path, [[*base, *header], *([*base_values, *row] for row in rows)])
    return prepare(path, **options)[1]
