"""Rows of a sheet made from a task template, end to end through the CLI and the sandbox:
checked against the template (offline with the definition the workbook carries, online by
run, retry, check and validate --fetch-templates), sent as the template's references, and a
template that takes no task stopping the run before anything is sent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cli_runs import INSTANCE, log_messages
from openpyxl import load_workbook
from spreadsheets import read_results, write_csv
from template_sheets import (
    GOOD_REFERENCES,
    TEMPLATE,
    fill,
    good_row,
    inactive_template,
    make_sheet,
    target,
)

from importer.cli import main
from importer.sandbox import Sandbox

UNKNOWN = "7e7e7e7e-0000-4000-8000-00000000dead"


def run_args(sb: Sandbox, path: Path, tmp_path: Path, command: str = "run") -> list[str]:
    return [
        command,
        str(path),
        *target(sb),
        "--journal",
        str(tmp_path / "journal.sqlite3"),
        "--no-progress",
        "--timezone",
        "UTC",
        "--rate",
        "500",
        "--burst",
        "50",
    ]


def broken_rows() -> list[dict[str, object]]:
    """Rows 3 to 5 of a filled sheet: each breaks the template its own way."""
    bad_choices = {"Priority": "Urgent", "Order total": "12,50", "Customer email": "ana at x"}
    return [
        good_row("Bad choices", **bad_choices),
        good_row("No phone", **{"Customer phone": None, "Source": "Ops"}),
        good_row("Hidden field set", **{"Case id": "CRM-1"}),
    ]


BROKEN_CELLS = {
    (3, "Priority"),
    (3, "Order total"),
    (3, "Customer email"),
    (4, "Customer phone"),
    (4, "Source"),
    (5, "Case id"),
}
"""The cells of broken_rows() the results workbook marks (row, column)."""


def marked_cells(results: Path) -> set[tuple[int, str]]:
    sheet = load_workbook(results)["Results"]
    header = [cell.value for cell in sheet[1]]
    return {
        (int(sheet.cell(cell.row, 1).value), header[cell.column - 1])
        for row in sheet.iter_rows(min_row=2)
        for cell in row
        if cell.comment and header[cell.column - 1] != "status"
    }


def test_a_filled_sheet_validates_offline_and_each_error_marks_its_cell(
    tmp_path: Path, sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = sandbox()
    sheet = fill(make_sheet(emulator, tmp_path / "callbacks.xlsx"), [good_row(), *broken_rows()])
    emulator.stop()  # validate needs no Amazon Connect: the workbook carries the template
    capsys.readouterr()

    assert main(["validate", str(sheet), "--timezone", "UTC"]) == 1

    messages = log_messages(capsys.readouterr().err)
    lines = read_results(tmp_path / "callbacks.results.xlsx")
    assert [line["status"] for line in lines] == ["valid", "invalid", "invalid", "invalid"]
    assert {line["error_code"] for line in lines[1:]} == {"TaskTemplate"}
    assert marked_cells(tmp_path / "callbacks.results.xlsx") == BROKEN_CELLS
    assert (
        "  row 3, column 'Priority': not one of the options; pick one of: Low, Normal, High"
    ) in messages
    assert (
        "  row 4, column 'Customer phone': required by task template 'Sandbox task template 1': "
        "fill it in"
    ) in messages
    assert any("row 5, column 'Case id': invisible to agents" in m for m in messages)
    assert any("row 4, column 'Source': read-only to agents" in m for m in messages)
    assert not any("not checked against it" in m for m in messages)


def test_run_sends_the_fields_as_the_templates_references_and_never_the_broken_rows(
    tmp_path: Path, sandbox
) -> None:
    emulator = sandbox()
    soon = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + dt.timedelta(days=1)
    rows = [
        good_row(),
        good_row("Second", **{"Consent given": False, "Scheduled time": soon, "Order total": 7}),
        *broken_rows(),
    ]
    sheet = fill(make_sheet(emulator, tmp_path / "callbacks.xlsx"), rows)
    reads = emulator.counters()["reads"]

    assert main(run_args(emulator, sheet, tmp_path)) == 1

    lines = read_results(tmp_path / "callbacks.results.xlsx")
    assert [line["status"] for line in lines] == ["created", "created", *["invalid"] * 3]
    counters = emulator.counters()
    assert (counters["requests"], counters["created"]) == (2, 2)  # the broken rows: never sent
    assert counters["reads"] - reads == 1  # GetTaskTemplate, once
    sent = {task["request"]["Name"]: task["request"] for task in emulator.tasks()}
    assert sorted(sent) == ["Call back Ana Silva", "Second"]  # tasks are created in any order
    first, second = sent["Call back Ana Silva"], sent["Second"]
    assert first["References"] == GOOD_REFERENCES  # the sandbox refuses any other shape
    assert first["TaskTemplateId"] == TEMPLATE and first["InstanceId"] == INSTANCE
    assert first["Description"] == "Refund for order 00042"
    assert "ContactFlowId" not in first
    assert second["References"]["Consent given"] == {"Type": "STRING", "Value": "false"}
    assert second["References"]["Order total"] == {"Type": "NUMBER", "Value": "7"}
    assert second["ScheduledTime"] == int(soon.replace(tzinfo=dt.UTC).timestamp())


def test_retry_of_the_results_knows_the_template_and_sends_the_fixed_rows(
    tmp_path: Path, sandbox
) -> None:
    emulator = sandbox()
    sheet = fill(make_sheet(emulator, tmp_path / "callbacks.xlsx"), [good_row(), *broken_rows()])
    assert main(run_args(emulator, sheet, tmp_path)) == 1
    results = tmp_path / "callbacks.results.xlsx"
    workbook = load_workbook(results)
    lines = workbook["Results"]
    header = [cell.value for cell in lines[1]]
    for column, value in (
        ("Priority", "Low"),
        ("Order total", "12.50"),
        ("Customer email", "ana@example.com"),
    ):
        lines.cell(3, header.index(column) + 1, value)
    workbook.save(results)

    assert main(run_args(emulator, results, tmp_path, "retry")) == 1

    statuses = [line["status"] for line in read_results(results)]
    assert statuses == ["created", "created", "invalid", "invalid"]
    fixed = emulator.tasks()[-1]["request"]
    assert fixed["Name"] == "Bad choices" and fixed["TaskTemplateId"] == TEMPLATE
    assert fixed["References"]["Priority"] == {"Type": "STRING", "Value": "Low"}
    assert fixed["References"]["Order total"] == {"Type": "NUMBER", "Value": "12.50"}


@pytest.mark.parametrize("case", ["not found", "INACTIVE"])
def test_a_template_that_takes_no_task_stops_the_run_before_sending(
    tmp_path: Path, sandbox, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    if case == "INACTIVE":
        emulator = sandbox(task_templates=(inactive_template(),))
        sheet = fill(
            make_sheet(emulator, tmp_path / "tasks.xlsx", inactive_template()["Id"]),
            [{"Name": "Call back"}],
        )
        expected = "it is INACTIVE: tasks can only be created from ACTIVE templates"
    else:
        emulator = sandbox()
        identity = f"Task template {UNKNOWN} of instance {INSTANCE}"
        sheet = write_csv(tmp_path / "tasks.csv", [["Name", identity], ["Call back", ""]])
        expected = f"task template {UNKNOWN} not found in instance {INSTANCE}"
    capsys.readouterr()

    assert main(run_args(emulator, sheet, tmp_path)) == 2

    err = capsys.readouterr().err
    assert expected in err and "Nothing was sent" in err
    assert emulator.counters()["requests"] == 0


def test_with_several_inputs_a_bad_template_stops_the_run_before_the_first_is_sent(
    tmp_path: Path, sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = sandbox()
    good = fill(make_sheet(emulator, tmp_path / "a-good.xlsx"), [good_row()])
    bad = write_csv(
        tmp_path / "b-bad.csv",
        [["Name", "TaskTemplateId", "InstanceId"], ["Call back", UNKNOWN, INSTANCE]],
    )
    args = run_args(emulator, good, tmp_path)
    args.insert(2, str(bad))

    assert main(args) == 2

    assert f"task template {UNKNOWN} not found" in capsys.readouterr().err
    assert emulator.counters()["requests"] == 0


def test_check_reports_the_template_and_the_rows_that_break_it(
    tmp_path: Path, sandbox, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    emulator = sandbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", emulator.url)
    sheet = fill(make_sheet(emulator, tmp_path / "callbacks.xlsx"), [good_row(), *broken_rows()])
    reads = emulator.counters()["reads"]
    capsys.readouterr()

    assert main(["check", str(sheet), *target(emulator), "--timezone", "UTC"]) == 0

    messages = log_messages(capsys.readouterr().err)
    assert (
        f"ok: task template {TEMPLATE} 'Sandbox task template 1' found (ACTIVE, flow "
        "f10f10f1-0000-4000-8000-000000000001)"
    ) in messages
    assert any(
        m.startswith(
            "  its fields: Name (NAME, required); Description (DESCRIPTION); Customer "
            "phone (TEXT, required); Priority (SINGLE_SELECT, Low/Normal/High, default Normal)"
        )
        for m in messages
    )
    assert any(
        m.startswith("rows that break their task template: row 3, column 'Priority': ")
        for m in messages
    )
    assert emulator.counters()["reads"] - reads == 3  # STS, DescribeInstance, GetTaskTemplate


def test_validate_fetch_templates_maps_and_checks_a_plain_files_columns(
    tmp_path: Path, sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = sandbox()
    source = write_csv(
        tmp_path / "tasks.csv",
        [["Name", "Customer phone", "Priority"], ["A", "+1206555", "High"], ["B", "+1", "Soon"]],
    )
    ids = ["--instance-id", INSTANCE, "--task-template-id", TEMPLATE, "--timezone", "UTC"]

    assert main(["validate", str(source), *ids]) == 0  # offline: the template is not known
    err = capsys.readouterr().err
    assert "columns not sent to Amazon Connect (kept in the results file): 'Customer phone'" in err
    assert f"task template {TEMPLATE} (instance {INSTANCE}) were not checked" in err

    assert main(["validate", str(source), *ids, "--fetch-templates", *target(emulator)]) == 1

    err = capsys.readouterr().err
    assert "columns not sent" not in err
    assert "row 3, column 'Priority': not one of the options" in err
    assert [line["status"] for line in read_results(tmp_path / "tasks.results.csv")] == [
        "valid",
        "invalid",
    ]


def refund_template() -> dict[str, object]:
    """Another template of the sandbox's instance: a NAME field called Title, a required
    NUMBER."""
    return {
        "Id": "7e7e7e7e-0000-4000-8000-00000000000b",
        "Name": "Refund request",
        "ContactFlowId": "f10f10f1-0000-4000-8000-000000000002",
        "Status": "ACTIVE",
        "Fields": [
            {"Id": {"Name": "Title"}, "Type": "NAME"},
            {"Id": {"Name": "Order"}, "Type": "NUMBER"},
        ],
        "Constraints": {"RequiredFields": [{"Id": {"Name": "Title"}}, {"Id": {"Name": "Order"}}]},
    }


ORDER = "References.NUMBER.Order"


def test_a_row_may_name_another_template_and_is_checked_against_its_own(
    tmp_path: Path, sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = sandbox(task_templates=(refund_template(),))
    other = refund_template()["Id"]
    rows = [
        good_row(TaskTemplateId=""),
        # the sheet's columns are its template's: another's fields go in References columns
        {"Name": "Refund 1", "Customer phone": "", "TaskTemplateId": other, ORDER: 42},
        {"Name": "Refund 2", "Customer phone": "", "TaskTemplateId": other},
    ]
    sheet = fill(make_sheet(emulator, tmp_path / "mixed.xlsx"), rows)

    assert main(run_args(emulator, sheet, tmp_path)) == 1

    lines = read_results(tmp_path / "mixed.results.xlsx")
    assert [line["status"] for line in lines] == ["created", "created", "invalid"]
    assert "required by task template 'Refund request'" in lines[2]["error_message"]
    sent = {task["request"]["Name"]: task["request"] for task in emulator.tasks()}
    assert sorted(sent) == ["Call back Ana Silva", "Refund 1"]  # created in any order
    first, second = sent["Call back Ana Silva"], sent["Refund 1"]
    assert first["TaskTemplateId"] == TEMPLATE
    assert second["TaskTemplateId"] == other
    assert second["References"] == {"Order": {"Type": "NUMBER", "Value": "42"}}


def test_a_field_sent_as_the_wrong_reference_is_refused_with_the_column_to_use(
    tmp_path: Path, sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = sandbox()
    row = good_row(**{"Order total": None, "References.STRING.Order total": "12"})
    row["References.STRING.Description"] = "twice"
    sheet = fill(make_sheet(emulator, tmp_path / "callbacks.xlsx"), [row])
    capsys.readouterr()

    assert main(["validate", str(sheet), "--timezone", "UTC"]) == 1

    messages = log_messages(capsys.readouterr().err)
    assert (
        "  row 2, column 'References.STRING.Order total': Order total is a NUMBER field of task "
        "template 'Sandbox task template 1': it travels as a NUMBER reference, not STRING; name "
        "the column References.NUMBER.Order total"
    ) in messages
    assert (
        "  row 2, column 'References.STRING.Description': Description is the task's DESCRIPTION "
        "in task template 'Sandbox task template 1': give it in the Description column, not as "
        "a reference"
    ) in messages
