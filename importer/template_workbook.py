"""The spreadsheet made from a task template: a column per field agents can see, in the
template's order and under the name they see, with Excel's own checks on each, a guide to
every field, and the template it was made for.

Sheets of the .xlsx: **Tasks** (the header, then a first row holding the template's
default values), **Fields** (each field's column, whether it is required, its type, where
it is sent, its description, limits and choices, default), and two hidden ones: **Lists**
(the choices of the drop-downs) and **Task template** (the GetTaskTemplate answer, which
``validate`` checks rows against offline: importer.sheet_template).

In Tasks: a SINGLE_SELECT column has a drop-down of its options; BOOLEAN one of TRUE and
FALSE; NUMBER and EXPIRY_DURATION columns take numbers, DATE_TIME and SCHEDULED_TIME ones
dates; TEXT and TEXT_AREA columns their length; an invisible or read-only field's column
takes nothing (a task cannot set it). Each header's comment says whether the field is
required, its type, where it goes and its limits; required headers are orange, those a
task cannot set grey. The last column, hidden, names the template and instance
(importer.task_templates.TemplateIdentity). A .csv has the header, that column and the
first row only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importer.blank_template import write_template_csv, writing_template
from importer.limits import EXPIRY_MINUTES, SCHEDULE_MAX_DAYS, limits
from importer.sheet_template import DEFINITION_SHEET, definition_row
from importer.task_templates import TaskTemplate, TemplateField, TemplateIdentity
from importer.template_checks import TEXT_AREA_MAX_CHARACTERS, TEXT_MAX_CHARACTERS

TASKS_SHEET = "Tasks"
GUIDE_SHEET = "Fields"
LISTS_SHEET = "Lists"
GUIDE_HEADER = (
    "Column",
    "Required",
    "Type",
    "Sent as",
    "What it is",
    "Limits and choices",
    "Default",
)
LAST_ROW = 1_048_576
"""Excel's last row: the column checks cover every row a person may fill in."""
_REQUIRED_FILL = "FFE699"
_LOCKED_FILL = "D9D9D9"
_FONT = "Calibri"
_DATE_FORMAT = "yyyy-mm-dd hh:mm"
_TEXT_FORMAT = "@"
_FORMATS = {
    "NUMBER": "General",
    "EXPIRY_DURATION": "0",
    "BOOLEAN": '"TRUE";"TRUE";"FALSE"',
    "DATE_TIME": _DATE_FORMAT,
    "SCHEDULED_TIME": _DATE_FORMAT,
}
"""Cell formats by field type; others are text, so 00042 keeps its zeros. (A boolean cell
shows TRUE or FALSE in Excel whatever its format; LibreOffice needs this one.)"""
_WIDE = frozenset({"NAME", "DESCRIPTION", "TEXT", "TEXT_AREA", "URL", "EMAIL"})
"""Types whose columns are wider: their values are words."""


@dataclass(frozen=True)
class FieldGuide:
    """What the sheet says about one field: in its header's comment and the Fields sheet."""

    required: str
    sent_as: str
    limits: str


def field_guide(field: TemplateField) -> FieldGuide:
    if field.locked:
        required = f"no ({field.locked}: leave it empty)"
    elif field.required and field.type not in ("QUICK_CONNECT", "SELF_ASSIGN"):
        required = "yes"
    else:
        required = "no"
    if field.reference_type:
        sent_as = f"reference '{field.name}' of type {field.reference_type}"
    elif field.type == "EXPIRY_DURATION":
        sent_as = "the task's expiry in minutes (connect:ContactExpiry)"
    else:
        sent_as = f"the task's {field.member}"
    return FieldGuide(required, sent_as, _limits(field))


