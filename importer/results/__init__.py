"""The results file every command writes: one line per input row, what happened to it.

format holds what every results file shares (its columns, sheet, names and paths); writer
writes one (ResultsWriter) through the csv or the workbook sink (xlsx_text: text as a
workbook stores it); read reads one back; sent finds its first line that records a row sent.
"""

from importer.results.csv import protect, unprotect
from importer.results.format import (
    RESULT_COLUMNS,
    RESULTS_SHEET,
    RESULTS_SUFFIXES,
    SANDBOX_RESULTS_MARK,
    default_results_path,
    is_results_header,
    is_sandbox_results,
    outcome_cells,
    results_path_for,
    sandbox_results_name,
)
from importer.results.read import ResultLine, contact_ids, read_results, results_lines
from importer.results.sent import first_sent_line
from importer.results.writer import ResultsWriter

__all__ = [
    "RESULTS_SHEET",
    "RESULTS_SUFFIXES",
    "RESULT_COLUMNS",
    "SANDBOX_RESULTS_MARK",
    "ResultLine",
    "ResultsWriter",
    "contact_ids",
    "default_results_path",
    "first_sent_line",
    "is_results_header",
    "is_sandbox_results",
    "outcome_cells",
    "protect",
    "read_results",
    "results_lines",
    "results_path_for",
    "sandbox_results_name",
    "unprotect",
]
