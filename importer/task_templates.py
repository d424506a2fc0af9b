"""Task templates as the importer sees them: the form a GetTaskTemplate answer defines, where
each field's value travels in a StartTaskContact request, and the ids a spreadsheet made
from a template carries.

Sources (the README's "Task templates" section lists them):

- The answer's shape: botocore's model of GetTaskTemplate (``GetTaskTemplateResponse``).
  The model requires only ``Id``, ``Arn`` and ``Name``: a field without ``Id.Name`` is
  skipped, and one whose ``Type`` is missing or unknown to this version is no column and is
  not checked.
- Field types to reference types, and the TEXT / TEXT_AREA / BOOLEAN value rules: the
  documentation of UpdateContactTaskTemplate ("TEXT, TEXT_AREA, BOOLEAN, and SINGLE_SELECT
  map to references of type STRING. NUMBER maps to references of type NUMBER. DATE_TIME
  maps to references of type DATE. URL ... URL. EMAIL ... EMAIL").
- Field types carried by request members (NAME: Name, DESCRIPTION: Description,
  SCHEDULED_TIME: ScheduledTime, QUICK_CONNECT: QuickConnectId, EXPIRY_DURATION: the
  expiry in minutes, SegmentAttributes ``connect:ContactExpiry``): issue 15, inferred from
  the names; AWS does not document it. SELF_ASSIGN has no request member.
- ``Status``: "Tasks can only be created from ACTIVE templates" (GetTaskTemplateResponse).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

REFERENCE_TYPES = {
    "TEXT": "STRING",
    "TEXT_AREA": "STRING",
    "BOOLEAN": "STRING",
    "SINGLE_SELECT": "STRING",
    "NUMBER": "NUMBER",
    "DATE_TIME": "DATE",
    "URL": "URL",
    "EMAIL": "EMAIL",
}
"""The reference type that carries a field of each type (UpdateContactTaskTemplate)."""
EXPIRY_FIELD = "ExpiryMinutes"
"""The mapped field (a column of that name elsewhere) that sets the task's expiry in
minutes, as SegmentAttributes connect:ContactExpiry (importer.segments)."""
EXPIRY_KEY = "connect:ContactExpiry"
"""The segment attribute that carries an EXPIRY_DURATION field's value."""
MEMBERS = {
    "NAME": "Name",
    "DESCRIPTION": "Description",
    "SCHEDULED_TIME": "ScheduledTime",
    "QUICK_CONNECT": "QuickConnectId",
    "EXPIRY_DURATION": EXPIRY_FIELD,
}
"""The mapped field that carries a field of each of these types (not a reference)."""
NO_MEMBER = frozenset({"SELF_ASSIGN"})
"""Field types no StartTaskContact member carries: agents set them in their workspace."""
ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class TemplateField:
    """One field of a template's form, as agents see it."""

    name: str
    type: str
    description: str = ""
    options: tuple[str, ...] = ()
    required: bool = False
    read_only: bool = False
    invisible: bool = False
    default: str | None = None

    @property
    def reference_type(self) -> str | None:
        """The reference type that carries the value (None: a request member does)."""
        return REFERENCE_TYPES.get(self.type)

    @property
    def member(self) -> str | None:
        """The mapped field that carries the value, for NAME, DESCRIPTION... (else None)."""
        return MEMBERS.get(self.type)

    @property
    def known(self) -> bool:
        """Whether this version knows how a request sets this field's type."""
        return self.type in REFERENCE_TYPES or self.type in MEMBERS

    @property
    def locked(self) -> str:
        """'invisible' or 'read-only' when a task may not set it (agents cannot), else ''."""
        return "invisible" if self.invisible else "read-only" if self.read_only else ""

    @property
    def is_column(self) -> bool:
        """Whether a sheet made from the template has a column for it: every field but the
        invisible ones and those no request can carry."""
        return not self.invisible and self.known


