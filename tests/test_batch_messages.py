"""What the use cases say about a batch: rows named, first invalid and failed rows, figures,
a run's totals; at the level of what happened."""

from __future__ import annotations

from recording import Recorder

from importer.batch_messages import (
    FIRST_ERRORS_SHOWN,
    calls_text,
    report_failed_rows,
    report_figures,
    report_first_errors,
    report_total,
    rows_named,
    short_reason,
)
from importer.executor import RunReport
from importer.model import Outcome, PreparedRow, RowError, SourceRow, Status
from importer.reconcile import EDITED_CODE
from importer.run_summary import FileSummary, RunSummary


def test_rows_are_named_up_to_ten_then_counted() -> None:
    assert rows_named([4]) == "Row 4"
    assert rows_named([4, 7]) == "Rows 4, 7"
    assert rows_named(list(range(2, 14))) == "Rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 2 more"


def test_the_first_invalid_rows_are_warnings_saying_which_column_and_where_the_rest_are() -> None:
    rows = [PreparedRow(SourceRow(3, {}), None, "t", [RowError("Name", "is required")])]
    recorder = Recorder()
    report_first_errors(recorder, rows, total=40, results="r.csv")
    report_first_errors(recorder, [], total=0, results="r.csv")
    assert recorder.said("warning") == [
        "First 1 of 40 invalid rows (all of them are in r.csv):",
        "  row 3, column 'Name': is required",
    ]
    assert recorder.said("info") == []


def test_failed_rows_are_warnings_with_their_code_and_no_word_of_amazon_connect_s() -> None:
    echoed = "Value 'Jane Doe, 12 Main St' at 'name' failed to satisfy constraint"
    outcomes = [
        Outcome(
            n, Status.FAILED, "t", {}, error_code="InvalidParameterException", error_message=echoed
        )
        for n in range(2, 30)
    ]
    outcomes += [
        Outcome(1, Status.FAILED, "t", {}, error_code=EDITED_CODE, error_message="long"),
        Outcome(40, Status.CREATED, "t", {}, contact_id="c"),
    ]
    recorder = Recorder()

    report_failed_rows(recorder, outcomes, "r.csv")

    said = recorder.said("warning")
    assert said[0] == f"First {FIRST_ERRORS_SHOWN} of 29 failed rows (all of them are in r.csv):"
    assert (
        said[1] == "  row 1: EditedAfterCreation: changed since its task was created, so not sent"
    )
    assert said[2] == "  row 2: InvalidParameterException: Amazon Connect refused the row's values"
    assert len(said) == 1 + FIRST_ERRORS_SHOWN
    assert "Jane" not in " ".join(said)
    report_failed_rows(recorder, outcomes[-1:], "r.csv")
    assert len(recorder.said("warning")) == len(said), "no failed row, nothing said"


def test_every_error_code_has_a_short_reason() -> None:
    for code in ("ThrottlingException", "NoAnswer", "NoContactId", "ResourceNotFoundException"):
        assert short_reason(code)
    assert "a task may have been created" in short_reason("NoAnswer")
    assert "quota" in short_reason("ServiceQuotaExceededException")


def test_a_stopped_batch_is_an_error_saying_how_to_continue() -> None:
    report = RunReport("access denied", True, calls=3, throttles=1, elapsed=6.0, achieved_rate=1)
    counts = dict.fromkeys(
        (Status.CREATED, Status.ALREADY_CREATED, Status.INVALID, Status.FAILED), 0
    )
    recorder = Recorder()
    report_figures(recorder, {**counts, Status.NOT_ATTEMPTED: 5}, report, "r.csv")
    said = recorder.said("info")
    assert said[0] == "5 rows: created 0, already_created 0, invalid 0, failed 0, not_attempted 5"
    assert said[1] == "3 API calls in 6.0 s, achieved 1.00 requests/s, 1 throttled"
    assert said[2] == "Results: r.csv"
    (stopped,) = recorder.said("error")
    assert stopped.startswith("STOPPED EARLY: access denied.")


def test_sending_of_a_few_seconds_gives_its_calls_without_a_rate() -> None:
    assert calls_text(2, 0.01, 138.0, 0) == "2 API calls in 0.0 s, 0 throttled"
    assert calls_text(1, 4.9, 0.2, 0) == "1 API call in 4.9 s, 0 throttled"
    assert (
        calls_text(30, 15.0, 2.0, 1)
        == "30 API calls in 15.0 s, achieved 2.00 requests/s, 1 throttled"
    )


def test_a_run_of_several_files_says_its_totals_and_one_file_says_none() -> None:
    summary = RunSummary("run", {})
    summary.files = [
        FileSummary("a.csv", counts={"created": 2, "invalid": 1}, api_calls=2, send_seconds=0.1),
        FileSummary("b.csv", counts={"created": 3, "failed": 1}, api_calls=5, send_seconds=0.2),
    ]
    recorder = Recorder()
    report_total(recorder, summary)
    report_total(recorder, RunSummary("run", {}, files=summary.files[:1]))
    assert recorder.said("info") == [
        "Total of 2 files: 7 rows: created 5, already_created 0, invalid 1, failed 1, "
        "not_attempted 0; 7 API calls in 0.3 s, 0 throttled"
    ]
