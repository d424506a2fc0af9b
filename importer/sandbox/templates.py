"""Task templates as GetTaskTemplate answers them: the sandbox's default form, checking and
loading others, and what a value of each field type must look like.

A template is held as a GetTaskTemplate output (botocore's ``GetTaskTemplateResponse``).
``InstanceId`` and ``Arn`` may be left out of a loaded one: the sandbox answers its own for
the instance asked about. A loaded template is checked against that shape and against the
rules AWS documents for templates (Constraints of TaskTemplateConstraints: the NAME field
is required): unique field names, constraints and defaults that name fields of the
template, options on SINGLE_SELECT fields only, and defaults that are valid values. Two
rules are the sandbox's own, plausible but undocumented: every field has a Type, and a
template has one NAME field and at most one field of each type that a request member
carries (DESCRIPTION, SCHEDULED_TIME, QUICK_CONNECT, SELF_ASSIGN, EXPIRY_DURATION).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from importer.sandbox.shapes import ShapeError, check_shape, connect_model

REFERENCE_TYPE_BY_FIELD_TYPE = {
    "TEXT": "STRING",
    "TEXT_AREA": "STRING",
    "BOOLEAN": "STRING",
    "SINGLE_SELECT": "STRING",
    "NUMBER": "NUMBER",
    "DATE_TIME": "DATE",
    "URL": "URL",
    "EMAIL": "EMAIL",
}
"""The reference type that carries a field's value (API reference: UpdateContactTaskTemplate)."""
REQUEST_MEMBER_BY_FIELD_TYPE = {
    "NAME": "Name",
    "DESCRIPTION": "Description",
    "SCHEDULED_TIME": "ScheduledTime",
    "QUICK_CONNECT": "QuickConnectId",
    "SELF_ASSIGN": "(none: agents assign tasks to themselves in the agent workspace)",
    "EXPIRY_DURATION": "SegmentAttributes connect:ContactExpiry",
}
"""Field types whose value a request member carries instead of a reference."""
TEXT_MAX_CHARACTERS = 511
"""TEXT references must be fewer than 512 characters (UpdateContactTaskTemplate)."""
TEXT_AREA_MAX_CHARACTERS = 4_095
"""TEXT_AREA references must be fewer than 4,096 characters (UpdateContactTaskTemplate)."""
CONSTRAINTS = ("RequiredFields", "ReadOnlyFields", "InvisibleFields")
EXPIRY_KEY = "connect:ContactExpiry"
"""The segment attribute that carries an EXPIRY_DURATION field's value."""

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_EPOCH = re.compile(r"\d+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def _field(name: str, kind: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"Id": {"Name": name}, "Description": description, "Type": kind, **extra}


def _named(*names: str) -> list[dict[str, Any]]:
    return [{"Id": {"Name": name}} for name in names]


DEFAULT_FORM: dict[str, Any] = {
    "Description": "Call a customer back (the sandbox's default template)",
    "Status": "ACTIVE",
    "Fields": [
        _field("Name", "NAME", "What the agent sees first"),
        _field("Description", "DESCRIPTION", "What to do"),
        _field("Customer phone", "TEXT", "Number to call back, e.g. +12065550100"),
        _field(
            "Priority",
            "SINGLE_SELECT",
            "How soon to call",
            SingleSelectOptions=["Low", "Normal", "High"],
        ),
        _field("Order total", "NUMBER", "Order value in USD"),
        _field("Callback by", "DATE_TIME", "Latest time to call back"),
        _field("Consent given", "BOOLEAN", "The customer agreed to be called"),
        _field("Order page", "URL", "The order in the back office"),
        _field("Customer email", "EMAIL", "Where to send a summary"),
        _field("Notes", "TEXT_AREA", "Anything else the agent should know"),
        _field("Case id", "TEXT", "CRM case id, hidden from agents"),
        _field("Source", "TEXT", "Where the task came from"),
        _field("Scheduled time", "SCHEDULED_TIME", "When the task starts"),
        _field("Expiry", "EXPIRY_DURATION", "Minutes before an unhandled task expires"),
    ],
    "Constraints": {
        "RequiredFields": _named("Name", "Customer phone"),
        "ReadOnlyFields": _named("Source"),
        "InvisibleFields": _named("Case id"),
    },
    "Defaults": {
        "DefaultFieldValues": [
            {"Id": {"Name": "Priority"}, "DefaultValue": "Normal"},
            {"Id": {"Name": "Source"}, "DefaultValue": "Bulk import"},
        ]
    },
}
"""The fields of every template the sandbox accepts without a loaded definition."""


def default_template(template_id: str, number: int, contact_flow_id: str | None) -> dict[str, Any]:
    """The default form as template ``number`` (its place among the accepted ids)."""
    template = {"Id": template_id, "Name": f"Sandbox task template {number}"}
    template.update(copy.deepcopy(DEFAULT_FORM))
    if contact_flow_id:
        template["ContactFlowId"] = contact_flow_id
    return template


def fields(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The template's fields by name, in the template's order."""
    return {field["Id"]["Name"]: field for field in template.get("Fields", [])}


def constrained(template: dict[str, Any], constraint: str) -> set[str]:
    """The names of the fields under ``constraint`` (RequiredFields, ReadOnlyFields...)."""
    return {item["Id"]["Name"] for item in template.get("Constraints", {}).get(constraint, [])}


def defaults_of(template: dict[str, Any]) -> dict[str, str]:
    """Default values by field name."""
    values = template.get("Defaults", {}).get("DefaultFieldValues", [])
    return {item["Id"]["Name"]: item["DefaultValue"] for item in values}


def value_problem(field: dict[str, Any], value: str) -> str | None:
    """Why ``value`` cannot fill ``field`` (None: it can).

    Documented (UpdateContactTaskTemplate, ReferenceType): TEXT under 512 characters,
    TEXT_AREA under 4,096, BOOLEAN true or false, DATE an epoch timestamp. The sandbox's own
    strict reading: a SINGLE_SELECT value is one of the options exactly, a NUMBER is a
    decimal (``-12``, ``3.50``), a DATE_TIME is epoch seconds or milliseconds in digits, a
    URL is an absolute http(s) URL, an EMAIL is ``name@domain.tld``.
    """
    kind = field.get("Type")
    if kind == "TEXT" and len(value) > TEXT_MAX_CHARACTERS:
        return f"a TEXT value must be fewer than 512 characters, not {len(value)}"
    if kind == "TEXT_AREA" and len(value) > TEXT_AREA_MAX_CHARACTERS:
        return f"a TEXT_AREA value must be fewer than 4,096 characters, not {len(value)}"
    if kind == "BOOLEAN" and value not in ("true", "false"):
        return f"a BOOLEAN value must be true or false, not '{value}'"
    if kind == "SINGLE_SELECT" and value not in field.get("SingleSelectOptions", []):
        options = ", ".join(field.get("SingleSelectOptions", []))
        return f"'{value}' is not one of the options: {options}"
    if kind == "NUMBER" and not _NUMBER.fullmatch(value):
        return f"a NUMBER value must be a decimal number, not '{value}'"
    if kind == "DATE_TIME" and not _EPOCH.fullmatch(value):
        return f"a DATE_TIME value must be an epoch timestamp (digits), not '{value}'"
    if kind == "URL" and not is_web_url(value):
        return f"a URL value must be an absolute http(s) URL, not '{value}'"
    if kind == "EMAIL" and not _EMAIL.fullmatch(value):
        return f"an EMAIL value must be an email address, not '{value}'"
    return None


def is_web_url(value: str) -> bool:
    """Whether ``value`` is an absolute http(s) URL with a host and no whitespace."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(host) and not re.search(r"\s", value)


def validate_template(data: Any, where: str = "task template") -> dict[str, Any]:
    """A copy of ``data`` if it is a valid GetTaskTemplate output, else ValueError naming
    ``where`` and the first problem. ``ResponseMetadata`` (a boto3 answer dumped as it
    is) is dropped."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a JSON object (a GetTaskTemplate output)")
    template = {name: value for name, value in data.items() if name != "ResponseMetadata"}
    output = connect_model().operation_model("GetTaskTemplate").output_shape
    try:
        check_shape({"Arn": "(the sandbox's)", **template}, output, "")
    except ShapeError as error:
        raise ValueError(f"{where}: {error}") from error
    problem = _template_problem(template)
    if problem:
        raise ValueError(f"{where} '{template['Id']}': {problem}")
    return copy.deepcopy(template)


def _template_problem(template: dict[str, Any]) -> str | None:
    incomplete = _incomplete_item(template)
    if incomplete:
        return incomplete
    names = [field["Id"]["Name"] for field in template.get("Fields", [])]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        return f"two fields are named '{duplicate}'"
    by_name = fields(template)
    for name, field in by_name.items():
        problem = _field_problem(field)
        if problem:
            return f"field '{name}': {problem}"
    for constraint in CONSTRAINTS:
        unknown = sorted(constrained(template, constraint) - set(by_name))
        if unknown:
            return f"Constraints.{constraint} names no field of the template: {', '.join(unknown)}"
    kinds = [field["Type"] for field in by_name.values()]
    if kinds.count("NAME") != 1:
        return "a template has exactly one field of type NAME"
    repeated = next((kind for kind in REQUEST_MEMBER_BY_FIELD_TYPE if kinds.count(kind) > 1), None)
    if repeated:
        return f"a template has at most one field of type {repeated}"
    name_field = next(name for name, field in by_name.items() if field["Type"] == "NAME")
    if name_field not in constrained(template, "RequiredFields"):
        return f"the NAME field '{name_field}' must be in Constraints.RequiredFields"
    return _defaults_problem(template, by_name)


def _incomplete_item(template: dict[str, Any]) -> str | None:
    """The model leaves Id.Name and DefaultValue optional; a template needs them all."""
    lists = {
        "Fields": template.get("Fields", []),
        "Defaults.DefaultFieldValues": template.get("Defaults", {}).get("DefaultFieldValues", []),
        **{
            f"Constraints.{name}": template.get("Constraints", {}).get(name, [])
            for name in CONSTRAINTS
        },
    }
    for where, items in lists.items():
        for number, item in enumerate(items, 1):
            if "Name" not in item.get("Id", {}):
                return f"item {number} of {where} needs Id.Name"
            if where.startswith("Defaults") and "DefaultValue" not in item:
                return f"item {number} of {where} needs DefaultValue"
    return None


def _field_problem(field: dict[str, Any]) -> str | None:
    kind = field.get("Type")
    if kind is None:
        return "Type is missing"
    options = field.get("SingleSelectOptions")
    if kind == "SINGLE_SELECT" and not options:
        return "a SINGLE_SELECT field needs SingleSelectOptions"
    if kind != "SINGLE_SELECT" and options is not None:
        return f"only SINGLE_SELECT fields have SingleSelectOptions, not {kind}"
    if options and len(set(options)) != len(options):
        return "SingleSelectOptions repeats an option"
    return None


def _defaults_problem(template: dict[str, Any], by_name: dict[str, dict[str, Any]]) -> str | None:
    for name, value in defaults_of(template).items():
        if name not in by_name:
            return f"Defaults name no field of the template: {name}"
        problem = value_problem(by_name[name], value)
        if problem:
            return f"the default of field '{name}' is not valid: {problem}"
    return None


def load_template_file(path: Path | str) -> list[dict[str, Any]]:
    """The templates of a JSON file: one GetTaskTemplate output, or a list of them;
    ValueError naming the file (and the template's place in a list) for a bad one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise ValueError(f"{path}: cannot read it: {error.strerror or error}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a JSON file: {error}") from error
    if isinstance(data, list):
        if not data:
            raise ValueError(f"{path}: the list holds no template")
        return [
            validate_template(item, f"{path}: template {number}")
            for number, item in enumerate(data, 1)
        ]
    return [validate_template(data, str(path))]
