"""Shared by the task-template tests: a sheet made from the sandbox's default template by the
CLI, filled in as ops would, and what the sandbox's template holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cli_runs import INSTANCE
from openpyxl import load_workbook

from importer.cli import main
from importer.sandbox import Sandbox, defaults

TEMPLATE = defaults.TASK_TEMPLATE_IDS[0]
IDENTITY = f"Task template {TEMPLATE} of instance {INSTANCE}"
COLUMNS = [
    "Name",
    "Description",
    "Customer phone",
    "Priority",
    "Order total",
    "Callback by",
    "Consent given",
    "Order page",
    "Customer email",
    "Notes",
    "Source",
    "Scheduled time",
    "Expiry",
]
"""The default template's fields agents see, in its order ('Case id' is invisible)."""
CALLBACK = dt.datetime(2030, 1, 15, 9, 30)
"""A DATE_TIME value, as an Excel date cell holds it (read in UTC by the tests)."""
CALLBACK_EPOCH = str(int(CALLBACK.replace(tzinfo=dt.UTC).timestamp()))


def target(sb: Sandbox) -> list[str]:
    return ["--endpoint-url", sb.url, "--region", "us-east-1"]


def make_sheet(sb: Sandbox, path: Path, template: str = TEMPLATE, *extra: str) -> Path:
    """`task-importer template PATH` for a template of the sandbox's instance."""
    args = ["template", str(path), "--instance-id", INSTANCE, "--task-template-id", template]
    assert main([*args, *target(sb), *extra]) == 0
    return path


def fill(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``rows`` (values by column name) into the Tasks sheet from row 2, as a person
    would in Excel: columns not named keep what the sheet holds (row 2: its defaults)."""
    workbook = load_workbook(path)
    sheet = workbook["Tasks"]
    header = [cell.value for cell in sheet[1]]
    for number, values in enumerate(rows, start=2):
        for name, value in values.items():
            if name not in header:
                header.append(name)
                sheet.cell(1, len(header), name)
            sheet.cell(number, header.index(name) + 1, value)
    workbook.save(path)
    return path


def good_row(name: str = "Call back Ana Silva", **changes: Any) -> dict[str, Any]:
    """A row that fills every field a task may set, as Excel cells hold the values."""
    row: dict[str, Any] = {
        "Name": name,
        "Description": "Refund for order 00042",
        "Customer phone": "+12065550100",
        "Priority": "High",
        "Order total": 1250.5,
        "Callback by": CALLBACK,
        "Consent given": True,
        "Order page": "https://orders.example.com/00042",
        "Customer email": "ana@example.com",
        "Notes": "Prefers mornings",
    }
    row.update(changes)
    return row


GOOD_REFERENCES = {
    "Customer phone": {"Type": "STRING", "Value": "+12065550100"},
    "Priority": {"Type": "STRING", "Value": "High"},
    "Order total": {"Type": "NUMBER", "Value": "1250.5"},
    "Callback by": {"Type": "DATE", "Value": CALLBACK_EPOCH},
    "Consent given": {"Type": "STRING", "Value": "true"},
    "Order page": {"Type": "URL", "Value": "https://orders.example.com/00042"},
    "Customer email": {"Type": "EMAIL", "Value": "ana@example.com"},
    "Notes": {"Type": "STRING", "Value": "Prefers mornings"},
}
"""The references a good_row() travels as (the sandbox refuses any other shape)."""


def inactive_template() -> dict[str, Any]:
    """A template of the sandbox's instance that takes no task."""
    return {
        "Id": "7e7e7e7e-0000-4000-8000-0000000000ff",
        "Name": "Retired callbacks",
        "ContactFlowId": defaults.CONTACT_FLOW_IDS[0],
        "Status": "INACTIVE",
        "Fields": [{"Id": {"Name": "Name"}, "Type": "NAME"}],
        "Constraints": {"RequiredFields": [{"Id": {"Name": "Name"}}]},
    }
