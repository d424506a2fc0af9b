"""What the use cases say about a batch: rows named, first errors, figures."""

from __future__ import annotations

from recording import Recorder

from importer.batch_messages import report_figures, report_first_errors, rows_named
from importer.executor import RunReport
from importer.model import PreparedRow, RowError, SourceRow, Status


def test_rows_are_named_up_to_ten_then_counted() -> None:
    assert rows_named([4]) == "Row 4"
    assert rows_named([4, 7]) == "Rows 4, 7"
    assert rows_named(list(range(2, 14))) == "Rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 2 more"


def test_the_first_invalid_rows_say_which_column_and_how_many_more() -> None:
    rows = [PreparedRow(SourceRow(3, {}), None, "t", [RowError("Name", "is required")])]
    recorder = Recorder()
    report_first_errors(recorder, rows, total=4)
    report_first_errors(recorder, [], total=0)
    assert recorder.said("info") == [
        "First 1 of 4 invalid rows:",
        "  row 3, column 'Name': is required",
    ]


def test_a_stopped_batch_says_how_to_continue() -> None:
    report = RunReport("access denied", True, calls=3, throttles=1, elapsed=2.0, achieved_rate=1)
    counts = dict.fromkeys(
        (Status.CREATED, Status.ALREADY_CREATED, Status.INVALID, Status.FAILED), 0
    )
    recorder = Recorder()
    report_figures(recorder, {**counts, Status.NOT_ATTEMPTED: 5}, report, "r.csv")
    said = recorder.said("info")
    assert said[0] == "5 rows: created 0, already_created 0, invalid 0, failed 0, not_attempted 5"
    assert said[1] == "3 API calls in 2.0 s, achieved 1.00 requests/s, 1 throttled"
    assert said[2].startswith("STOPPED EARLY: access denied.") and said[3] == "Results: r.csv"
