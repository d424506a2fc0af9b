"""`task-importer retry` end to end: fix rows in the results file, re-send only those.

Real CLI in-process, real boto3, the local Connect sandbox; its counters show what was sent.
Nothing here asserts on time: counts only.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from cli_runs import FLOW, OTHER_FLOW, cli_args, edit_results, statuses, tasks_by_token
from spreadsheets import read_csv, read_results, write_csv, write_xlsx

from importer.cli import main
from importer.journal import Journal, JournalStatus
from importer.results import unprotect
from importer.sandbox import Sandbox

UNKNOWN_FLOW = "f10f10f1-0000-4000-8000-0000000dead0"


def write_tasks(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    return write_csv(path, [list(header), *rows])


# --- fixing rows in place ------------------------------------------------------------------


def test_invalid_rows_fixed_in_the_results_file_are_the_only_ones_sent(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    broken = {4, 9, 15}
    rows = [["" if i in broken else f"Task {i}", f"Description {i}", f"{i:05d}"] for i in range(20)]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description", "Attributes.x"], rows)
    results = tmp_path / "tasks.results.csv"

    assert main(cli_args("run", source, sb, tmp_path)) == 1
    first = read_results(results)
    assert statuses(first) == {"created": 17, "invalid": 3}
    assert {int(line["row"]) - 2 for line in first if line["status"] == "invalid"} == broken
    before = sb.counters()
    assert before["created"] == 17
    capsys.readouterr()

    def fix(line: dict[str, str]) -> dict[str, str] | None:
        if line["status"] != "invalid":
            return None
        return {"Name": f"- fixed task {line['row']}"}  # '-': written as '- ..., read back as -

    assert edit_results(results, fix) == 3
    assert main(cli_args("retry", results, sb, tmp_path)) == 0

    assert "Retrying 3 of 20 rows (17 already created)" in capsys.readouterr().err
    after = sb.counters()
    assert after["requests"] - before["requests"] == 3
    assert after["created"] == 20
    by_token = tasks_by_token(sb)
    lines = read_results(results)
    assert [line["row"] for line in lines] == [str(n) for n in range(2, 22)]
    assert statuses(lines) == {"created": 20}
    old = {line["row"]: line for line in first}
    for line in lines:
        task = by_token[line["client_token"]]
        assert line["contact_id"] == task["ContactId"]
        if old[line["row"]]["status"] == "created":
            assert (line["client_token"], line["contact_id"]) == (
                old[line["row"]]["client_token"],
                old[line["row"]]["contact_id"],
            )
        else:
            assert task["request"]["Name"] == f"- fixed task {line['row']}"
            assert unprotect(line["Name"]) == task["request"]["Name"]
            assert task["request"]["Attributes"] == {"x": line["Attributes.x"]}

    assert main(cli_args("retry", results, sb, tmp_path)) == 0
    assert sb.counters()["requests"] == after["requests"]
    assert statuses(read_results(results)) == {"created": 20}


def test_failed_rows_fixed_in_the_results_file_get_created(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    header = ["Name", "Description", "ContactFlowId", "Attributes.customer_id"]
    wrong = {3, 12}
    rows = [
        [
            f"Task {i}",
            f"-urgent: order {i}" if i in wrong else f"Order {i}",
            UNKNOWN_FLOW if i in wrong else FLOW,
            f"{i:05d}",
        ]
        for i in range(20)
    ]
    source = write_tasks(tmp_path / "tasks.csv", header, rows)
    results = tmp_path / "tasks.results.csv"

    assert main(cli_args("run", source, sb, tmp_path)) == 1
    first = read_results(results)
    assert statuses(first) == {"created": 18, "failed": 2}
    failed = [line for line in first if line["status"] == "failed"]
    assert {int(line["row"]) - 2 for line in failed} == wrong
    for line in failed:
        assert line["error_code"] == "ResourceNotFoundException"
        assert UNKNOWN_FLOW in line["error_message"]
    before = sb.counters()
    assert before["created"] == 18

    def fix(line: dict[str, str]) -> dict[str, str] | None:
        return {"ContactFlowId": OTHER_FLOW} if line["status"] == "failed" else None

    assert edit_results(results, fix) == 2
    assert main(cli_args("retry", results, sb, tmp_path)) == 0

    after = sb.counters()
    assert after["requests"] - before["requests"] == 2
    assert after["created"] == 20
    by_token = tasks_by_token(sb)
    lines = read_results(results)
    assert statuses(lines) == {"created": 20}
    old_tokens = {line["row"]: line["client_token"] for line in first}
    for line in lines:
        task = by_token[line["client_token"]]
        assert line["contact_id"] == task["ContactId"]
        if int(line["row"]) - 2 in wrong:
            assert line["client_token"] != old_tokens[line["row"]], "edited row kept its token"
            assert task["request"]["ContactFlowId"] == OTHER_FLOW
            assert task["request"]["Description"] == f"-urgent: order {int(line['row']) - 2}"
        else:
            assert line["client_token"] == old_tokens[line["row"]]


def test_unchanged_rows_are_retried_with_the_tokens_they_were_sent_with(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(access_denied=True)
    rows = [[f"Task {i}", f"Description {i}"] for i in range(30)]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description"], rows)
    results = tmp_path / "tasks.results.csv"

    assert main(cli_args("run", source, sb, tmp_path)) == 3
    first = read_results(results)
    assert set(statuses(first)) == {"failed", "not_attempted"}
    sent_before = sb.counters()["requests"]

    sb.configure(access_denied=False)
    assert main(cli_args("retry", results, sb, tmp_path)) == 0

    assert sb.counters()["requests"] - sent_before == 30
    by_token = tasks_by_token(sb)
    assert set(by_token) == {line["client_token"] for line in first}
    lines = read_results(results)
    assert statuses(lines) == {"created": 30}
    assert [line["client_token"] for line in lines] == [line["client_token"] for line in first]

    # The input file itself now needs nothing: same tokens, all in the journal.
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    assert sb.counters()["created"] == 30
    assert statuses(read_results(results)) == {"already_created": 30}


def test_retrying_validate_results_sends_the_tokens_run_would_send(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    rows = [[f"Task {i}", f"Description {i}"] for i in range(12)]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description"], rows)
    results = tmp_path / "tasks.results.csv"
    validate = cli_args("validate", source, sb, tmp_path)[:6]  # INPUT + mapping options only

    assert main(validate) == 0
    validated = read_results(results)
    assert statuses(validated) == {"valid": 12}

    assert main(cli_args("retry", results, sb, tmp_path)) == 0
    assert set(tasks_by_token(sb)) == {line["client_token"] for line in validated}
    assert sb.counters()["created"] == 12

    requests = sb.counters()["requests"]
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    assert sb.counters()["requests"] == requests
    assert statuses(read_results(results)) == {"already_created": 12}


def test_a_formula_typed_into_the_workbook_without_a_saved_result_is_an_error_not_an_empty_cell(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    sb = sandbox()
    rows = [["" if i == 1 else f"Task {i}", f"Description {i}"] for i in range(3)]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description"], rows)
    results = tmp_path / "out.xlsx"
    assert main(cli_args("run", source, sb, tmp_path, "--results", str(results))) == 1
    workbook = load_workbook(results)
    sheet = workbook["Results"]
    header = [cell.value for cell in sheet[1]]
    row_3 = sheet[3]
    row_3[header.index("Name")].value = "Task 1"
    row_3[header.index("Description")].value = '=CONCAT("Descr", "iption 1")'  # no result saved
    workbook.save(results)
    requests = sb.counters()["requests"]

    assert main(cli_args("retry", results, sb, tmp_path)) == 1

    assert sb.counters()["requests"] == requests, "a row with an unreadable cell was sent"
    line = {line["row"]: line for line in read_results(results)}["3"]
    assert line["status"] == "invalid"
    assert "formula whose result is not saved" in line["error_message"]

    # In a results column it is the file's error: such a line cannot be matched safely.
    workbook = load_workbook(results)
    workbook["Results"]["A3"].value = "=1+2"
    workbook.save(results)
    capsys.readouterr()
    assert main(cli_args("retry", results, sb, tmp_path)) == 2
    assert "row 3, column 'row': cell A3 holds a formula" in capsys.readouterr().err
    assert sb.counters()["requests"] == requests


def test_retry_of_an_xlsx_results_file(sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sb = sandbox()
    rows = [["" if i == 2 else f"Task {i}", f"Description {i}"] for i in range(6)]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description"], rows)
    results = tmp_path / "out.xlsx"

    assert main(cli_args("run", source, sb, tmp_path, "--results", str(results))) == 1
    workbook = load_workbook(results)
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    fixed = 0
    for cells in sheet.iter_rows(min_row=2):
        if cells[header.index("status")].value == "invalid":
            cells[header.index("Name")].value = "'quoted name"
            fixed += 1
    workbook.move_sheet("Summary", offset=-1)  # a person put the Summary first
    workbook.active = 0
    workbook.save(results)
    assert fixed == 1

    assert main(cli_args("retry", results, sb, tmp_path)) == 0

    assert sb.counters()["requests"] == 6
    names = {task["request"]["Name"] for task in tasks_by_token(sb).values()}
    assert "'quoted name" in names  # xlsx cells are never unprotected
    sheet = load_workbook(results)["Results"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("status")
    assert [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["created"] * 6


def test_a_results_file_with_a_repeated_row_number_is_refused(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    rows = [["A", "first"], ["", "no name"], ["C", "third"]]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description"], rows)
    results = tmp_path / "tasks.results.csv"
    assert main(cli_args("run", source, sb, tmp_path)) == 1
    with results.open(encoding="utf-8-sig", newline="") as stream:
        header, *lines = list(csv.reader(stream))
    with results.open("w", encoding="utf-8-sig", newline="") as stream:
        csv.writer(stream).writerows([header, *lines, lines[1]])
    requests = sb.counters()["requests"]

    assert main(cli_args("retry", results, sb, tmp_path)) == 2

    assert "appears twice" in capsys.readouterr().err
    assert sb.counters()["requests"] == requests


def test_retry_refuses_a_results_path_it_cannot_write_before_sending(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(access_denied=True)
    source = write_tasks(tmp_path / "tasks.csv", ["Name"], [["A"], ["B"]])
    results = tmp_path / "tasks.results.csv"
    assert main(cli_args("run", source, sb, tmp_path)) == 3
    sb.configure(access_denied=False)
    requests = sb.counters()["requests"]

    args = cli_args("retry", results, sb, tmp_path, "--results", str(tmp_path / "merged.ods"))
    assert main(args) == 2

    assert "must end in .csv or .xlsx" in capsys.readouterr().err
    assert sb.counters()["requests"] == requests
    assert sb.counters()["created"] == 0


# --- a results file a person edited: sorted, fixed, lines deleted and added ----------------


def edit_workbook(path: Path, edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    """Rewrite the Results sheet from ``edit(lines)``, as a person editing in Excel would.

    Lines are dicts of text ("" for an empty cell); a line missing a column leaves it empty.
    """
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    sheet = workbook["Results"]
    header, *rows = [["" if v is None else str(v) for v in row] for row in sheet.values]
    lines = edit([dict(zip(header, row, strict=True)) for row in rows])
    workbook.remove(sheet)
    sheet = workbook.create_sheet("Results", 0)
    for values in [header, *([line.get(name, "") for name in header] for line in lines)]:
        sheet.append([value or None for value in values])
    workbook.save(path)


def test_a_workbook_sorted_fixed_pruned_and_extended_sends_only_the_fixes_and_the_new_row(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    header = ["Name", "Description", "ScheduledTime"]
    rows = [[f"Task {i}", f"Description {i}", ""] for i in range(12)]
    rows[2][0] = rows[8][0] = ""  # rows 4 and 10: no Name
    rows[5][2] = "next tuesday"  # row 7: not a time
    source = write_xlsx(tmp_path / "tasks.xlsx", [header, *rows])
    results = tmp_path / "tasks.results.xlsx"  # the default for an Excel input
    batch = ("--batch-id", "march")  # the same batch: a copied row must still be a new task

    assert main(cli_args("run", source, sb, tmp_path, *batch)) == 1
    first = {line["row"]: line for line in read_results(results)}
    assert statuses(list(first.values())) == {"created": 9, "invalid": 3}
    before = sb.counters()

    def person(lines: list[dict[str, str]]) -> list[dict[str, str]]:
        kept = [line for line in lines if line["status"] != "created" or line["row"] in ("2", "3")]
        for line in kept:
            if line["row"] == "4":
                line["Name"] = "Fixed four"
            if line["row"] == "7":
                line["ScheduledTime"] = ""
        kept.sort(key=lambda line: line["Name"], reverse=True)
        copy = {name: first["2"][name] for name in header}  # row 2's cells, copied by hand
        return [*kept, copy]

    edit_workbook(results, person)
    assert main(cli_args("retry", results, sb, tmp_path, *batch)) == 1  # row 10 still bad

    after = sb.counters()
    assert after["requests"] - before["requests"] == 3
    assert after["created"] - before["created"] == 3
    by_token = tasks_by_token(sb)
    lines = read_results(results)
    assert [line["row"] for line in lines] == ["2", "3", "4", "7", "10", "11"]
    got = {line["row"]: line for line in lines}
    assert statuses(lines) == {"created": 5, "invalid": 1}
    for row in ("2", "3"):
        assert got[row]["contact_id"] == first[row]["contact_id"]
        assert got[row]["client_token"] == first[row]["client_token"]
    assert by_token[got["4"]["client_token"]]["request"]["Name"] == "Fixed four"
    assert "ScheduledTime" not in by_token[got["7"]["client_token"]]["request"]
    new = by_token[got["11"]["client_token"]]
    assert new["request"]["Name"] == "Task 0"
    assert got["11"]["contact_id"] == new["ContactId"] != got["2"]["contact_id"]
    assert got["10"]["status"] == "invalid"

    requests = after["requests"]
    assert main(cli_args("retry", results, sb, tmp_path, *batch)) == 1
    assert sb.counters()["requests"] == requests


def test_retrying_the_same_file_again_does_not_create_added_rows_twice(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description"], [["A", "a"], ["B", "b"]])
    results = tmp_path / "tasks.results.csv"
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    with results.open("a", encoding="utf-8", newline="") as stream:
        empty = [""] * 7  # row, status, contact_id, ... client_token: a line a person added
        csv.writer(stream).writerows([[*empty, "A", "a"], [*empty, "A", "a"]])

    # The first retry dies before writing the results back: they went elsewhere.
    elsewhere = tmp_path / "lost.results.csv"
    assert main(cli_args("retry", results, sb, tmp_path, "--results", str(elsewhere))) == 0
    assert sb.counters()["created"] == 4  # two identical added rows: two tasks
    lost = read_results(elsewhere)
    assert [line["row"] for line in lost] == ["2", "3", "4", "5"]

    fresh_journal = ("--journal", str(tmp_path / "another-journal.sqlite3"))
    assert main(cli_args("retry", results, sb, tmp_path, *fresh_journal)) == 0
    assert sb.counters()["created"] == 4
    tasks_by_token(sb)
    again = read_results(results)
    assert [(line["client_token"], line["contact_id"]) for line in again] == [
        (line["client_token"], line["contact_id"]) for line in lost
    ]


def test_a_line_added_without_a_row_number_that_says_created_is_refused(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_tasks(tmp_path / "tasks.csv", ["Name"], [["A"], ["B"]])
    results = tmp_path / "tasks.results.csv"
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    lines = read_csv(results)
    copied = ["", *lines[1][1:]]  # a created line copied, its row number cleared
    write_csv(results, [*lines, copied])
    requests = sb.counters()["requests"]

    assert main(cli_args("retry", results, sb, tmp_path)) == 2

    err = capsys.readouterr().err
    assert "row 4: the 'row' cell is empty but the line says the task was created" in err
    assert sb.counters()["requests"] == requests


def test_deleted_lines_are_not_sent_nor_written_back_nor_forgotten(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    rows = [["" if i in (1, 3) else f"Task {i}", f"Description {i}"] for i in range(6)]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description"], rows)
    results = tmp_path / "tasks.results.csv"
    assert main(cli_args("run", source, sb, tmp_path)) == 1  # rows 3 and 5 invalid
    assert sb.counters()["created"] == 4

    header, *lines = read_csv(results)
    kept = [line for line in lines if line[0] not in ("2", "3")]  # one created, one invalid
    for line in kept:
        if line[0] == "5":
            line[header.index("Name")] = "Fixed five"
    write_csv(results, [header, *kept])

    assert main(cli_args("retry", results, sb, tmp_path)) == 0
    assert sb.counters()["created"] == 5
    assert [line["row"] for line in read_results(results)] == ["4", "5", "6", "7"]

    fixed = {line["row"]: line for line in read_results(results)}["5"]
    requests = sb.counters()["requests"]
    assert main(cli_args("run", source, sb, tmp_path)) == 1  # row 3 is still invalid there
    assert sb.counters()["requests"] == requests
    lines = read_results(results)
    assert statuses(lines) == {"already_created": 5, "invalid": 1}
    row5 = {line["row"]: line for line in lines}["5"]  # invalid in the input, fixed by retry
    assert (row5["status"], row5["contact_id"]) == ("already_created", fixed["contact_id"])


# --- rows whose first attempt may have created a task ---------------------------------------


def test_rows_with_an_empty_client_token_cell_are_retried_with_their_recorded_tokens(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    # 3 of the 7 requests create their task and lose the answer (seeded), so their rows fail
    # although the task exists; only rows 2 and 5 name their own ClientToken, so at least one
    # failed row has an empty ClientToken cell and must be resent with its recorded token.
    sb = sandbox(drop_after_rate=0.4, seed=9)
    rows = [
        [f"Task {i}", f"Description {i}", f"own-token-{i}" if i in (0, 3) else ""] for i in range(7)
    ]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description", "ClientToken"], rows)
    results = tmp_path / "tasks.results.csv"

    assert main(cli_args("run", source, sb, tmp_path, "--max-attempts", "1")) == 1
    first = read_results(results)
    assert statuses(first) == {"created": 4, "failed": 3}
    assert {line["error_code"] for line in first if line["status"] == "failed"} == {
        "ConnectionClosedError"
    }
    assert sb.counters()["created"] == 7

    sb.configure(drop_after_rate=0.0)
    assert main(cli_args("retry", results, sb, tmp_path)) == 0

    assert sb.counters()["created"] == 7
    by_token = tasks_by_token(sb)
    lines = read_results(results)
    assert statuses(lines) == {"created": 7}
    assert [line["client_token"] for line in lines] == [line["client_token"] for line in first]
    for line in lines:
        assert line["contact_id"] == by_token[line["client_token"]]["ContactId"]


def _lost_answers_run(sb: Sandbox, tmp_path: Path) -> tuple[Path, dict[str, dict[str, str]]]:
    """Run 3 rows with --max-attempts 1 so each fails on a dropped connection (the sandbox
    decides whether the task was created); the results path and its lines by row."""
    rows = [[f"Task {i}", f"Call back about order {i}"] for i in range(3)]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description"], rows)
    assert main(cli_args("run", source, sb, tmp_path, "--max-attempts", "1")) == 1
    results = tmp_path / "tasks.results.csv"
    first = {line["row"]: line for line in read_results(results)}
    assert statuses(list(first.values())) == {"failed": 3}
    assert {line["error_code"] for line in first.values()} == {"ConnectionClosedError"}
    return results, first


def _fix_row_4(line: dict[str, str]) -> dict[str, str] | None:
    return {"Description": "Call back about order 2, urgent"} if line["row"] == "4" else None


def test_an_edited_row_whose_first_attempt_created_its_task_is_not_created_twice(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(drop_after_rate=1.0)  # every task is created, every answer is lost
    results, first = _lost_answers_run(sb, tmp_path)
    assert sb.counters()["created"] == 3
    sb.configure(drop_after_rate=0.0)

    assert edit_results(results, _fix_row_4) == 1
    assert main(cli_args("retry", results, sb, tmp_path)) == 1

    assert sb.counters()["created"] == 3
    by_token = tasks_by_token(sb)
    got = {line["row"]: line for line in read_results(results)}
    assert statuses(list(got.values())) == {"created": 2, "failed": 1}
    row4 = got["4"]
    assert (row4["status"], row4["client_token"]) == ("failed", first["4"]["client_token"])
    assert row4["error_code"] == "IdempotentParameterMismatchException"
    assert "a task already exists from this row's earlier values" in row4["error_message"]
    assert "clear this row's client_token cell" in row4["error_message"]
    task = by_token[row4["client_token"]]
    assert task["request"]["Description"] == "Call back about order 2"

    # Doing what the message says creates one task with the edited values, once.
    assert edit_results(results, lambda line: {"client_token": ""} if line["row"] == "4" else None)
    assert main(cli_args("retry", results, sb, tmp_path)) == 0
    assert sb.counters()["created"] == 4
    row4 = {line["row"]: line for line in read_results(results)}["4"]
    assert row4["status"] == "created"
    task = tasks_by_token(sb)[row4["client_token"]]
    assert task["request"]["Description"] == "Call back about order 2, urgent"
    requests = sb.counters()["requests"]
    assert main(cli_args("retry", results, sb, tmp_path)) == 0
    assert sb.counters()["requests"] == requests


def test_a_lost_answer_is_remembered_through_a_later_refusal_so_an_edit_makes_no_second_task(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(drop_after_rate=1.0)  # every task is created, every answer is lost
    results, first = _lost_answers_run(sb, tmp_path)
    with results.open(encoding="utf-8-sig") as stream:
        header, *lines = stream.read().splitlines()
    row_4_alone = tmp_path / "row4.results.csv"
    row_4_alone.write_text("\n".join([header, *(x for x in lines if x.startswith("4,"))]) + "\n")
    sb.configure(drop_after_rate=0.0, access_denied=True)
    assert main(cli_args("retry", row_4_alone, sb, tmp_path)) == 3  # the journal: refused
    assert read_results(row_4_alone)[0]["error_code"] == "AccessDeniedException"
    sb.configure(access_denied=False)

    assert edit_results(results, _fix_row_4) == 1
    main(cli_args("retry", results, sb, tmp_path))

    assert sb.counters()["created"] == 3, "the edit made a second task for row 4"
    row4 = {line["row"]: line for line in read_results(results)}["4"]
    assert row4["client_token"] == first["4"]["client_token"]
    assert row4["error_code"] == "IdempotentParameterMismatchException"


def test_rows_sent_before_a_run_stopped_are_retried_with_their_tokens_even_when_edited(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(latency_ms=(5_000, 5_000))  # tasks are created, answers come too late
    rows = [[f"Task {i}", f"Call back about order {i}"] for i in range(12)]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description"], rows)
    args = ["--read-timeout", "0.2", "--concurrency", "2"]
    assert main(cli_args("run", source, sb, tmp_path, *args)) == 3  # nothing ever answered
    results = tmp_path / "tasks.results.csv"
    first = {line["row"]: line for line in read_results(results)}
    sent = {row for row, line in first.items() if line["attempts"]}
    assert {first[row]["status"] for row in sent} == {"failed"}
    assert {line["status"] for row, line in first.items() if row not in sent} == {"not_attempted"}
    created = sb.counters()["created"]
    assert created == len(sent)
    edited = min(sent, key=int)
    sb.configure(latency_ms=(0, 0))

    assert edit_results(results, lambda line: {"Name": "Edited"} if line["row"] == edited else None)
    assert main(cli_args("retry", results, sb, tmp_path)) == 1

    assert sb.counters()["created"] == created + 12 - len(sent), "an edit made a second task"
    tasks_by_token(sb)
    got = {line["row"]: line for line in read_results(results)}
    assert (got[edited]["status"], got[edited]["client_token"]) == (
        "failed",
        first[edited]["client_token"],
    )
    assert got[edited]["error_code"] == "IdempotentParameterMismatchException"
    assert {got[row]["status"] for row in sent - {edited}} == {"already_created"}
    assert {line["status"] for row, line in got.items() if row not in sent} == {"created"}


def test_an_edited_row_whose_first_attempt_created_nothing_is_created_once(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(drop_before_rate=1.0)  # every connection drops before a task is created
    results, first = _lost_answers_run(sb, tmp_path)
    assert sb.counters()["created"] == 0
    sb.configure(drop_before_rate=0.0)

    assert edit_results(results, _fix_row_4) == 1
    assert main(cli_args("retry", results, sb, tmp_path)) == 0

    assert sb.counters()["created"] == 3
    by_token = tasks_by_token(sb)
    lines = read_results(results)
    assert statuses(lines) == {"created": 3}
    assert [line["client_token"] for line in lines] == [first[row]["client_token"] for row in first]
    row4 = {line["row"]: line for line in lines}["4"]
    task = by_token[row4["client_token"]]
    assert task["request"]["Description"] == "Call back about order 2, urgent"
    assert row4["contact_id"] == task["ContactId"]
    assert "sent with the ClientToken of an earlier attempt" in row4["error_message"]


# --- results written by version 0.1.0 ----------------------------------------------------------


@pytest.mark.parametrize("exists", [True, False], ids=["task exists", "nothing was created"])
def test_a_line_that_says_created_without_a_contact_id_is_resent_with_its_token(
    sandbox: Callable[..., Sandbox], tmp_path: Path, exists: bool
) -> None:
    sb = sandbox()
    rows = [[f"Task {i}", f"Call back about order {i}"] for i in range(3)]
    source = write_tasks(tmp_path / "tasks.csv", ["Name", "Description"], rows)
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    results = tmp_path / "tasks.results.csv"
    first = {line["row"]: line for line in read_results(results)}
    token = first["3"]["client_token"]
    # What version 0.1.0 wrote for a 200 answer without a ContactId: created, without one.
    assert edit_results(results, lambda line: {"contact_id": ""} if line["row"] == "3" else None)
    with Journal(tmp_path / "j.sqlite3") as journal:
        entry = journal.lookup(token)
        assert entry is not None
        journal.mark_in_flight(
            token, row_number=3, batch_id=entry.batch_id, request_sha256=entry.request_sha256
        )
        journal.record(token, JournalStatus.CREATED, attempts=1, contact_id="")
    if not exists:
        sb = sandbox()  # an Amazon Connect that never saw the request (a proxy answered)
    requests = sb.counters()["requests"]

    assert main(cli_args("retry", results, sb, tmp_path)) == 0

    assert sb.counters()["requests"] - requests == 1, "only that line is sent"
    (task,) = [task for task in sb.tasks() if task["ClientToken"] == token]
    assert len(sb.tasks()) == (3 if exists else 1)
    lines = {line["row"]: line for line in read_results(results)}
    assert (lines["3"]["status"], lines["3"]["client_token"]) == ("already_created", token)
    assert lines["3"]["contact_id"] == task["ContactId"]
    assert lines["3"]["error_message"].startswith("reconciled: ")
    if exists:
        assert task["ContactId"] == first["3"]["contact_id"]
    assert {row: lines[row]["contact_id"] for row in ("2", "4")} == {
        row: first[row]["contact_id"] for row in ("2", "4")
    }
    requests = sb.counters()["requests"]
    assert main(cli_args("retry", results, sb, tmp_path)) == 0
    assert sb.counters()["requests"] == requests


# --- results that cannot be uploaded -----------------------------------------------------------


def test_results_that_cannot_be_uploaded_are_kept_locally_and_the_run_is_recorded(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sb = sandbox(access_denied=True)
    source = write_tasks(tmp_path / "tasks.csv", ["Name"], [["A"], ["B"]])
    results = tmp_path / "tasks.results.csv"
    assert main(cli_args("run", source, sb, tmp_path)) == 3
    sb.configure(access_denied=False)
    workdir = tmp_path / "ops"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    summary = tmp_path / "retry.json"
    target = "s3://ops-drop/out/merged.results.csv"
    capsys.readouterr()

    args = cli_args("retry", results, sb, tmp_path, "--results", target)
    assert main([*args, "--summary-json", str(summary)]) == 1

    assert sb.counters()["created"] == 2
    kept = workdir / "merged.results.csv"
    assert statuses(read_results(kept)) == {"created": 2}
    err = capsys.readouterr().err
    assert f"cannot write {target}" in err
    assert str(kept) in err
    report = json.loads(summary.read_text(encoding="utf-8"))
    assert report["exit_code"] == 1
    assert "results not saved" in report["exit_reason"]
    with sqlite3.connect(tmp_path / "j.sqlite3") as db:
        finished, code = db.execute(
            "SELECT finished_at, exit_code FROM runs ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
    assert finished is not None and code == 1

    requests = sb.counters()["requests"]
    assert main(cli_args("retry", kept, sb, tmp_path)) == 0
    assert sb.counters()["requests"] == requests
    assert statuses(read_results(kept)) == {"created": 2}
