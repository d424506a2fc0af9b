"""How StartTaskContact enforces the task template it names (InvalidRequestException).

Documented (StartTaskContact, UpdateContactTaskTemplate, TaskTemplateStatus): tasks can only
be created from ACTIVE templates; a task that names only a template needs the template to
have a flow; a required field needs a reference of the field's name and compatible type
(TEXT, TEXT_AREA, BOOLEAN and SINGLE_SELECT: STRING; NUMBER: NUMBER; DATE_TIME: DATE; URL:
URL; EMAIL: EMAIL); TEXT under 512 characters, TEXT_AREA under 4,096, BOOLEAN true or false.

Undocumented, so the sandbox takes the strict side (see importer.sandbox.templates for the
value rules):
- a reference named like a field has that field's type and a valid value, required or not;
- invisible and read-only fields are not set by the request (their defaults stand), and a
  required field that is invisible or read-only is left to its default (NAME excepted:
  every request carries a Name);
- a default does not fill a required field the request leaves out;
- a field that a request member carries (NAME, DESCRIPTION, SCHEDULED_TIME,
  EXPIRY_DURATION) is set through that member, never as a reference, and a required one
  must be set (a non-empty Name or Description); QUICK_CONNECT and SELF_ASSIGN fields are
  not checked: no member of a request that names a template can carry them;
- references named like no field are accepted.
UpdateContactTaskTemplate documents PropertyValidationException for such conflicts; the
model of StartTaskContact lists none, so the sandbox answers InvalidRequestException.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from importer.sandbox.errors import invalid_request
from importer.sandbox.templates import (
    EXPIRY_KEY,
    REFERENCE_TYPE_BY_FIELD_TYPE,
    REQUEST_MEMBER_BY_FIELD_TYPE,
    constrained,
    fields,
    value_problem,
)


def check_template(request: Mapping[str, Any], template: dict[str, Any]) -> None:
    """Raise the 400 answer for the first way ``request`` breaks ``template``."""
    label = f"Task template '{template['Id']}'"
    if template.get("Status", "ACTIVE") != "ACTIVE":
        raise invalid_request(f"{label} is INACTIVE: tasks can only be created from ACTIVE ones")
    if not template.get("ContactFlowId"):
        raise invalid_request(
            f"{label} has no contact flow: a task that names only a template needs one"
        )
    by_name = fields(template)
    locked = {
        "invisible": constrained(template, "InvisibleFields"),
        "read-only": constrained(template, "ReadOnlyFields"),
    }
    for name, field in by_name.items():
        if field["Type"] != "NAME" and _is_set(field, request):
            for kind, names in locked.items():
                if name in names:
                    raise invalid_request(
                        f"{label}: field '{name}' is {kind}; a task cannot set it"
                    )
    for name, reference in request.get("References", {}).items():
        if name in by_name:
            _check_reference(name, reference, by_name[name], label)
    hidden = locked["invisible"] | locked["read-only"]
    for name in sorted(constrained(template, "RequiredFields") - hidden):
        field = by_name[name]
        if field["Type"] not in ("QUICK_CONNECT", "SELF_ASSIGN") and not _is_set(field, request):
            raise invalid_request(f"{label}: field '{name}' is required; {_how_to_set(field)}")


def _check_reference(
    name: str, reference: dict[str, Any], field: dict[str, Any], label: str
) -> None:
    kind = field["Type"]
    if kind in REQUEST_MEMBER_BY_FIELD_TYPE:
        raise invalid_request(
            f"{label}: field '{name}' is the task's {kind}; set "
            f"{REQUEST_MEMBER_BY_FIELD_TYPE[kind]}, not a reference"
        )
    expected = REFERENCE_TYPE_BY_FIELD_TYPE[kind]
    if reference["Type"] != expected:
        raise invalid_request(
            f"{label}: field '{name}' is {kind}; References.{name} must be of type "
            f"{expected}, not {reference['Type']}"
        )
    problem = value_problem(field, reference.get("Value", ""))
    if problem:
        raise invalid_request(f"{label}: References.{name}: {problem}")


def _is_set(field: dict[str, Any], request: Mapping[str, Any]) -> bool:
    """Whether the request gives ``field`` a value."""
    kind, name = field["Type"], field["Id"]["Name"]
    if kind in ("NAME", "DESCRIPTION"):
        return bool(request.get(REQUEST_MEMBER_BY_FIELD_TYPE[kind]))
    if kind == "SCHEDULED_TIME":
        return "ScheduledTime" in request
    if kind == "EXPIRY_DURATION":
        return EXPIRY_KEY in request.get("SegmentAttributes", {})
    if kind in REFERENCE_TYPE_BY_FIELD_TYPE:
        return bool(request.get("References", {}).get(name, {}).get("Value"))
    return False


def _how_to_set(field: dict[str, Any]) -> str:
    kind = field["Type"]
    if kind in REQUEST_MEMBER_BY_FIELD_TYPE:
        return f"set {REQUEST_MEMBER_BY_FIELD_TYPE[kind]}"
    return (
        f"send References['{field['Id']['Name']}'] of type "
        f"{REFERENCE_TYPE_BY_FIELD_TYPE[kind]} with a value"
    )
