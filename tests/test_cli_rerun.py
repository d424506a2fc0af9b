"""A batch run again after its rows were fixed: in the results file (retry), in the input, or
both; edited, sorted, extended; and a new file under an earlier file's name.

End to end through ``importer.cli.main`` against the sandbox; its tasks show what was created.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import (
    OTHER_FLOW,
    cli_args,
    edit_results,
    statuses,
    task_rows,
    tasks_by_token,
    write_input,
)
from spreadsheets import read_results

from importer.cli import main
from importer.cli import run as run_command
from importer.sandbox import Sandbox

BROKEN = (2, 5)
"""Indexes of the rows without a Name (spreadsheet rows 4 and 7)."""
UNKNOWN_FLOW = "f10f10f1-0000-4000-8000-0000000dead0"


def broken_rows(n: int = 10) -> list[list[str]]:
    rows = task_rows(n)
    for index in BROKEN:
        rows[index][0] = ""
    return rows


def fix_names(line: dict[str, str]) -> dict[str, str] | None:
    return {"Name": f"Fixed {line['row']}"} if line["status"] == "invalid" else None


def by_row(lines: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {line["row"]: line for line in lines}


def inbox_run(sb: Sandbox, tmp_path: Path, *extra: str) -> list[str]:
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    return cli_args(
        "run", inbox, sb, tmp_path, "--archive-dir", str(archive), "--settle-seconds", "0", *extra
    )


def run_then_retry_the_fixed_rows(
    sb: Sandbox, tmp_path: Path, *extra: str
) -> tuple[Path, dict[str, dict[str, str]]]:
    """An inbox run leaves rows 4 and 7 invalid; ops fix them in the results file and retry.
    The input path and the retried results lines by row."""
    (tmp_path / "inbox").mkdir()
    source = write_input(tmp_path / "inbox" / "tasks.csv", broken_rows())
    assert main(inbox_run(sb, tmp_path, *extra)) == 1
    results = tmp_path / "inbox" / "tasks.results.csv"
    assert statuses(read_results(results)) == {"created": 8, "invalid": 2}
    assert edit_results(results, fix_names) == 2
    assert main(cli_args("retry", results, sb, tmp_path, *extra)) == 0
    retried = by_row(read_results(results))
    assert statuses(retried.values()) == {"created": 10}
    return source, retried


# --- fixed in the results file, then the next tick ------------------------------------------


def test_the_next_inbox_run_keeps_what_retry_created_and_archives_the_file(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    _, retried = run_then_retry_the_fixed_rows(sb, tmp_path)
    assert "Continuing batch 'tasks.csv' (8 of its 10 ClientTokens were sent in it)" in (
        capsys.readouterr().err
    )
    requests = sb.counters()["requests"]

    assert main(inbox_run(sb, tmp_path)) == 0  # the unchanged input: rows 4 and 7 invalid

    assert sb.counters()["requests"] == requests
    archive = tmp_path / "archive"
    assert sorted(p.name for p in archive.iterdir()) == ["tasks.csv", "tasks.results.csv"]
    lines = by_row(read_results(archive / "tasks.results.csv"))
    assert statuses(lines.values()) == {"already_created": 10}
    assert {row: line["contact_id"] for row, line in lines.items()} == {
        row: line["contact_id"] for row, line in retried.items()
    }
    for row in ("4", "7"):
        assert "by retry on " in lines[row]["error_message"]
        assert "nothing was sent" in lines[row]["error_message"]
        assert "Name is required" in lines[row]["error_message"]
    assert len(tasks_by_token(sb)) == 10


def test_rows_fixed_the_same_way_in_the_results_file_and_in_the_input_make_one_task(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source, retried = run_then_retry_the_fixed_rows(sb, tmp_path)
    rows = broken_rows()
    for index in BROKEN:
        rows[index][0] = f"Fixed {index + 2}"
    write_input(source, rows)
    requests = sb.counters()["requests"]

    assert main(inbox_run(sb, tmp_path)) == 0

    assert sb.counters()["requests"] == requests
    lines = by_row(read_results(tmp_path / "archive" / "tasks.results.csv"))
    assert statuses(lines.values()) == {"already_created": 10}
    assert lines["4"]["contact_id"] == retried["4"]["contact_id"]
    assert "with these values" in lines["4"]["error_message"]
    assert len(tasks_by_token(sb)) == 10


def fix_flow(line: dict[str, str]) -> dict[str, str] | None:
    return {"ContactFlowId": OTHER_FLOW} if line["status"] == "failed" else None


def run_with_refused_rows(sb: Sandbox, tmp_path: Path) -> tuple[Path, Path]:
    """A run where rows 4 and 7 name an unknown flow and are refused; input and results."""
    rows = [[f"Task {i}", UNKNOWN_FLOW if i in BROKEN else OTHER_FLOW] for i in range(8)]
    source = write_input(tmp_path / "tasks.csv", rows, ["Name", "ContactFlowId"])
    assert main(cli_args("run", source, sb, tmp_path)) == 1
    results = tmp_path / "tasks.results.csv"
    assert statuses(read_results(results)) == {"created": 6, "failed": 2}
    return source, results


def test_rows_fixed_by_retry_after_a_refusal_are_not_sent_again_from_the_unchanged_input(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source, results = run_with_refused_rows(sb, tmp_path)
    first = by_row(read_results(results))
    assert edit_results(results, fix_flow) == 2
    assert main(cli_args("retry", results, sb, tmp_path)) == 0
    retried = by_row(read_results(results))
    assert retried["4"]["client_token"] != first["4"]["client_token"], "sent as an edit"
    requests = sb.counters()["requests"]

    assert main(cli_args("run", source, sb, tmp_path)) == 0  # the input still names UNKNOWN_FLOW

    assert sb.counters()["requests"] == requests
    lines = by_row(read_results(results))
    assert statuses(lines.values()) == {"already_created": 8}
    for row in ("4", "7"):
        assert lines[row]["contact_id"] == retried[row]["contact_id"]
        assert lines[row]["client_token"] == retried[row]["client_token"]
        assert "as corrected in its results file" in lines[row]["error_message"]
    assert len(tasks_by_token(sb)) == 8


def fixed_and_an_old_copy(sb: Sandbox, tmp_path: Path) -> tuple[Path, Path]:
    """The refused rows' results, fixed, and a copy taken before the fix in which row 4 is
    fixed otherwise and row 7 left as it was (a colleague's); the two paths."""
    _, results = run_with_refused_rows(sb, tmp_path)
    copy = tmp_path / "copy.results.csv"
    copy.write_bytes(results.read_bytes())
    edit_results(results, fix_flow)

    def fix_differently(line: dict[str, str]) -> dict[str, str] | None:
        return {"Name": "Fixed too", **(fix_flow(line) or {})} if line["row"] == "4" else None

    edit_results(copy, fix_differently)
    return results, copy


def test_an_old_copy_of_the_results_file_retried_after_another_retry_sends_nothing(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    results, copy = fixed_and_an_old_copy(sb, tmp_path)
    assert main(cli_args("retry", results, sb, tmp_path)) == 0
    retried = by_row(read_results(results))
    requests = sb.counters()["requests"]

    assert main(cli_args("retry", copy, sb, tmp_path)) == 0

    assert sb.counters()["requests"] == requests
    lines = by_row(read_results(copy))
    assert statuses(lines.values()) == {"created": 6, "already_created": 2}
    for row in ("4", "7"):
        assert lines[row]["contact_id"] == retried[row]["contact_id"]
    assert len(tasks_by_token(sb)) == 8


def test_an_old_copy_of_the_results_file_retried_after_a_retry_lost_its_answers_makes_no_task(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    results, copy = fixed_and_an_old_copy(sb, tmp_path)
    sb.configure(drop_after_rate=1.0)  # the fixed rows' tasks are created, the answers lost
    assert main(cli_args("retry", results, sb, tmp_path, "--max-attempts", "1")) == 1
    assert sb.counters()["created"] == 8
    sb.configure(drop_after_rate=0.0)

    assert main(cli_args("retry", copy, sb, tmp_path)) == 1

    assert sb.counters()["created"] == 8
    tasks_by_token(sb)
    lines = by_row(read_results(copy))
    assert statuses(lines.values()) == {"created": 6, "failed": 2}
    for row in ("4", "7"):
        assert lines[row]["error_code"] == "IdempotentParameterMismatchException"
        assert (
            "a task already exists from this row's earlier values" in (lines[row]["error_message"])
        )


def test_retry_of_a_file_whose_rows_were_all_invalid_continues_the_runs_batch(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    rows = [["", f"Call back customer {i}", f"{i:05d}", "low"] for i in range(3)]
    source = write_input(tmp_path / "tasks.csv", rows)
    results = tmp_path / "tasks.results.csv"
    assert main(cli_args("run", source, sb, tmp_path)) == 1
    assert edit_results(results, fix_names) == 3
    capsys.readouterr()

    assert main(cli_args("retry", results, sb, tmp_path)) == 0

    assert "Continuing batch 'tasks.csv' (run 1 wrote tasks.results.csv)" in capsys.readouterr().err
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    assert statuses(read_results(results)) == {"already_created": 3}
    assert len(tasks_by_token(sb)) == 3


# --- fixed in the input instead ----------------------------------------------------------------


def test_rows_fixed_in_the_input_are_sent_by_the_next_run_and_only_once(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", broken_rows())
    assert main(cli_args("run", source, sb, tmp_path)) == 1
    rows = broken_rows()
    for index in BROKEN:
        rows[index][0] = f"Fixed {index + 2}"
    write_input(source, rows)
    requests = sb.counters()["requests"]

    assert main(cli_args("run", source, sb, tmp_path)) == 0
    assert sb.counters()["requests"] - requests == 2
    lines = by_row(read_results(tmp_path / "tasks.results.csv"))
    assert {row for row, line in lines.items() if line["status"] == "created"} == {"4", "7"}

    assert main(cli_args("run", source, sb, tmp_path)) == 0
    assert sb.counters()["requests"] - requests == 2
    assert statuses(read_results(tmp_path / "tasks.results.csv")) == {"already_created": 10}
    assert len(tasks_by_token(sb)) == 10


# --- edited after its task was created ---------------------------------------------------------


@pytest.mark.parametrize("key", [(), ("--key-column", "Attributes.customer_id")], ids=["", "key"])
def test_rows_edited_after_retry_created_them_are_not_sent_unless_asked(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    key: tuple[str, ...],
) -> None:
    sb = sandbox()
    source, retried = run_then_retry_the_fixed_rows(sb, tmp_path, *key)
    rows = broken_rows()
    for index in BROKEN:  # fixed in the input too, and LibreOffice dropped the leading zeros
        rows[index][0] = f"Fixed {index + 2}"
        rows[index][2] = str(int(rows[index][2]))
    write_input(source, rows)
    requests = sb.counters()["requests"]
    capsys.readouterr()

    assert main(inbox_run(sb, tmp_path, *key)) == 1

    assert sb.counters()["requests"] == requests
    assert "Rows 4, 7: changed since their task was created, so not sent" in (
        capsys.readouterr().err
    )
    results = tmp_path / "inbox" / "tasks.results.csv"
    lines = by_row(read_results(results))
    assert statuses(lines.values()) == {"already_created": 8, "failed": 2}
    for row in ("4", "7"):
        line = lines[row]
        assert line["error_code"] == "EditedAfterCreation"
        assert line["contact_id"] == retried[row]["contact_id"]
        assert f"ContactId {line['contact_id']}" in line["error_message"]
        assert "correct that task in Amazon Connect" in line["error_message"]
        assert "--send-edited" in line["error_message"]
    assert not (tmp_path / "archive").exists()

    assert main(inbox_run(sb, tmp_path, *key, "--send-edited")) == 0

    assert sb.counters()["requests"] - requests == 2
    by_token = tasks_by_token(sb)
    assert len(by_token) == 12
    lines = by_row(read_results(tmp_path / "archive" / "tasks.results.csv"))
    assert statuses(lines.values()) == {"already_created": 8, "created": 2}
    for row in ("4", "7"):
        task = by_token[lines[row]["client_token"]]
        assert task["request"]["Attributes"]["customer_id"] == str(int(row) - 2)
        assert lines[row]["contact_id"] == task["ContactId"] != retried[row]["contact_id"]
    kept = [p for p in (tmp_path / "inbox").iterdir() if p.name.startswith("tasks.results.")]
    assert len(kept) == 1, "the results holding the edited rows' first ContactIds are kept"
    assert by_row(read_results(kept[0]))["4"]["contact_id"] == retried["4"]["contact_id"]


# --- edited in the input after a send whose answer was lost ------------------------------------


def lost_answers_then_edited(
    sb: Sandbox, tmp_path: Path, n: int = 7
) -> tuple[Path, dict[str, dict[str, str]], str]:
    """A run of ``n`` rows, one attempt each, where the sandbox's faults lose some answers;
    then the first row that failed so is edited in the input. The input, the first results
    by row, and the edited row's number."""
    rows = task_rows(n)
    source = write_input(tmp_path / "tasks.csv", rows)
    assert main(cli_args("run", source, sb, tmp_path, "--max-attempts", "1")) == 1
    first = by_row(read_results(tmp_path / "tasks.results.csv"))
    lost = sorted((row for row, line in first.items() if line["status"] == "failed"), key=int)
    assert lost, "the seed loses some answers"
    assert all("a task may have been created" in first[row]["error_message"] for row in lost)
    edited = lost[0]
    rows[int(edited) - 2][1] += ", urgent"  # Description
    write_input(source, rows)
    sb.configure(drop_after_rate=0.0, drop_before_rate=0.0)
    return source, first, edited


@pytest.mark.parametrize(("rate", "n"), [(0.4, 7), (1.0, 3)], ids=["some lost", "all lost"])
def test_a_row_edited_in_the_input_after_its_task_was_created_unanswered_is_not_created_twice(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rate: float,
    n: int,
) -> None:
    sb = sandbox(drop_after_rate=rate, seed=9)  # the task is created, the answer is lost
    source, first, edited = lost_answers_then_edited(sb, tmp_path, n)
    assert sb.counters()["created"] == n
    lost = sum(1 for line in first.values() if line["status"] == "failed")
    capsys.readouterr()

    assert main(cli_args("run", source, sb, tmp_path)) == 1

    assert sb.counters()["created"] == n
    by_token = tasks_by_token(sb)
    lines = by_row(read_results(tmp_path / "tasks.results.csv"))
    expected = Counter(failed=1, created=lost - 1, already_created=n - lost)
    assert statuses(lines.values()) == +expected
    line = lines[edited]
    assert (line["status"], line["client_token"]) == ("failed", first[edited]["client_token"])
    assert line["error_code"] == "IdempotentParameterMismatchException"
    assert line["contact_id"] == "", "the earlier attempt's answer, and its ContactId, were lost"
    assert "a task already exists from this row's earlier values" in line["error_message"]
    assert "so its ContactId is not known" in line["error_message"]
    assert "run again with --send-edited" in line["error_message"]
    assert by_token[line["client_token"]]["request"]["Description"] == (
        f"Call back customer {int(edited) - 2}"
    )
    err = capsys.readouterr().err
    assert f"Row {edited}: changed since a send whose answer was lost" in err
    assert f"Row {edited}: edited after a task had already been created from each" in err
    for row, other in lines.items():
        if row != edited:
            assert other["contact_id"] == by_token[other["client_token"]]["ContactId"]

    assert main(cli_args("run", source, sb, tmp_path, "--send-edited")) == 0

    by_token = tasks_by_token(sb)
    assert len(by_token) == n + 1
    line = by_row(read_results(tmp_path / "tasks.results.csv"))[edited]
    assert line["status"] == "created"
    assert by_token[line["client_token"]]["request"]["Description"].endswith(", urgent")
    requests = sb.counters()["requests"]
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    assert sb.counters()["requests"] == requests


def test_a_row_edited_in_the_input_after_a_send_that_created_nothing_is_created_once(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(drop_before_rate=0.4, seed=9)  # the connection drops, nothing is created
    source, first, edited = lost_answers_then_edited(sb, tmp_path)
    created = sb.counters()["created"]
    assert created < 7

    assert main(cli_args("run", source, sb, tmp_path)) == 0

    assert sb.counters()["created"] == 7
    by_token = tasks_by_token(sb)
    line = by_row(read_results(tmp_path / "tasks.results.csv"))[edited]
    assert (line["status"], line["client_token"]) == ("created", first[edited]["client_token"])
    task = by_token[line["client_token"]]
    assert task["request"]["Description"].endswith(", urgent")
    assert line["contact_id"] == task["ContactId"]
    assert "sent with the ClientToken of an earlier attempt" in line["error_message"]

    requests = sb.counters()["requests"]
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    assert sb.counters()["requests"] == requests
    line = by_row(read_results(tmp_path / "tasks.results.csv"))[edited]
    assert (line["status"], line["contact_id"]) == ("already_created", task["ContactId"])


def test_sorted_lines_and_a_line_inserted_in_the_middle_send_only_the_new_line(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    rows = task_rows(10)
    source = write_input(tmp_path / "tasks.csv", rows)
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    first = {line["Name"]: line for line in read_results(tmp_path / "tasks.results.csv")}
    moved = sorted(rows, key=lambda row: row[3])  # sorted by priority
    new = ["Task new", "Call back the new customer", "00777", "high"]
    write_input(source, [*moved[:4], new, *moved[4:]])
    requests = sb.counters()["requests"]

    assert main(cli_args("run", source, sb, tmp_path)) == 0

    assert sb.counters()["requests"] - requests == 1
    lines = read_results(tmp_path / "tasks.results.csv")
    assert statuses(lines) == {"already_created": 10, "created": 1}
    assert [line["Name"] for line in lines if line["status"] == "created"] == ["Task new"]
    for line in lines:
        if line["Name"] != "Task new":
            assert line["contact_id"] == first[line["Name"]]["contact_id"]
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    assert sb.counters()["requests"] - requests == 1
    assert len(tasks_by_token(sb)) == 11


def test_a_row_whose_scheduled_time_has_passed_since_its_task_was_created_is_already_created(
    sandbox: Callable[..., Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox()
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [[*row, soon] for row in task_rows(3)]
    header = ["Name", "Description", "Attributes.customer_id", "Attributes.priority"]
    source = write_input(tmp_path / "tasks.csv", rows, [*header, "ScheduledTime"])
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    first = by_row(read_results(tmp_path / "tasks.results.csv"))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    options = run_command.run_options
    monkeypatch.setattr(
        run_command, "run_options", lambda args: dataclasses.replace(options(args), now=later)
    )

    assert main(cli_args("run", source, sb, tmp_path)) == 0

    lines = by_row(read_results(tmp_path / "tasks.results.csv"))
    assert statuses(lines.values()) == {"already_created": 3}
    assert all(lines[row]["contact_id"] == first[row]["contact_id"] for row in first)
    assert "is in the past" in lines["2"]["error_message"]
    assert len(tasks_by_token(sb)) == 3


# --- a new file under an old name --------------------------------------------------------------


def test_a_new_file_under_an_old_name_is_sent_with_a_warning_and_the_old_results_are_kept(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "callbacks.csv", task_rows(6))
    run = cli_args("run", inbox, sb, tmp_path, "--settle-seconds", "0")
    assert main(run) == 0
    monday = read_results(inbox / "callbacks.results.csv")
    write_input(inbox / "callbacks.csv", [*task_rows(5, start=100), *task_rows(1)])
    capsys.readouterr()

    assert main(run) == 0

    err = capsys.readouterr().err
    assert "batch 'callbacks.csv' already created 6 tasks, the last by run on " in err
    assert "(journal run 1), but only 1 of this file's 6 rows match them" in err
    assert "own name (a date in it" in err and "--batch-id" in err
    tuesday = read_results(inbox / "callbacks.results.csv")
    assert statuses(tuesday) == {"created": 5, "already_created": 1}
    assert len(tasks_by_token(sb)) == 11
    (kept,) = [p for p in inbox.iterdir() if p.name.startswith("callbacks.results.2")]
    assert f"it is kept as {kept}" in err
    assert read_results(kept) == monday

    requests = sb.counters()["requests"]
    assert main(run) == 0, "the kept results are not read as an input"
    assert sb.counters()["requests"] == requests
