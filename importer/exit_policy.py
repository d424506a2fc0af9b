"""Which exit code an outcome gets: one policy for every command.

The codes themselves are a public contract (importer.exitcodes); here is how a batch, a
run of several files, a validation and a preflight come to one. The CLI only returns the
code a use case's result carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from importer.exitcodes import ExitCode
from importer.messages import TASKS, Wording
from importer.model import Status


class FileOutcome(Protocol):
    """What a run's file tells the policy (importer.run_summary.FileSummary)."""

    input: str
    exit_code: int
    reason: str


_DONE = (Status.CREATED, Status.ALREADY_CREATED, Status.STOPPED)
_NOT_DONE = (Status.INVALID, Status.FAILED, Status.NOT_ATTEMPTED)


def batch_exit(counts: Mapping[Status, int], stopped_early: bool) -> ExitCode:
    """3 if the run stopped while sending the batch; 1 if a row was not created; else 0."""
    if stopped_early:
        return ExitCode.STOPPED
    if any(counts.get(status) for status in _NOT_DONE):
        return ExitCode.ROWS_FAILED
    return ExitCode.OK


def batch_reason(
    code: ExitCode,
    counts: Mapping[Status, int],
    stop_reason: str | None,
    wording: Wording = TASKS,
) -> str:
    """What a batch's exit code stands for, in its file's summary (``wording``: of the
    requests it sent, tasks created or stopped)."""
    if code == ExitCode.STOPPED:
        return f"stopped early: {stop_reason}"
    if code == ExitCode.ROWS_FAILED:
        parts = [
            f"{count} {status}" for status, count in counts.items() if count and status not in _DONE
        ]
        return f"{wording.some_not_done}: " + ", ".join(parts)
    stopped = counts.get(Status.STOPPED, 0)
    if stopped and wording.all_done_some_stopped:
        return wording.all_done_some_stopped.format(count=stopped)
    return wording.all_done


def overall_exit(
    files: Sequence[FileOutcome], stop_reason: str | None = None
) -> tuple[ExitCode, str]:
    """A run's code and reason from its files: 3 if a file stopped the run, or the run
    stopped (``stop_reason``); 2 if no file could be read; 1 if any row or file failed;
    else 0."""
    code, reason = _from_files(files)
    if stop_reason and code != ExitCode.STOPPED:
        return ExitCode.STOPPED, f"stopped early: {stop_reason}"
    return code, reason


def _from_files(files: Sequence[FileOutcome]) -> tuple[ExitCode, str]:
    for file in files:
        if file.exit_code == ExitCode.STOPPED:
            return ExitCode.STOPPED, file.reason
    unreadable = [file for file in files if file.exit_code == ExitCode.USAGE]
    if unreadable and len(unreadable) == len(files):
        return ExitCode.USAGE, unreadable[0].reason
    failing = [file for file in files if file.exit_code != ExitCode.OK]
    if failing:
        return ExitCode.ROWS_FAILED, "; ".join(f"{f.input}: {f.reason}" for f in failing)
    if not files:
        return ExitCode.OK, "no input files to read"
    if len(files) == 1 and files[0].reason:
        return ExitCode.OK, files[0].reason
    return ExitCode.OK, TASKS.all_done


def unsaved_results_exit(code: int) -> ExitCode:
    """A batch whose results could not be put in place (an upload failed): 1, rows to look
    at, unless the run had stopped (3 stays)."""
    return ExitCode.STOPPED if code == ExitCode.STOPPED else ExitCode.ROWS_FAILED


def validated_file_exit(readable: bool, invalid: int) -> ExitCode:
    """One file of validate: 2 if it could not be read, 1 if a row is invalid, else 0."""
    if not readable:
        return ExitCode.USAGE
    return ExitCode.ROWS_FAILED if invalid else ExitCode.OK


def validation_exit(codes: Iterable[ExitCode]) -> ExitCode:
    """validate's code from its files' codes: 2 if no file could be read, 1 if any file's
    code is not 0, else 0 (also for no file at all)."""
    codes = list(codes)
    if codes and all(code == ExitCode.USAGE for code in codes):
        return ExitCode.USAGE
    return ExitCode.ROWS_FAILED if any(code != ExitCode.OK for code in codes) else ExitCode.OK


def check_exit(passed: bool, unreadable: int) -> ExitCode:
    """check's code: 0 when every check passed and every input could be read, else 2."""
    return ExitCode.OK if passed and not unreadable else ExitCode.USAGE
