"""Read Excel workbooks with calamine (the only module that imports it): every cell as the
text a person sees, formulas by their saved result, merged cells on each of their rows."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from importer.errors import InputFileError
from importer.reading import xlsx_scan
from importer.reading.table import Cells, error_reason, first_header, label_of
from importer.reading.xlsx_first_row import first_row as xlsx_first_row
from importer.reading.xlsx_notes import CellNotes, Shown, cell_notes
from importer.reading.xlsx_package import open_package

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
_EXACT_FLOAT_INTEGERS = 2**53
_EXCEL_DIGITS = 15
"""Excel keeps and shows 15 significant digits."""


def cell_text(value: object) -> str:
    """The text of an Excel cell as a person sees it typed (not as Excel stores it)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def number_text(value: float) -> str:
    """A number as Excel shows it in the formula bar: no float noise, no exponent.

    Whole numbers up to 2**53 are exact; others keep Excel's 15 significant digits, so
    0.1 + 0.2 reads 0.3 and 12345678901234567890 reads 12345678901234600000.
    """
    if not math.isfinite(value):
        return ""
    if value.is_integer() and abs(value) <= _EXACT_FLOAT_INTEGERS:
        return str(int(value))
    shortest = repr(value)
    if "e" not in shortest and len(shortest.replace("-", "").replace(".", "").lstrip("0")) <= 15:
        # The shortest text that reads back as this float has at most 15 significant
        # digits: rounding to 15 digits gives those digits (DBL_DIG is 15), so it is the
        # answer, without the Decimal below (most cells: typed prices and amounts).
        return shortest
    text = format(Decimal(f"{value:.{_EXCEL_DIGITS}g}").normalize(), "f")
    return "0" if text == "-0" else text


def _shown_text(value: object, shown: Shown) -> str:
    """A number as its cell's format shows it: 0.15 as 15%, 100455 as 0100455 (only whole
    numbers are padded with zeros)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return cell_text(value)
    if shown.percent:
        return f"{number_text(value * 100)}%"
    if isinstance(value, float) and not value.is_integer():
        return number_text(value)
    digits = str(abs(value)) if isinstance(value, int) else number_text(abs(value))
    sign = "-" if value < 0 else ""
    return f"{sign}{shown.prefix}{digits.rjust(shown.digits, '0')}{shown.suffix}"


def open_excel(path: Path, sheet: str | None) -> Cells:
    """Open a workbook's sheet (the first visible one unless named): its header row read."""
    with contextlib.ExitStack() as stack:
        # An .xlsx is checked before calamine opens it (which reads every shared text) and
        # before it loads the sheet (every cell of its used range): see xlsx_scan.
        package = open_package(path)
        if package is not None:
            stack.enter_context(package)
            shared = xlsx_scan.check_workbook(package)
        workbook, sheets, visible = _open_workbook(path, stack)
        stack.callback(workbook.close)
        sheet = _pick_sheet(path, sheet, sheets, visible)
        label = f"{path}, sheet '{sheet}'"
        if package is not None:
            xlsx_scan.check_sheet(package, sheet, shared)
        try:
            # From A1 (skip_empty_area=False): list index + 1 is the Excel row number.
            worksheet = workbook.get_sheet_by_name(sheet)
            rows = worksheet.to_python(skip_empty_area=False)
            merged = worksheet.merged_cell_ranges or []
        except Exception as error:
            raise InputFileError(f"{label}: cannot be read ({error_reason(error)})") from error
        notes = cell_notes(package, sheet) if package is not None else CellNotes()
    _fill_merged_down(rows, merged)
    for (row, column), shown in notes.shown.items():
        if row < len(rows) and column < len(rows[row]):
            rows[row][column] = _shown_text(rows[row][column], shown)
    # Most cells are text already: cell_text only for numbers, dates and booleans.
    records = (
        (number, [cell if type(cell) is str else cell_text(cell) for cell in cells])
        for number, cells in enumerate(rows, start=1)
    )
    problems = _problems_by_row(notes)
    empty = f"{label}: the sheet is empty; the first row must hold the headers"
    number, header = first_header(label, records, problems, empty)
    return Cells(path, header, number, records, problems, sheet=sheet, sheets=sheets)


