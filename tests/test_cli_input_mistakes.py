"""Ordinary mistakes with input files, end to end through the CLI and the sandbox.

A results file given as input (whatever its name), an id whose leading zeros come from a
number format, control characters pasted into a cell, an empty inbox.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import (
    HEADER,
    cli_args,
    log_messages,
    results_of,
    statuses,
    task_rows,
    tasks_by_token,
    validate_args,
    write_input,
)
from spreadsheets import read_results, write_raw_xlsx

from importer.cli import main
from importer.results import RESULT_COLUMNS
from importer.sandbox import Sandbox

RESULTS_FILE = "this is a results file: use `task-importer retry {path}`"


def refused(path: Path) -> str:
    return f"{path}: {RESULTS_FILE.format(path=path)}"


def results_workbook(tmp_path: Path, sb: Sandbox) -> Path:
    """The results workbook of a run that created 3 tasks."""
    source = write_input(tmp_path / "book.csv", task_rows(3, start=50))
    results = tmp_path / "book.results.xlsx"
    assert main(cli_args("run", source, sb, tmp_path, "--results", str(results))) == 0
    return results


# --- a results file given as input ----------------------------------------------------------


def test_run_refuses_a_results_file_whatever_it_is_called(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(5))
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    csv_results = tmp_path / "tasks.results.csv"
    fixed = Path(shutil.copy(csv_results, tmp_path / "fixed.csv"))
    book = results_workbook(tmp_path, sb)
    renamed = Path(shutil.copy(book, tmp_path / "x.xlsx"))
    moved = tmp_path / "moved.xlsx"  # a person dragged the Results sheet after Summary
    workbook = load_workbook(book)
    workbook.move_sheet("Results", offset=1)
    workbook.save(moved)
    assert load_workbook(moved).sheetnames == ["Summary", "Results"]
    before = sb.counters()
    capsys.readouterr()

    for given in (csv_results, fixed, renamed, moved):
        assert main(cli_args("run", given, sb, tmp_path)) == 2, given
        assert refused(given) in capsys.readouterr().err
    assert main(cli_args("run", moved, sb, tmp_path, "--sheet", "Results")) == 2
    assert refused(moved) in capsys.readouterr().err

    assert sb.counters() == before, "a results file sent rows again"
    assert len(tasks_by_token(sb)) == 8
    assert not (tmp_path / "fixed.results.csv").exists()


def test_validate_and_check_refuse_a_results_file_and_read_the_other_inputs(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    renamed = Path(shutil.copy(results_workbook(tmp_path, sb), tmp_path / "callbacks.xlsx"))
    other = write_input(tmp_path / "new.csv", task_rows(2))
    before = sb.counters()
    capsys.readouterr()

    assert main(validate_args(renamed)) == 2
    assert refused(renamed) in capsys.readouterr().err
    assert not (tmp_path / "callbacks.results.xlsx").exists()

    assert main(validate_args(renamed, other)) == 1  # one file refused, one valid
    err = capsys.readouterr().err
    assert refused(renamed) in err and "2 rows: 2 valid, 0 invalid" in err

    assert main(["check", str(renamed), "--sandbox"]) == 2
    assert refused(renamed) in capsys.readouterr().err
    assert sb.counters() == before


def test_an_inbox_passes_over_a_results_file_by_its_content_and_sends_the_rest(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = write_input(inbox / "callbacks.csv", task_rows(3))
    assert main(cli_args("run", inbox, sb, tmp_path, "--settle-seconds", "0")) == 0
    # Ops fixed a row in the results file and saved it under a name of their own.
    (inbox / "callbacks.results.csv").rename(inbox / "callbacks-fixed.csv")
    first.unlink()
    write_input(inbox / "more.csv", task_rows(2, start=10))
    summary = tmp_path / "summary.json"
    capsys.readouterr()

    args = cli_args("run", inbox, sb, tmp_path, "--settle-seconds", "0")
    assert main([*args, "--summary-json", str(summary)]) == 0

    err = capsys.readouterr().err
    skipped = inbox / "callbacks-fixed.csv"
    assert f"Skipped {refused(skipped)}" in err
    assert len(tasks_by_token(sb)) == 5
    assert statuses(results_of(inbox / "more.csv")) == {"created": 2}
    assert not (inbox / "callbacks-fixed.results.csv").exists()
    report = json.loads(summary.read_text(encoding="utf-8"))
    assert [entry["input"] for entry in report["skipped"]] == [str(skipped)]
    assert [Path(entry["input"]).name for entry in report["files"]] == ["more.csv"]

    elsewhere = ["--results-dir", str(tmp_path / "checked")]
    for command in ([*validate_args(inbox), *elsewhere], ["check", str(inbox), "--sandbox"]):
        assert main(command) == 0
        assert f"Skipped {refused(skipped)}" in capsys.readouterr().err


def test_a_results_sheet_with_shared_strings_is_known_by_its_first_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As Excel or LibreOffice save it: texts in the shared strings; the Results sheet second.
    header = {f"{letter}1": ("s", n) for n, letter in enumerate("ABCDEFGH")}
    results = {**header, "A2": 2, "B2": ("s", 8), "H2": ("s", 9)}
    path = write_raw_xlsx(
        tmp_path / "saved.xlsx",
        {"Notes": {"A1": "Read me"}, "Results": results},
        shared=[*(name.encode() for name in RESULT_COLUMNS), b"Name", b"failed", b"Call"],
    )

    assert main(validate_args(path)) == 2
    assert refused(path) in capsys.readouterr().err


# --- leading zeros from a number format -------------------------------------------------------


def test_a_number_formatted_with_leading_zeros_is_read_and_sent_as_shown(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Tasks"
    sheet.append(["Name", "Attributes.customer_id", "Attributes.ref", "Attributes.amount"])
    sheet.append(["Call back", 100455, 42, 12.5])
    sheet.append(["Refund", -7, 123456, 3])
    for row in (2, 3):
        sheet.cell(row, 2).number_format = "0000000"
        sheet.cell(row, 3).number_format = '"ID-"00000'
        sheet.cell(row, 4).number_format = "0000"
    path = tmp_path / "ids.xlsx"
    book.save(path)
    expected = [
        ("0100455", "ID-00042", "12.5"),  # a fraction is not padded: it keeps its digits
        ("-0000007", "ID-123456", "0003"),
    ]

    assert main([*validate_args(path), "--results", str(tmp_path / "check.xlsx")]) == 0
    lines = read_results(tmp_path / "check.xlsx")
    assert [
        (line["Attributes.customer_id"], line["Attributes.ref"], line["Attributes.amount"])
        for line in lines
    ] == expected

    sb = sandbox()
    assert main(cli_args("run", path, sb, tmp_path)) == 0
    sent = {task["request"]["Name"]: task["request"]["Attributes"] for task in sb.tasks()}
    assert sent == {
        name: {"customer_id": customer, "ref": ref, "amount": amount}
        for name, (customer, ref, amount) in zip(["Call back", "Refund"], expected, strict=True)
    }


# --- control characters -------------------------------------------------------------------------


def test_a_control_character_in_a_cell_makes_its_row_invalid_and_the_others_are_sent(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = tmp_path / "pasted.csv"
    source.write_bytes(
        b"Name,Description,Attributes.customer_id,Attributes.priority\r\n"
        b"Call back,fine,00001,high\r\n"
        b"Null\x00name,pasted from a terminal,00002,low\r\n"
        b"Bell\x07,pasted from a chat,00003,low\r\n"
        b'Tabs\tand lines,"first\r\nsecond",00004,low\r\n'
    )

    assert main(cli_args("run", source, sb, tmp_path)) == 1

    lines = results_of(source)
    assert [line["status"] for line in lines] == ["created", "invalid", "invalid", "created"]
    assert [line["error_message"] for line in lines[1:3]] == [
        "Name: holds an invisible control character (U+0000, character 5 of the text), which "
        "a task cannot carry; it comes with text pasted from another program: retype the cell",
        "Name: holds an invisible control character (U+0007, character 5 of the text), which "
        "a task cannot carry; it comes with text pasted from another program: retype the cell",
    ]
    assert sorted(task["request"]["Name"] for task in sb.tasks()) == [
        "Call back",
        "Tabs\tand lines",
    ]
    assert "row 3, column 'Name': holds an invisible control character" in capsys.readouterr().err


# --- empty and broken inboxes -------------------------------------------------------------------


def test_validate_and_check_on_an_empty_folder_say_there_is_nothing_to_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()

    assert main(validate_args(inbox)) == 0
    assert "No input files to read." in capsys.readouterr().err
    assert main(["check", str(inbox), "--sandbox"]) == 0
    assert (
        "No input files to read: checking the ids the options, --config and the mapping name."
        in capsys.readouterr().err
    )


def test_a_header_like_the_results_columns_further_right_is_no_results_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only the results columns at the head of the header mark a results file.
    path = write_input(
        tmp_path / "tasks.csv",
        [["Call back", "soon", "00001", "high", *RESULT_COLUMNS]],
        header=[*HEADER, *(f"Old {name}" for name in RESULT_COLUMNS)],
    )
    assert main(validate_args(path)) == 0
    assert "1 row: 1 valid, 0 invalid" in capsys.readouterr().err


def test_a_sheet_where_no_column_maps_says_so_once_with_its_headers(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    rows = [[f"Kunde {n}", f"+49 30 {n:04d}"] for n in range(30)]
    source = write_input(tmp_path / "export.csv", rows, header=["Kunde", "Telefon"])

    assert main(cli_args("run", source, sb, tmp_path)) == 1

    messages = log_messages(capsys.readouterr().err)
    (said,) = [m for m in messages if "no column maps to a task field" in m]
    assert "the headers found: 'Kunde', 'Telefon'" in said
    assert "--mapping FILE" in said and "task-importer template tasks.xlsx" in said
    assert not [m for m in messages if m.startswith("  row ")], "no row listed one by one"
    assert "30 rows: created 0, already_created 0, invalid 30, failed 0, not_attempted 0" in (
        messages
    )
    lines = read_results(tmp_path / "export.results.csv")
    assert statuses(lines) == {"invalid": 30}
    assert all("Name is required" in line["error_message"] for line in lines)
    assert sb.counters()["requests"] == 0

    assert main(validate_args(source)) == 1
    messages = log_messages(capsys.readouterr().err)
    assert len([m for m in messages if "no column maps to a task field" in m]) == 1
    assert not [m for m in messages if m.startswith("  row ")]
