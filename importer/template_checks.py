"""Rows checked against the task template they name, before anything is sent.

Each rule is a function over one field's values (a column: ``values[i]`` is row i's text,
``""`` when the row leaves the field empty), so a column-wise validation can run it on
whole columns; :class:`TemplateRules` applies them to one row's request at a time.

The rules (sources in importer.task_templates and the README):

- documented (UpdateContactTaskTemplate): a required field is present; TEXT values are
  fewer than 512 characters, TEXT_AREA fewer than 4,096; BOOLEAN is true or false; each
  field travels as a reference of its type's reference type; a DATE reference is an epoch
  timestamp (ReferenceType);
- issue 15's strict side, where AWS documents nothing (the sandbox enforces the same): a
  single-select value is one of the options, exactly; NUMBER, URL, EMAIL and DATE_TIME
  values are well formed; invisible and read-only fields (to agents) are not set.

Two values are made what the API takes: a BOOLEAN written TRUE or False is sent ``true`` or
``false``, and a DATE_TIME written as a date and time (``2026-12-01 09:30``, an Excel date
cell, ISO 8601) is sent as epoch seconds (read in the --timezone zone, as ScheduledTime is).
Messages never repeat a cell's value (it may be customer data): the cell is named.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from importer.mapping import REFERENCE_PREFIX, MappedRow
from importer.model import RowError
from importer.scheduled_time import parse_scheduled_time
from importer.sheet_template import SheetTemplate
from importer.task_templates import EXPIRY_KEY, TaskTemplate, TemplateField
from importer.validation import is_web_url

TEXT_MAX_CHARACTERS = 511
"""TEXT references must be fewer than 512 characters (UpdateContactTaskTemplate)."""
TEXT_AREA_MAX_CHARACTERS = 4_095
"""TEXT_AREA references must be fewer than 4,096 characters (UpdateContactTaskTemplate)."""
CODE = "TaskTemplate"
"""The error_code of a row whose only errors break its task template."""

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_EPOCH = re.compile(r"\d+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_BOOLEAN = {"true": "true", "false": "false"}
_NOT_REQUIRED_HERE = frozenset({"NAME", "QUICK_CONNECT", "SELF_ASSIGN"})
"""Required fields not checked here: every row needs a Name anyway (importer.validation),
and no request that names a template can carry a quick connect or a self-assignment."""

Problems = list[tuple[int, str]]
"""(index in the column, what is wrong with that value and how to fix it)."""


def _text(limit: int, kind: str) -> Callable[[TemplateField, str], str | None]:
    def check(field: TemplateField, value: str) -> str | None:
        if len(value) <= limit:
            return None
        return (
            f"{len(value):,} characters; a {kind} field takes fewer than {limit + 1:,}: shorten it"
        )

    return check


def _option(field: TemplateField, value: str) -> str | None:
    if value in field.options:
        return None
    close = [o for o in field.options if o.casefold() == value.casefold()]
    close = close or difflib.get_close_matches(value, field.options, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"not one of the options{hint}; pick one of: {', '.join(field.options)}"


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[TemplateField, str], str | None]:
    def check(field: TemplateField, value: str) -> str | None:
        return None if pattern.fullmatch(value) else what

    return check


def _url(field: TemplateField, value: str) -> str | None:
    return None if is_web_url(value) else "not an http:// or https:// URL; write the whole address"


VALUE_RULES: dict[str, Callable[[TemplateField, str], str | None]] = {
    "TEXT": _text(TEXT_MAX_CHARACTERS, "TEXT"),
    "TEXT_AREA": _text(TEXT_AREA_MAX_CHARACTERS, "TEXT_AREA"),
    "SINGLE_SELECT": _option,
    "BOOLEAN": _matching(re.compile("true|false"), "not TRUE or FALSE"),
    "NUMBER": _matching(
        _NUMBER, "not a number: write digits, a '-' and a decimal point only (1250.50)"
    ),
    "DATE_TIME": _matching(_EPOCH, "not an epoch timestamp"),
    "URL": _url,
    "EMAIL": _matching(_EMAIL, "not an email address (name@example.com)"),
}
"""Why a (normalized) value cannot fill a field of each type: None when it can."""


def value_problems(field: TemplateField, values: Sequence[str]) -> Problems:
    """The values of a field's column that cannot fill it (empty values are not set)."""
    rule = VALUE_RULES.get(field.type)
    if rule is None:
        return []
    return [
        (i, problem) for i, value in enumerate(values) if value and (problem := rule(field, value))
    ]


