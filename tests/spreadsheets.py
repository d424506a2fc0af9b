"""Helpers that write input files for the tests (xlsx with openpyxl, CSV as raw bytes)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from importer.errors import InputFileError
from importer.mapping import MappingSpec
from importer.model import PreparedRow
from importer.pipeline import Batch, PrepareOptions, open_batch
from importer.reading import open_table

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


def rows_of(path: Path, sheet: str | None = None) -> list[tuple[int, dict[str, str]]]:
    """An input file's rows as read: (Excel row number, values by column)."""
    table = open_table(path, sheet)
    return [(row.number, row.values) for row in table.rows]


def one_line_error(path: Path, sheet: str | None = None) -> str:
    """The InputFileError opening the file raises, checked to be one line naming it."""
    with pytest.raises(InputFileError) as caught:
        open_table(path, sheet)
    message = str(caught.value)
    assert "\n" not in message
    assert path.name in message
    return message


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


def only_error(row: PreparedRow) -> tuple[str, str]:
    """The row's single error as (column, message); the row must be invalid."""
    assert row.request is None
    assert len(row.errors) == 1, row.errors
    return row.errors[0].column, row.errors[0].message


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


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"


def write_xlsx_parts(
    path: Path,
    sheets: dict[str, str],
    *,
    shared: Sequence[bytes] | None = None,
    styles: str | None = None,
) -> Path:
    """An .xlsx written part by part: each sheet's worksheet XML by name, the raw XML texts
    of its shared strings, its styles part."""
    import zipfile

    relations = [
        f'<Relationship Id="rId{n}" Type="{_RELATIONSHIPS}/worksheet" '
        f'Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    ]
    parts: dict[str, str | bytes] = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
            f'Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{_RELATIONSHIPS}"><sheets>'
            + "".join(
                f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
                for n, name in enumerate(sheets, start=1)
            )
            + "</sheets></workbook>"
        ),
        **{f"xl/worksheets/sheet{n}.xml": xml for n, xml in enumerate(sheets.values(), start=1)},
    }
    if styles is not None:
        relations.append(
            f'<Relationship Id="rIdStyles" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>'
        )
        parts["xl/styles.xml"] = styles
    if shared is not None:
        relations.append(
            f'<Relationship Id="rIdShared" Type="{_RELATIONSHIPS}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
        )
        parts["xl/sharedStrings.xml"] = (
            b'<sst xmlns="%s" count="%d" uniqueCount="%d">'
            % (MAIN_NS.encode(), len(shared), len(shared))
            + b"".join(b"<si><t>%s</t></si>" % text for text in shared)
            + b"</sst>"
        )
    parts["xl/_rels/workbook.xml.rels"] = (
        f'<Relationships xmlns="{_PACKAGE}">{"".join(relations)}</Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)
    return path


def write_raw_xlsx(
    path: Path,
    sheets: dict[str, dict[str, Any]],
    *,
    shared: Sequence[bytes] = (),
    sheet_xml: Callable[[str], str] = str,
) -> Path:
    """A workbook of what openpyxl does not write: shared strings (``shared`` holds their
    raw XML text; a cell value ``("s", i)`` uses text i), cells anywhere, XML written
    unusually (``sheet_xml`` rewrites each sheet's XML). ``sheets`` maps each sheet's name
    to its cells by reference; other values: str (an inline text), int or float."""
    return write_xlsx_parts(
        path,
        {name: sheet_xml(_sheet_xml(cells)) for name, cells in sheets.items()},
        shared=shared,
    )


def _sheet_xml(cells: dict[str, Any]) -> str:
    from importer.reading.xlsx_package import cell_position

    by_row: dict[int, list[tuple[int, str, Any]]] = {}
    for reference, value in cells.items():
        row, column = cell_position(reference) or (0, 0)
        by_row.setdefault(row, []).append((column, reference, value))
    rows = []
    for row in sorted(by_row):
        xml = []
        for _column, reference, value in sorted(by_row[row]):
            if isinstance(value, tuple):
                xml.append(f'<c r="{reference}" t="s"><v>{value[1]}</v></c>')
            elif isinstance(value, str):
                xml.append(f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>')
            else:
                xml.append(f'<c r="{reference}"><v>{value}</v></c>')
        rows.append(f'<row r="{row + 1}">{"".join(xml)}</row>')
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )


def open_in_excel(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """Replacing ``target`` fails as it does on Windows while Excel has the file open."""
    replace = os.replace

    def refusing(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
        if Path(destination) == target:
            raise PermissionError(13, "Access is denied", str(destination))
        replace(source, destination)

    monkeypatch.setattr(os, "replace", refusing)