@dataclass(frozen=True)
class TaskTemplate:
    """A task template: its ids, status and fields in the template's order, and the
    GetTaskTemplate answer it was read from (JSON-ready: times as ISO text)."""

    id: str
    instance_id: str
    name: str
    status: str
    contact_flow_id: str
    fields: tuple[TemplateField, ...]
    answer: Mapping[str, Any]

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any], instance_id: str = "") -> TaskTemplate:
        """Read a GetTaskTemplate answer (ResponseMetadata and timestamps are left out of
        ``answer``, or made ISO text)."""
        kept = {key: _plain(value) for key, value in answer.items() if key != "ResponseMetadata"}
        constraints = kept.get("Constraints") or {}
        required, read_only, invisible = (
            _names(constraints.get(name))
            for name in ("RequiredFields", "ReadOnlyFields", "InvisibleFields")
        )
        defaults = {
            name: str(item.get("DefaultValue", ""))
            for item in (kept.get("Defaults") or {}).get("DefaultFieldValues") or []
            if (name := _name(item))
        }
        fields = tuple(
            TemplateField(
                name=name,
                type=str(field.get("Type") or ""),
                description=str(field.get("Description") or ""),
                options=tuple(str(option) for option in field.get("SingleSelectOptions") or ()),
                required=name in required,
                read_only=name in read_only,
                invisible=name in invisible,
                default=defaults.get(name),
            )
            for field in kept.get("Fields") or []
            if (name := _name(field))
        )
        return cls(
            id=str(kept.get("Id", "")),
            instance_id=str(kept.get("InstanceId") or instance_id),
            name=str(kept.get("Name", "")),
            status=str(kept.get("Status") or ACTIVE),
            contact_flow_id=str(kept.get("ContactFlowId") or ""),
            fields=fields,
            answer=kept,
        )

    @property
    def label(self) -> str:
        """The template as messages name it: ``task template 'Callbacks' (id)``."""
        return (
            f"task template '{self.name}' ({self.id})" if self.name else f"task template {self.id}"
        )

    @property
    def columns(self) -> list[TemplateField]:
        """The fields a sheet made from it has a column for, in the template's order."""
        return [field for field in self.fields if field.is_column]

    def describe_fields(self) -> str:
        """Its fields in one line: name, type, and what constrains each."""
        return "; ".join(_describe(field) for field in self.fields)

    def field(self, name: str) -> TemplateField | None:
        return self._by_name.get(name)

    @functools.cached_property
    def _by_name(self) -> dict[str, TemplateField]:
        return {field.name: field for field in self.fields}

    @property
    def problem(self) -> str:
        """Why no task can be created from it ('' when one can)."""
        if self.status != ACTIVE:
            return f"it is {self.status}: tasks can only be created from ACTIVE templates"
        if not self.contact_flow_id:
            return "it has no contact flow: a task that names only a template needs one"
        return ""


def _describe(field: TemplateField) -> str:
    notes = [field.type or "no type"]
    if field.options:
        notes.append("/".join(field.options))
    notes += [note for note in ("required" if field.required else "", field.locked) if note]
    if field.default is not None:
        notes.append(f"default {field.default}")
    return f"{field.name} ({', '.join(notes)})"


def _name(item: Any) -> str:
    """``item['Id']['Name']``, or '' when the answer leaves it out."""
    identifier = item.get("Id") if isinstance(item, Mapping) else None
    name = identifier.get("Name") if isinstance(identifier, Mapping) else None
    return name if isinstance(name, str) else ""


def _names(items: Iterable[Any] | None) -> set[str]:
    return {name for item in items or () if (name := _name(item))}


def _plain(value: Any) -> Any:
    """A boto3 value as JSON holds it: datetimes as ISO text."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True)
class TemplateIdentity:
    """Which template, of which instance, a spreadsheet was made for.

    A sheet made by ``task-importer template`` has a column whose header carries both ids
    (:meth:`header`): ``Task template <template id> of instance <instance id>``. Its cells
    stay empty. The header maps to no request field (no field, ``Attributes.`` or
    ``References.`` header looks like it) and survives CSV, Excel and the results file, so
    ``retry`` knows the template too.
    """

    instance_id: str
    template_id: str

    def header(self) -> str:
        return f"Task template {self.template_id} of instance {self.instance_id}"


_IDENTITY = re.compile(r"task template (\S+) of instance (\S+)", re.IGNORECASE)


def identity_column(columns: Sequence[str]) -> tuple[str, TemplateIdentity] | None:
    """The column that names a sheet's template, and the ids it carries (None: no such
    column; the first one counts)."""
    for column in columns:
        match = _IDENTITY.fullmatch(" ".join(column.split()))
        if match:
            return column, TemplateIdentity(match.group(2), match.group(1))
    return None
