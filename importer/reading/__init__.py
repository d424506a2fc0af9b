"""Reading CSV and Excel files into rows of text (see importer.reading.table).

``open_table`` opens a file by its suffix (files); csv and excel read each kind; the xlsx_*
modules read what calamine does not say about an .xlsx, and keep a hostile one from
exhausting memory before calamine loads it (limits holds the caps).
"""

from importer.reading.csv import CSV_SUFFIXES, DELIMITERS
from importer.reading.excel import EXCEL_SUFFIXES, cell_text, first_row, number_text
from importer.reading.files import open_cells, open_table
from importer.reading.limits import MAX_CELL_CHARS, MAX_LINE_CHARS
from importer.reading.table import (
    Cells,
    Table,
    header_columns,
    is_blank,
    table_of,
    unreadable_cell,
)
from importer.reading.xlsx_package import column_letter

__all__ = [
    "CSV_SUFFIXES",
    "DELIMITERS",
    "EXCEL_SUFFIXES",
    "MAX_CELL_CHARS",
    "MAX_LINE_CHARS",
    "Cells",
    "Table",
    "cell_text",
    "column_letter",
    "first_row",
    "header_columns",
    "is_blank",
    "number_text",
    "open_cells",
    "open_table",
    "table_of",
    "unreadable_cell",
]