def _limits(field: TemplateField) -> str:
    if field.locked:
        default = f" (agents see its default, {field.default})" if field.default else ""
        return f"a task cannot set it{default}"
    by_type = {
        "TEXT": f"fewer than {TEXT_MAX_CHARACTERS + 1:,} characters",
        "TEXT_AREA": f"fewer than {TEXT_AREA_MAX_CHARACTERS + 1:,} characters",
        "SINGLE_SELECT": f"one of: {', '.join(field.options)}",
        "NUMBER": "a number (1250.50): digits, '-' and a decimal point",
        "DATE_TIME": "a date and time (2026-12-01 09:30, in --timezone), sent as epoch seconds",
        "BOOLEAN": "TRUE or FALSE",
        "URL": "an http:// or https:// address",
        "EMAIL": "an email address (name@example.com)",
        "SCHEDULED_TIME": f"not in the past, at most {SCHEDULE_MAX_DAYS} days ahead",
        "EXPIRY_DURATION": f"whole minutes, {EXPIRY_MINUTES[0]} to {EXPIRY_MINUTES[1]:,} (7 days)",
        "QUICK_CONNECT": "leave empty: a task that names a template cannot name a quick "
        "connect too (StartTaskContact takes one of ContactFlowId, QuickConnectId, "
        "TaskTemplateId)",
    }
    if field.member in ("Name", "Description"):
        maximum = limits().fields[field.member].maximum
        return f"at most {maximum:,} characters" if maximum else ""
    return by_type.get(field.type, "")


def example_row(template: TaskTemplate) -> list[Any]:
    """The first row: each default a task may set (BOOLEAN ones as Excel's TRUE/FALSE)."""
    row: list[Any] = []
    for field in template.columns:
        value: Any = "" if field.locked or field.default is None else field.default
        if field.type == "BOOLEAN" and value.casefold() in ("true", "false"):
            value = value.casefold() == "true"
        row.append(value)
    return [*row, ""]


def write_template_sheet(path: str | Path, template: TaskTemplate, replace: bool = False) -> Path:
    """Write the spreadsheet made from ``template`` (.xlsx or .csv, by suffix); an
    existing file is refused unless ``replace``."""
    path = Path(path)
    identity = TemplateIdentity(template.instance_id, template.id)
    header = [field.name for field in template.columns] + [identity.header()]
    with writing_template(path, replace) as suffix:
        if suffix == ".csv":
            row = [
                "TRUE" if v is True else "FALSE" if v is False else v for v in example_row(template)
            ]
            write_template_csv(path, [header, row])
        else:
            _write_xlsx(path, template, header)
    return path


