"""The blank spreadsheet ops fill in: headers, one example row, and a guide to each column.

The example row leaves the instance and flow ids empty: the core knows no real ones. The
caller gives them (``examples``); the CLI gives the sandbox's, so a blank template
validates, and runs with ``--sandbox``.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from importer.errors import UsageError
from importer.limits import (
    ATTRIBUTES_MAX_BYTES,
    CREATION_REFERENCE_TYPES,
    EXPIRY_MINUTES,
    SCHEDULE_MAX_DAYS,
    TASKS_PER_PREVIOUS_CONTACT,
    Length,
    limits,
)


@dataclass(frozen=True)
class ColumnGuide:
    column: str
    required: str
    meaning: str
    example: str
    limit_field: str | None = None
    limit_note: str = ""

    def limit(self) -> str:
        notes = [self.limit_note] if self.limit_note else []
        if self.limit_field:
            length = limits().fields.get(self.limit_field, Length(None, None))
            if length.maximum:
                notes.insert(0, f"at most {length.maximum:,} characters")
        return "; ".join(notes)


GUIDE = (
    ColumnGuide(
        "InstanceId",
        "yes (or --instance-id)",
        "Amazon Connect instance id (the last part of the instance ARN)",
        "",
        "InstanceId",
    ),
    ColumnGuide("Name", "yes", "Task title agents see in the CCP", "Call back customer", "Name"),
    ColumnGuide(
        "Description",
        "no",
        "Task details agents see",
        "Customer asked for a call about order 00042",
        "Description",
    ),
    ColumnGuide(
        "ContactFlowId",
        "exactly one of the three (or --contact-flow-id)",
        "Flow that starts the task",
        "",
        "ContactFlowId",
    ),
    ColumnGuide(
        "QuickConnectId",
        "exactly one of the three",
        "Quick connect to send the task to",
        "",
        "QuickConnectId",
    ),
    ColumnGuide(
        "TaskTemplateId",
        "exactly one of the three",
        "Task template (must have a flow configured when used alone)",
        "",
        "TaskTemplateId",
    ),
    ColumnGuide(
        "PreviousContactId",
        "no",
        "Contact this task follows up",
        "",
        "PreviousContactId",
        f"at most {TASKS_PER_PREVIOUS_CONTACT} tasks per previous contact",
    ),
    ColumnGuide("RelatedContactId", "no", "Contact linked to this task", "", "RelatedContactId"),
    ColumnGuide(
        "ScheduledTime",
        "no",
        "When the task starts: 2026-12-01T09:30:00+01:00, '2026-12-01 09:30' in the "
        "--timezone zone, an Excel date cell, or epoch seconds. Empty: start at once",
        "",
        limit_note=f"not in the past, at most {SCHEDULE_MAX_DAYS} days ahead",
    ),
    ColumnGuide(
        "ClientToken",
        "no",
        "Leave empty: the importer derives one per row so re-runs never duplicate a task",
        "",
        "ClientToken",
    ),
    ColumnGuide(
        "Attributes.customer_id",
        "no",
        "Any column 'Attributes.<key>' becomes contact attribute <key> "
        "(key: letters, digits, '-', '_')",
        "00042",
        limit_note=f"{ATTRIBUTES_MAX_BYTES:,} UTF-8 bytes across all attributes",
    ),
    ColumnGuide(
        "References.URL.Order page",
        "no",
        "Any column 'References.<TYPE>.<name>' becomes a reference shown to the agent; "
        f"TYPE is one of {', '.join(CREATION_REFERENCE_TYPES)}",
        "https://orders.example.com/00042",
        limit_note="URL references must be http(s) URLs; about 4,096 bytes across all",
    ),
    ColumnGuide(
        "ExpiryMinutes",
        "no",
        "Minutes the task stays open before it expires (1440: a day). Empty: the default",
        "",
        limit_note=f"a whole number, {EXPIRY_MINUTES[0]} to {EXPIRY_MINUTES[1]:,} (7 days)",
    ),
    ColumnGuide(
        "CreatedByUser",
        "no",
        "The agent shown as the task's creator: their user name (looked up when the task is "
        "sent) or agent ARN. Columns 'SegmentAttributes.<key>' set other segment attributes",
        "",
    ),
    ColumnGuide(
        "Attachment1",
        "no",
        "A file to attach: its S3 location (s3://bucket/folder/file.pdf), which the importer "
        "signs, or a presigned https:// link. Up to 5 files: Attachment1 to Attachment5",
        "",
        limit_note="file name at most 256 characters; link at most 2,000 characters",
    ),
)


def write_blank_template(
    path: str | Path, replace: bool = False, examples: Mapping[str, str] | None = None
) -> Path:
    """Write the blank spreadsheet (.csv or .xlsx, by suffix) and return its path; an
    existing file is refused (it may be a sheet someone filled in) unless ``replace``.

    ``examples``: example values by column, over the guide's (the ids of an instance and
    its flow, which the guide leaves empty).
    """
    path = Path(path)
    headers = [guide.column for guide in GUIDE]
    example = [(examples or {}).get(guide.column, guide.example) for guide in GUIDE]
    with writing_template(path, replace) as suffix:
        if suffix == ".csv":
            write_template_csv(path, [headers, example])
        else:
            _write_xlsx(path, headers, example)
    return path


@contextlib.contextmanager
def writing_template(path: Path, replace: bool) -> Iterator[str]:
    """Check that a template may be written to ``path`` (a .csv or .xlsx name; an existing
    file only if ``replace``), give its suffix, and make a failed write a UsageError."""
    suffix = path.suffix.lower()
    if path.is_dir():
        raise UsageError(f"{path} is a folder; name the template file (.csv or .xlsx)")
    if suffix not in (".csv", ".xlsx"):
        raise UsageError(f"{path}: the template must end in .csv or .xlsx")
    if path.exists() and not replace:
        raise UsageError(
            f"{path} already exists (it may hold rows someone filled in); name a new file, "
            "or add --force to replace it with a new template"
        )
    try:
        yield suffix
    except OSError as error:
        raise UsageError(f"{path}: cannot be written ({error.strerror})") from error


def write_template_csv(path: Path, rows: list[list[str]]) -> None:
    """A template as CSV: UTF-8 with a BOM, so Excel reads its accents right."""
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        csv.writer(stream).writerows(rows)


def _write_xlsx(path: Path, headers: list[str], example: list[str]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    tasks = workbook.active
    tasks.title = "Tasks"
    tasks.append(headers)
    tasks.append(example)
    for cell in tasks[1]:
        cell.font = Font(bold=True)
    for index, header in enumerate(headers, start=1):
        tasks.column_dimensions[tasks.cell(1, index).column_letter].width = max(14, len(header) + 2)
    for cell in tasks[2]:
        cell.number_format = "@"
    tasks.freeze_panes = "A2"
    guide = workbook.create_sheet("Columns")
    guide.append(["Column", "Required", "What it is", "Limit", "Example"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for entry, value in zip(GUIDE, example, strict=True):
        guide.append([entry.column, entry.required, entry.meaning, entry.limit(), value])
    for letter, width in zip("ABCDE", (26, 26, 70, 45, 40), strict=True):
        guide.column_dimensions[letter].width = width
    workbook.save(path)
