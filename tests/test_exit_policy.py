"""One exit-code policy: a batch's code from its counts, a run's from its files, validate's
and check's, and a results file that could not be put in place."""

from __future__ import annotations

from importer.exit_policy import (
    batch_exit,
    batch_reason,
    check_exit,
    overall_exit,
    unsaved_results_exit,
    validated_file_exit,
    validation_exit,
)
from importer.exitcodes import ExitCode
from importer.messages import STOPS
from importer.model import Status
from importer.run_summary import FileSummary


def file(name: str, code: ExitCode, reason: str = "") -> FileSummary:
    """One input file's part of a run, ended with ``code``."""
    return FileSummary(name, exit_code=int(code), reason=reason)


def test_the_exit_code_of_a_run_follows_its_worst_file() -> None:
    ok, failed = file("a.csv", ExitCode.OK), file("b.csv", ExitCode.ROWS_FAILED, "1 invalid")
    unreadable = file("c.csv", ExitCode.USAGE, "c.csv: no such file")
    stopped = file("d.csv", ExitCode.STOPPED, "interrupted")
    assert overall_exit([]) == (ExitCode.OK, "no input files to read")
    assert overall_exit([ok]) == (ExitCode.OK, "every row created or already created")
    assert overall_exit([ok, failed]) == (ExitCode.ROWS_FAILED, "b.csv: 1 invalid")
    assert overall_exit([unreadable]) == (ExitCode.USAGE, "c.csv: no such file")
    assert overall_exit([ok, unreadable])[0] == ExitCode.ROWS_FAILED
    assert overall_exit([failed, stopped, unreadable]) == (ExitCode.STOPPED, "interrupted")


def test_a_run_stopped_between_files_exits_3_but_a_file_s_own_stop_names_the_reason() -> None:
    ok, stopped = file("a.csv", ExitCode.OK), file("b.csv", ExitCode.STOPPED, "access denied")
    assert overall_exit([ok], "interrupted by SIGINT") == (
        ExitCode.STOPPED,
        "stopped early: interrupted by SIGINT",
    )
    assert overall_exit([ok, stopped], "interrupted") == (ExitCode.STOPPED, "access denied")


def test_a_batch_is_0_when_every_row_is_done_1_when_one_is_not_3_when_it_stopped() -> None:
    done = {Status.CREATED: 2, Status.ALREADY_CREATED: 1}
    assert batch_exit(done, stopped_early=False) == ExitCode.OK
    for status in (Status.INVALID, Status.FAILED, Status.NOT_ATTEMPTED):
        assert batch_exit({**done, status: 1}, stopped_early=False) == ExitCode.ROWS_FAILED
    assert batch_exit(done, stopped_early=True) == ExitCode.STOPPED


def test_a_batch_s_reason_names_what_was_not_created() -> None:
    counts = {Status.CREATED: 3, Status.INVALID: 1, Status.FAILED: 2, Status.NOT_ATTEMPTED: 0}
    assert batch_reason(ExitCode.ROWS_FAILED, counts, None) == (
        "rows not created: 1 invalid, 2 failed"
    )
    assert batch_reason(ExitCode.STOPPED, counts, "quota") == "stopped early: quota"
    assert batch_reason(ExitCode.OK, counts, None) == "every row created or already created"
    undone = {Status.CREATED: 1, Status.STOPPED: 2}
    assert batch_reason(ExitCode.OK, undone, None) == (
        "every row created, already created or stopped by undo (2 stopped: retry never "
        "re-creates a stopped row)"
    )
    assert batch_reason(ExitCode.OK, undone, None, STOPS) == (
        "every task stopped (or found already ended)"
    )


def test_results_that_could_not_be_uploaded_make_1_but_a_stop_stays_3() -> None:
    assert unsaved_results_exit(ExitCode.OK) == ExitCode.ROWS_FAILED
    assert unsaved_results_exit(ExitCode.ROWS_FAILED) == ExitCode.ROWS_FAILED
    assert unsaved_results_exit(ExitCode.STOPPED) == ExitCode.STOPPED


def test_validate_is_2_only_when_no_file_could_be_read() -> None:
    unreadable, invalid = validated_file_exit(False, 0), validated_file_exit(True, 3)
    valid = validated_file_exit(True, 0)
    assert (unreadable, invalid, valid) == (ExitCode.USAGE, ExitCode.ROWS_FAILED, ExitCode.OK)
    assert validation_exit([]) == ExitCode.OK
    assert validation_exit([valid, valid]) == ExitCode.OK
    assert validation_exit([valid, invalid]) == ExitCode.ROWS_FAILED
    assert validation_exit([valid, unreadable]) == ExitCode.ROWS_FAILED
    assert validation_exit([unreadable, unreadable]) == ExitCode.USAGE


def test_check_passes_only_when_every_check_passed_and_every_input_was_read() -> None:
    assert check_exit(True, 0) == ExitCode.OK
    assert check_exit(False, 0) == ExitCode.USAGE
    assert check_exit(True, 1) == ExitCode.USAGE