def _write_xlsx(path: Path, template: TaskTemplate, header: list[str]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    tasks = workbook.active
    tasks.title = TASKS_SHEET
    tasks.append(header)
    tasks.append(example_row(template))
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    for index, field in enumerate(template.columns, start=1):
        _column(tasks, lists, index, field)
    identity = tasks.cell(1, len(header))
    tasks.column_dimensions[identity.column_letter].hidden = True
    tasks.freeze_panes = "A2"
    _write_guide(workbook.create_sheet(GUIDE_SHEET, 1), template, identity.value)
    definition = workbook.create_sheet(DEFINITION_SHEET)
    definition.sheet_state = "hidden"
    definition.append(definition_row(template))
    workbook.save(path)


def _column(tasks: Any, lists: Any, index: int, field: TemplateField) -> None:
    """A field's header, comment, look, cell format and Excel check."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    guide = field_guide(field)
    header = tasks.cell(1, index)
    letter = header.column_letter
    header.font = Font(name=_FONT, bold=True, italic=bool(field.locked))
    fill = _LOCKED_FILL if field.locked else _REQUIRED_FILL if guide.required == "yes" else None
    if fill:
        header.fill = PatternFill("solid", start_color=fill)
    lines = [
        f"Required: {guide.required}.",
        f"{field.type}, sent as {guide.sent_as}.",
        *([field.description] if field.description else []),
        *([guide.limits[0].upper() + guide.limits[1:] + "."] if guide.limits else []),
    ]
    header.comment = Comment("\n".join(lines), "task-importer", height=140, width=320)
    cell_format = _FORMATS.get(field.type, _TEXT_FORMAT)
    tasks.column_dimensions[letter].number_format = cell_format
    tasks.cell(2, index).number_format = cell_format
    tasks.column_dimensions[letter].width = max(
        24 if field.type in _WIDE else 17, len(field.name) + 4
    )
    validation = _validation(lists, field)
    if validation is not None:
        tasks.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{LAST_ROW}")


def _validation(lists: Any, field: TemplateField) -> Any:
    """Excel's check of a field's cells (None: none fits, the guide says what goes)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    def check(kind: str, error: str, **rest: Any) -> DataValidation:
        return DataValidation(
            type=kind,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=field.name,
            error=error,
            **rest,
        )

    if field.locked:
        return check(
            "textLength",
            f"{field.name}: {_limits(field)}",
            operator="lessThanOrEqual",
            formula1="0",
        )
    if field.type == "SINGLE_SELECT":
        column = get_column_letter(1 + sum(1 for cell in lists[1] if cell.value))
        lists[f"{column}1"] = field.name
        for row, option in enumerate(field.options, start=2):
            lists[f"{column}{row}"] = option
        last = len(field.options) + 1
        formula = f"{LISTS_SHEET}!${column}$2:${column}${last}"
        return check("list", f"Pick one of: {', '.join(field.options)}", formula1=formula)
    if field.type == "BOOLEAN":
        return check("list", "TRUE or FALSE", formula1='"TRUE,FALSE"')
    if field.type == "NUMBER":
        return check(
            "decimal", "A number", operator="between", formula1="-1E+307", formula2="1E+307"
        )
    if field.type == "EXPIRY_DURATION":
        low, high = EXPIRY_MINUTES
        return check(
            "whole",
            f"Whole minutes, {low} to {high:,}",
            operator="between",
            formula1=str(low),
            formula2=str(high),
        )
    if field.type in ("DATE_TIME", "SCHEDULED_TIME"):
        return check("date", "A date and time", operator="greaterThan", formula1="1")
    maximum = {"TEXT": TEXT_MAX_CHARACTERS, "TEXT_AREA": TEXT_AREA_MAX_CHARACTERS}.get(field.type)
    if maximum:
        return check(
            "textLength",
            f"Fewer than {maximum + 1:,} characters",
            operator="lessThanOrEqual",
            formula1=str(maximum),
        )
    return None


def _write_guide(guide: Any, template: TaskTemplate, identity_header: str) -> None:
    from openpyxl.styles import Font

    guide.append(GUIDE_HEADER)
    for field in template.columns:
        about = field_guide(field)
        default = field.default if field.default is not None else ""
        guide.append(
            [
                field.name,
                about.required,
                field.type,
                about.sent_as,
                field.description,
                about.limits,
                default,
            ]
        )
    left_out = [field for field in template.fields if not field.is_column]
    if left_out:
        guide.append([])
        guide.append(["Fields without a column"])
        for field in left_out:
            why = "invisible to agents" if field.invisible else "no request can set it"
            guide.append([field.name, "", field.type, f"not sent: {why}", field.description])
    guide.append([])
    guide.append(["Task template", f"{template.name} ({template.id}), {template.status}"])
    guide.append(["Instance", template.instance_id])
    guide.append(
        [
            "How to use",
            "Fill in one row per task on the Tasks sheet (its first row holds the template's "
            "defaults), then run 'task-importer validate FILE' and 'task-importer run FILE'. "
            f"The hidden last column, '{identity_header}', names the template: keep it. A "
            "row for another template names it in a TaskTemplateId column.",
        ]
    )
    for cell in guide[1]:
        cell.font = Font(name=_FONT, bold=True)
    for letter, width in zip("ABCDEFG", (20, 30, 17, 46, 40, 62, 14), strict=True):
        guide.column_dimensions[letter].width = width
