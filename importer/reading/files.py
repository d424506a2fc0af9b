"""Open an input file by its suffix, as CSV or as an Excel workbook."""

from __future__ import annotations

import os
from pathlib import Path

from importer.errors import InputFileError
from importer.reading.csv import CSV_SUFFIXES, open_csv
from importer.reading.excel import EXCEL_SUFFIXES, open_excel
from importer.reading.table import Cells, Table, table_of


def open_table(path: str | os.PathLike[str], sheet: str | None = None) -> Table:
    """Open a CSV or Excel file; raise InputFileError with a one-line reason if it can't be."""
    return table_of(open_cells(path, sheet))


def open_cells(path: str | os.PathLike[str], sheet: str | None = None) -> Cells:
    """Open a CSV or Excel file as ``open_table`` does, leaving its header to the caller."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, not a CSV or Excel file")
    if not os.access(path, os.R_OK):
        raise InputFileError(f"{path}: permission denied; check the file's read permission")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return open_excel(path, sheet)
    if sheet is not None:
        raise InputFileError(f"{path}: --sheet only applies to Excel files")
    if suffix in CSV_SUFFIXES:
        return open_csv(path)
    raise InputFileError(
        f"{path}: unsupported file type '{suffix}'; use .csv, .xlsx or .xlsm "
        "(.xls and .ods are read too)"
    )
