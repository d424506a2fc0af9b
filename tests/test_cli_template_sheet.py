"""`task-importer template OUT --instance-id ID --task-template-id ID`: the spreadsheet made
from a task template (GetTaskTemplate against the sandbox), and the copy in templates/."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from cli_runs import INSTANCE
from openpyxl import load_workbook
from spreadsheets import read_csv
from template_sheets import COLUMNS, IDENTITY, TEMPLATE, inactive_template, make_sheet, target
from test_templates import xlsx_values

from importer.cli import main

REPO_EXAMPLE = Path(__file__).resolve().parent.parent / "templates" / "task-template-sandbox.xlsx"


def validations(sheet) -> dict[str, object]:
    """The data validation of each column of row 2, by the header above it."""
    header = [cell.value for cell in sheet[1]]
    found = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            assert (cell_range.min_row, cell_range.max_row) == (2, 1_048_576)
            found[header[cell_range.min_col - 1]] = validation
    return found


def test_the_sheet_has_a_column_per_field_agents_see_with_checks_defaults_and_comments(
    tmp_path: Path, sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    out = make_sheet(sandbox(), tmp_path / "callbacks.xlsx")

    assert "13 columns" in capsys.readouterr().err
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Tasks", "Fields", "Lists", "Task template"]
    assert [workbook[name].sheet_state for name in workbook.sheetnames] == [
        "visible",
        "visible",
        "hidden",
        "hidden",
    ]
    tasks = workbook["Tasks"]
    header = [cell.value for cell in tasks[1]]
    assert header == [*COLUMNS, IDENTITY]  # 'Case id' is invisible: no column
    assert tasks.column_dimensions[tasks.cell(1, len(header)).column_letter].hidden
    first = dict(zip(header, (cell.value for cell in tasks[2]), strict=True))
    assert first["Priority"] == "Normal"  # the template's default
    assert first["Source"] in (None, "")  # read-only: its default is not set by a task
    assert all(first[name] in (None, "") for name in COLUMNS if name != "Priority")

    checks = validations(tasks)
    priority = checks["Priority"]
    assert priority.type == "list"
    sheet_name, cells = priority.formula1.split("!")
    options = [cell.value for (cell,) in workbook[sheet_name][cells.replace("$", "")]]
    assert options == ["Low", "Normal", "High"]
    assert (checks["Consent given"].type, checks["Consent given"].formula1) == (
        "list",
        '"TRUE,FALSE"',
    )
    assert checks["Order total"].type == "decimal"
    assert checks["Callback by"].type == checks["Scheduled time"].type == "date"
    assert (checks["Customer phone"].type, checks["Customer phone"].formula1) == (
        "textLength",
        "511",
    )
    assert checks["Notes"].formula1 == "4095"
    assert (checks["Source"].type, checks["Source"].formula1) == ("textLength", "0")
    expiry = checks["Expiry"]
    assert (expiry.type, expiry.formula1, expiry.formula2) == ("whole", "1", "10080")

    comments = {name: tasks.cell(1, header.index(name) + 1).comment.text for name in COLUMNS}
    assert comments["Customer phone"].startswith("Required: yes.")
    assert "sent as reference 'Customer phone' of type STRING" in comments["Customer phone"]
    assert "Number to call back" in comments["Customer phone"]
    assert "Fewer than 512 characters" in comments["Customer phone"]
    assert comments["Priority"].startswith("Required: no.")
    assert "One of: Low, Normal, High" in comments["Priority"]
    assert comments["Source"].startswith("Required: no (read-only: leave it empty).")
    assert "A task cannot set it (agents see its default, Bulk import)" in comments["Source"]
    assert "sent as reference 'Callback by' of type DATE" in comments["Callback by"]

    guide = [[cell.value for cell in row] for row in workbook["Fields"].iter_rows()]
    by_column = {line[0]: line for line in guide[1 : len(COLUMNS) + 1]}
    assert list(by_column) == COLUMNS
    assert by_column["Customer phone"][1:4] == [
        "yes",
        "TEXT",
        "reference 'Customer phone' of type STRING",
    ]
    assert by_column["Name"][1:4] == ["yes", "NAME", "the task's Name"]
    assert by_column["Order total"][5].startswith("a number")
    assert by_column["Priority"][6] == "Normal"
    assert by_column["Expiry"][5] == "whole minutes, 1 to 10,080 (7 days)"
    assert guide[len(COLUMNS) + 3][:4] == ["Case id", None, "TEXT", "not sent: invisible to agents"]

    (definition,) = workbook["Task template"].iter_rows(values_only=True)
    assert definition[:3] == ("connect-task-importer task template", INSTANCE, TEMPLATE)
    answer = json.loads("".join(cell for cell in definition[3:] if cell))
    assert answer["Id"] == TEMPLATE and answer["Status"] == "ACTIVE"
    assert [field["Id"]["Name"] for field in answer["Fields"]][10] == "Case id"


def test_a_csv_sheet_has_the_columns_the_identity_and_the_defaults(tmp_path: Path, sandbox) -> None:
    out = make_sheet(sandbox(), tmp_path / "callbacks.csv")

    header, first = read_csv(out)
    assert header == [*COLUMNS, IDENTITY]
    assert dict(zip(header, first, strict=True))["Priority"] == "Normal"


def test_an_existing_file_is_refused_unless_forced_and_a_missing_template_writes_nothing(
    tmp_path: Path, sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = sandbox()
    out = tmp_path / "filled.xlsx"
    out.write_bytes(b"rows someone filled in")
    args = ["template", str(out), "--instance-id", INSTANCE, "--task-template-id", TEMPLATE]

    assert main([*args, *target(emulator)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == b"rows someone filled in"
    assert main([*args, *target(emulator), "--force"]) == 0
    assert load_workbook(out).sheetnames[0] == "Tasks"

    missing = tmp_path / "missing.xlsx"
    unknown = "7e7e7e7e-0000-4000-8000-00000000dead"
    args = ["template", str(missing), "--instance-id", INSTANCE, "--task-template-id", unknown]
    assert main([*args, *target(emulator)]) == 2
    err = capsys.readouterr().err
    assert f"task template {unknown} not found in instance {INSTANCE}" in err
    assert not missing.exists()


def test_an_inactive_template_gets_its_sheet_with_a_warning(
    tmp_path: Path, sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = sandbox(task_templates=(inactive_template(),))

    make_sheet(emulator, tmp_path / "retired.xlsx", inactive_template()["Id"])

    assert "it is INACTIVE: tasks can only be created from ACTIVE templates" in (
        capsys.readouterr().err
    )


def test_with_sandbox_the_instance_is_the_sandboxs(tmp_path: Path) -> None:
    out = tmp_path / "sandbox.csv"

    assert main(["template", str(out), "--sandbox", "--task-template-id", TEMPLATE]) == 0

    assert read_csv(out)[0][-1] == IDENTITY


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_the_sheet_and_keeps_the_drop_downs(
    tmp_path: Path, sandbox, soffice_profile: str
) -> None:
    out = make_sheet(sandbox(), tmp_path / "callbacks.xlsx")
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={soffice_profile}",
            "--headless",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path),
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    with zipfile.ZipFile(tmp_path / "callbacks.ods") as ods:
        content = ods.read("content.xml").decode()
    assert "cell-content-is-in-list([$Lists.$A$2:.$A$4])" in content
    assert "cell-content-is-in-list(&quot;TRUE&quot;;&quot;FALSE&quot;)" in content
    tasks = content.split('<table:table table:name="Tasks"')[1].split("</table:table>")[0]
    assert "table:content-validation-name=" in tasks


def test_the_example_in_templates_is_what_the_command_makes(tmp_path: Path, sandbox) -> None:
    assert REPO_EXAMPLE.exists(), "templates/ holds the sheet made from the sandbox's template"
    fresh = make_sheet(sandbox(), tmp_path / REPO_EXAMPLE.name)

    assert xlsx_values(REPO_EXAMPLE) == xlsx_values(fresh)
    assert [
        v.sqref for v in load_workbook(REPO_EXAMPLE)["Tasks"].data_validations.dataValidation
    ] == [v.sqref for v in load_workbook(fresh)["Tasks"].data_validations.dataValidation]


def test_the_library_makes_the_same_sheet(tmp_path: Path, sandbox) -> None:
    from importer import api

    emulator = sandbox()
    options = api.RunOptions(
        instance_id=INSTANCE, task_template_id=TEMPLATE, endpoint_url=emulator.url
    )

    made = api.template_sheet(tmp_path / "callbacks.csv", options)

    assert made.template.id == TEMPLATE
    assert read_csv(made.path)[0] == [*COLUMNS, IDENTITY]