def first_row(path: str | os.PathLike[str], sheet: str, width: int) -> list[str] | None:
    """The first ``width`` cells of the first row holding a value of a workbook's sheet, as
    text; None if it has no value.

    Cheap for .xlsx and .xlsm, whose sheet is streamed only as far as that row; other
    formats load the sheet.
    """
    path = Path(path)
    package = open_package(path)
    if package is not None:
        with package:
            return xlsx_first_row(package, sheet, width)
    with contextlib.ExitStack() as stack:
        workbook, sheets, _visible = _open_workbook(path, stack)
        stack.callback(workbook.close)
        if sheet not in sheets:
            return None
        try:
            rows = workbook.get_sheet_by_name(sheet).to_python(nrows=1)
        except Exception as error:
            raise InputFileError(
                f"{label_of(path, sheet)}: cannot be read ({error_reason(error)})"
            ) from error
    return [cell_text(cell) for cell in rows[0][:width]] if rows else None


def _fill_merged_down(
    rows: list[list[object]], merged: Iterable[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    """A cell merged over several rows shows its value on each: give each row that value.

    A cell merged across columns belongs to its first column (the others stay empty).
    """
    for (top, column), (bottom, _right) in merged:
        if top >= len(rows) or column >= len(rows[top]):
            continue
        value = rows[top][column]
        for row in rows[top + 1 : bottom + 1]:
            if column < len(row):
                row[column] = value


def _problems_by_row(notes: CellNotes) -> dict[int, list[tuple[int, str]]]:
    """Unreadable cells by Excel row number: (column index, message)."""
    problems: dict[int, list[tuple[int, str]]] = {}
    for (row, column), message in sorted(notes.problems.items()):
        problems.setdefault(row + 1, []).append((column, message))
    return problems


def _pick_sheet(path: Path, sheet: str | None, sheets: list[str], visible: list[str]) -> str:
    """The sheet asked for, or the first visible one."""
    if sheet is None:
        if not visible:
            raise InputFileError(f"{path}: the workbook has no visible worksheet")
        return visible[0]
    if sheet not in sheets:
        names = ", ".join(f"'{name}'" for name in sheets)
        raise InputFileError(f"{path}: no sheet named '{sheet}'; the sheets are {names}")
    return sheet


def _open_workbook(
    path: Path, stack: contextlib.ExitStack
) -> tuple[CalamineWorkbook, list[str], list[str]]:
    """The open workbook, its worksheets and its visible worksheets, by name."""
    import python_calamine

    try:
        workbook = _load_workbook(path, stack)
        worksheets = [
            meta
            for meta in workbook.sheets_metadata
            if meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
    except python_calamine.PasswordError as error:
        raise InputFileError(
            f"{path}: the workbook is password-protected; save an unprotected copy"
        ) from error
    except Exception as error:  # calamine raises several unrelated types for a bad file
        raise InputFileError(
            f"{path}: cannot be read as an Excel workbook ({error_reason(error)}); "
            "open it in Excel and save it again as .xlsx"
        ) from error
    visible = [
        meta.name for meta in worksheets if meta.visible == python_calamine.SheetVisibleEnum.Visible
    ]
    return workbook, [meta.name for meta in worksheets], visible


def _load_workbook(path: Path, stack: contextlib.ExitStack) -> CalamineWorkbook:
    """Open by file name; failing that, by content (an .xls saved under an .xlsx name)."""
    import python_calamine

    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise
    except Exception as by_name:
        stream = stack.enter_context(path.open("rb"))
        try:
            return python_calamine.CalamineWorkbook.from_filelike(stream)
        except python_calamine.PasswordError:
            raise
        except Exception:
            raise by_name from None