def normalized(
    field: TemplateField, values: Sequence[str], tz: dt.tzinfo
) -> tuple[list[str], Problems]:
    """The values as the API takes them: BOOLEAN lower case, DATE_TIME as epoch seconds
    (digits are kept as they are); and the values that cannot be read as such."""
    if field.type == "BOOLEAN":
        return [_BOOLEAN.get(value.casefold(), value) for value in values], []
    if field.type != "DATE_TIME":
        return list(values), []
    converted, problems = [], []
    for i, value in enumerate(values):
        if value and not _EPOCH.fullmatch(value):
            try:
                value = str(parse_scheduled_time(value, tz))
            except ValueError:
                problems.append(
                    (
                        i,
                        "not a date and time: write 2026-12-01 09:30 (in the --timezone zone), "
                        "an ISO 8601 time with an offset, or an Excel date",
                    )
                )
        converted.append(value)
    return converted, problems


def unset_required(field: TemplateField, values: Sequence[str]) -> list[int]:
    """The rows that leave a required field empty (none for a field a task cannot set)."""
    if not field.required or field.locked or field.type in _NOT_REQUIRED_HERE:
        return []
    return [i for i, value in enumerate(values) if not value]


def set_locked(field: TemplateField, values: Sequence[str]) -> list[int]:
    """The rows that set an invisible or read-only field (a task cannot; its default stands)."""
    if not field.locked or field.type == "NAME":
        return []
    return [i for i, value in enumerate(values) if value]


class TemplateRules:
    """Checks each row's request against the template it names, fetched or carried once
    (``templates``: (instance id, template id) -> the template, None when unknown)."""

    def __init__(
        self,
        templates: Callable[[str, str], TaskTemplate | None],
        tz: dt.tzinfo,
        sheet: SheetTemplate | None = None,
    ) -> None:
        self._templates = templates
        self._tz = tz
        self._columns = dict(sheet.field_columns) if sheet else {}
        """Field name -> the column the sheet has for it (where a missing value goes)."""
        self._identity = sheet.column if sheet else None

    def check(
        self, request: dict[str, Any], mapped: MappedRow, cells: Mapping[str, str]
    ) -> list[RowError]:
        """The ways the row breaks its template; its values are made what the API takes.
        ``cells``: the row as read (the identity column's cell must stay empty)."""
        errors: list[RowError] = []
        if self._identity and cells.get(self._identity, "").strip():
            message = (
                "this column only names the task template the sheet was made for: leave its "
                "cells empty (a row for another template names it in a TaskTemplateId column)"
            )
            errors.append(RowError(self._identity, message, CODE))
        template_id, instance = request.get("TaskTemplateId"), request.get("InstanceId")
        template = self._templates(instance, template_id) if template_id and instance else None
        if template is None:
            return errors
        references = request.get("References", {})
        for name, reference in references.items():
            field = template.field(name)
            if field is not None and field.known:
                errors += self._reference(template, field, reference, mapped)
        named = _named(template)
        for field in template.fields:
            if not field.known:
                continue
            value = _value(request, field)
            if set_locked(field, [value]):
                message = f"{field.locked} to agents in {named}, so a task cannot set it: clear it"
            elif unset_required(field, [value]):
                message = f"required by {named}: fill it in"
            else:
                continue
            errors.append(RowError(self._where(field, mapped), message, CODE))
        return errors

    def _reference(
        self,
        template: TaskTemplate,
        field: TemplateField,
        reference: dict[str, str],
        mapped: MappedRow,
    ) -> list[RowError]:
        where = mapped.where(f"{REFERENCE_PREFIX}{field.name}")
        if field.member:
            column = self._columns.get(field.name, field.member)
            message = (
                f"{field.name} is the task's {field.type} in {_named(template)}: give it in "
                f"the {column} column, not as a reference"
            )
            return [RowError(where, message, CODE)]
        if reference["Type"] != field.reference_type:
            message = (
                f"{field.name} is a {field.type} field of {_named(template)}: it travels as "
                f"a {field.reference_type} reference, not {reference['Type']}; name the column "
                f"{REFERENCE_PREFIX}{field.reference_type}.{field.name}"
            )
            return [RowError(where, message, CODE)]
        values, problems = normalized(field, [reference["Value"]], self._tz)
        reference["Value"] = values[0]
        problems = problems or value_problems(field, values)
        return [RowError(where, problem, CODE) for _, problem in problems]

    def _where(self, field: TemplateField, mapped: MappedRow) -> str:
        path = field.member or f"{REFERENCE_PREFIX}{field.name}"
        where = mapped.where(path)
        return self._columns.get(field.name, field.name) if where == path else where


def _named(template: TaskTemplate) -> str:
    """The template as a row's error names it (short: it is repeated on many rows)."""
    return f"task template '{template.name or template.id}'"


def _value(request: Mapping[str, Any], field: TemplateField) -> str:
    """The text the request gives ``field`` ('' when none)."""
    if field.type == "EXPIRY_DURATION":
        return "set" if EXPIRY_KEY in request.get("SegmentAttributes", {}) else ""
    if field.member:
        value = request.get(field.member)
        return "" if value is None else str(value)
    return str(request.get("References", {}).get(field.name, {}).get("Value", ""))
