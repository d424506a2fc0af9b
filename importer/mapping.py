"""Map spreadsheet columns to StartTaskContact fields.

With no mapping template, headers named after the API fields map by name (case-insensitive),
``Attributes.<key>`` columns become attributes and ``References.<TYPE>.<name>`` columns become
references, ``SegmentAttributes.<key>`` ones segment attributes and ``Attachment1``... ones
attachments. A mapping template (TOML) adds format strings over columns, constants, attribute
and reference maps; command-line options set constants too and win over the template.

Resolution of a field on one row: a format string that names columns wins; otherwise a
non-empty cell of the column named after the field; otherwise the constant. Routing constants
(flow, quick connect, template) apply only when the row names none of the three itself.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from importer.errors import UsageError
from importer.limits import ROUTING_FIELDS
from importer.model import SourceRow

FIELDS = (
    "InstanceId",
    "Name",
    "Description",
    "ContactFlowId",
    "QuickConnectId",
    "TaskTemplateId",
    "PreviousContactId",
    "RelatedContactId",
    "ScheduledTime",
    "ClientToken",
    "ExpiryMinutes",
    "CreatedByUser",
)
"""What a column, format string or constant fills; the last two: importer.segments."""
_FIELD_BY_FOLDED = {name.casefold(): name for name in FIELDS}
ATTRIBUTE_PREFIX = "Attributes."
REFERENCE_PREFIX = "References."
SEGMENT_PREFIX = "SegmentAttributes."
_ATTACHMENT_COLUMN = re.compile(r"attachment *(\d+)", re.IGNORECASE)  # in number order
_TEMPLATE_KEYS = {"timezone", "key_column", "fields", "attributes", "references", "expiry_minutes"}
_HINTS = (*FIELDS, "Attributes", "References", "SegmentAttributes", "Attachment1")
_PREFIXED = ("Attributes.<key>", "References.<TYPE>.<name>", "SegmentAttributes.<key>")
_UNMAPPED_NAMED = 20
"""A warning names this many unmapped columns, then counts the rest (a file may have 30,000)."""
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass(frozen=True)
class Template:
    """A format string such as 'Call back {Customer Name}'; without braces, a constant."""

    text: str
    parts: tuple[str | tuple[str], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        parts: list[str | tuple[str]] = []
        position = 0
        for match in _PLACEHOLDER.finditer(text):
            parts.append(text[position : match.start()])
            token = match.group(0)
            if token in ("{{", "}}"):
                parts.append(token[0])
            else:
                parts.append((match.group(1).strip(),))
            position = match.end()
        parts.append(text[position:])
        return cls(text, tuple(part for part in parts if part != ""))

    @functools.cached_property
    def columns(self) -> list[str]:
        return [part[0] for part in self.parts if isinstance(part, tuple)]

    @property
    def is_constant(self) -> bool:
        return not self.columns

    def bind(self, columns: MappingABC[str, str]) -> Template:
        """The same template with each column name replaced by ``columns[name]``."""
        parts = tuple(
            (columns[part[0]],) if isinstance(part, tuple) else part for part in self.parts
        )
        return Template(self.text, parts)

    def render(self, values: MappingABC[str, str]) -> str:
        """The text for one row; empty when every column it names is empty on the row."""
        columns = self.columns
        if columns and not any(values.get(name, "").strip() for name in columns):
            return ""
        return "".join(
            values.get(part[0], "").strip() if isinstance(part, tuple) else part
            for part in self.parts
        ).strip()


@dataclass
class MappingSpec:
    """How rows become requests: from a mapping template file, then command-line options."""

    fields: dict[str, Template] = field(default_factory=dict)
    attributes: dict[str, Template] = field(default_factory=dict)
    references: dict[str, tuple[str, Template]] = field(default_factory=dict)
    key_column: str | None = None
    timezone: str | None = None
    source: str = "mapping"
    origins: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> MappingSpec:
        """Read a mapping template; UsageError naming the file and key for anything wrong."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise UsageError(f"mapping file {path}: no such file") from error
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"mapping file {path}: cannot be read ({error})") from error
        except tomllib.TOMLDecodeError as error:
            raise UsageError(f"mapping file {path}: not valid TOML ({error})") from error
        return cls.from_dict(data, source=f"mapping file {path}")

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "mapping") -> MappingSpec:
        def fail(message: str) -> UsageError:
            return UsageError(f"{source}: {message}")

        unknown = sorted(set(data) - _TEMPLATE_KEYS)
        if unknown:
            raise fail(f"unknown key '{unknown[0]}'; allowed: {', '.join(sorted(_TEMPLATE_KEYS))}")
        spec = cls(source=source)
        for key in ("timezone", "key_column"):
            if key in data:
                if not isinstance(data[key], str) or not data[key].strip():
                    raise fail(f"'{key}' must be a non-empty string")
                setattr(spec, key, data[key].strip())
        for name, text in _table(data, "fields", fail).items():
            canonical = _FIELD_BY_FOLDED.get(name.casefold())
            if canonical is None:
                raise fail(f"[fields] has unknown field '{name}'; fields are {', '.join(FIELDS)}")
            spec.fields[canonical] = _template(text, f"[fields] {name}", fail)
        if "expiry_minutes" in data:  # [fields] ExpiryMinutes, as 1440 or "{SLA minutes}"
            minutes = data["expiry_minutes"]
            text = str(minutes) if type(minutes) is int else minutes
            spec.fields["ExpiryMinutes"] = _template(text, "expiry_minutes", fail)
        for key, text in _table(data, "attributes", fail).items():
            spec.attributes[key] = _template(text, f"[attributes] {key}", fail)
        for name, entry in _table(data, "references", fail).items():
            where = f"[references] {name}"
            if not isinstance(entry, dict) or set(entry) != {"type", "value"}:
                raise fail(f'{where} must be {{ type = "URL", value = "..." }}')
            kind = _template(entry["type"], f"{where} type", fail).text.strip().upper()
            spec.references[name] = (kind, _template(entry["value"], f"{where} value", fail))
        return spec

    def constant(self, field_name: str) -> str | None:
        """The text every row gets for a field, when the spec sets it to a constant."""
        template = self.fields.get(field_name)
        return template.text if template is not None and template.is_constant else None

    def set_constant(self, field_name: str, value: str | None, origin: str) -> None:
        """Set a field to a constant (a command-line option), replacing the template's."""
        if value is not None:
            self.fields[field_name] = Template(value, (value,) if value else ())
            self.origins[field_name] = origin


def _table(data: dict[str, Any], key: str, fail: Any) -> dict[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise fail(f"'{key}' must be a table ([{key}])")
    return table


def _template(text: Any, where: str, fail: Any) -> Template:
    if not isinstance(text, str):
        raise fail(f"{where} must be a string")
    return Template.parse(text)


@dataclass
class MappedRow:
    """A row's request fields as text, and where each came from (column or option)."""

    fields: dict[str, str]
    attributes: dict[str, str]
    references: dict[str, tuple[str, str]]
    origin: dict[str, str]
    segments: dict[str, str] = field(default_factory=dict)  # by key
    attachments: dict[str, str] = field(default_factory=dict)  # by column, in number order

    def where(self, path: str) -> str:
        """The column (or option) a request field came from, for error messages."""
        return self.origin.get(path, path)


class _FieldPlan(NamedTuple):
    """Where one request field's text comes from: the same on every row of a file."""

    name: str
    template: Template | None  # a format string over columns: wins, with no fallback
    column: str | None  # otherwise the field's own column, when its cell is not empty
    constant: str | None  # otherwise this constant
    where: str  # the origin of the format string's or the constant's text


@dataclass(frozen=True)
class ColumnBinding:
    """Columns a task template names (importer.task_templates), which map before the
    headers above: to a request field (``fields``: column -> field), or to a reference
    (``references``: column -> (type, name)); ``ignored`` ones map to nothing, unwarned."""

    fields: MappingABC[str, str] = field(default_factory=dict)
    references: MappingABC[str, tuple[str, str]] = field(default_factory=dict)
    ignored: frozenset[str] = frozenset()


class RowMapper:
    """A mapping bound to one file's header: maps each row to request fields."""

    def __init__(
        self, spec: MappingSpec, columns: list[str], binding: ColumnBinding | None = None
    ) -> None:
        self.spec = spec
        self.columns = columns
        binding = binding or ColumnBinding()
        folded = {name.casefold(): name for name in columns}
        self._field_columns: dict[str, str] = {}
        attribute_columns: dict[str, str] = {}
        reference_columns: dict[str, tuple[str, str]] = {}
        segment_columns: dict[str, str] = {}
        attachment_columns: list[tuple[int, str]] = []
        used: set[str] = set()
        for column in columns:
            name = binding.fields.get(column) or _FIELD_BY_FOLDED.get(column.casefold())
            if column in binding.ignored:
                pass
            elif column in binding.references:
                kind, reference = binding.references[column]
                reference_columns[reference] = (kind, column)
            elif name in FIELDS:
                self._field_columns[name] = column
            elif column.casefold().startswith(ATTRIBUTE_PREFIX.casefold()):
                key = column[len(ATTRIBUTE_PREFIX) :].strip()
                attribute_columns[key] = column
            elif column.casefold().startswith(REFERENCE_PREFIX.casefold()):
                kind, _, name = column[len(REFERENCE_PREFIX) :].partition(".")
                reference_columns[name.strip()] = (kind.strip().upper(), column)
            elif column.casefold().startswith(SEGMENT_PREFIX.casefold()):
                segment_columns[column[len(SEGMENT_PREFIX) :].strip()] = column
            elif attachment := _ATTACHMENT_COLUMN.fullmatch(column.strip()):
                attachment_columns.append((int(attachment.group(1)), column))
            else:
                continue
            used.add(column)
        # (key, origin path, column) and (name, origin path, type, column): paths built once
        self._attribute_columns = [
            (key, f"{ATTRIBUTE_PREFIX}{key}", column) for key, column in attribute_columns.items()
        ]
        self._reference_columns = [
            (name, f"{REFERENCE_PREFIX}{name}", kind, column)
            for name, (kind, column) in reference_columns.items()
        ]
        self._segment_columns = [
            (key, f"{SEGMENT_PREFIX}{key}", column) for key, column in segment_columns.items()
        ]
        self._attachment_columns = [(c, c, c) for _, c in sorted(attachment_columns)]
        templates = [
            *spec.fields.values(),
            *spec.attributes.values(),
            *(value for _, value in spec.references.values()),
        ]
        self._resolved: dict[str, str] = {}
        for template in templates:
            for name in template.columns:
                self._resolved[name] = self._column(name, folded)
                used.add(self._resolved[name])
        self.key_column = self._column(spec.key_column, folded) if spec.key_column else None
        if self.key_column:
            used.add(self.key_column)
        self.unmapped = [column for column in columns if column not in used]
        self._fields = [plan for name in FIELDS if (plan := self._field_plan(name))]
        # like the column lists, with the bound template and the origin of its text
        self._attribute_templates = [
            (key, f"{ATTRIBUTE_PREFIX}{key}", *self._bound(template, key))
            for key, template in spec.attributes.items()
        ]
        self._reference_templates = [
            (name, f"{REFERENCE_PREFIX}{name}", kind, *self._bound(template, name))
            for name, (kind, template) in spec.references.items()
        ]

    def _field_plan(self, name: str) -> _FieldPlan | None:
        """Where a field's text comes from on every row; None when it has no source."""
        template = self.spec.fields.get(name)
        if template is not None and not template.is_constant:
            bound, where = self._bound(template, name)
            return _FieldPlan(name, bound, None, None, where)
        column = self._field_columns.get(name)
        constant = template.text.strip() if template is not None and template.text else None
        if column is None and constant is None:
            return None
        origin = f"{name} (from {self.spec.origins.get(name, self.spec.source)})"
        return _FieldPlan(name, None, column, constant, origin)

    def _bound(self, template: Template, fallback: str) -> tuple[Template, str]:
        """The template over the header's own column names, and the origin of its text."""
        return template.bind(self._resolved), _origin(template, self._resolved, fallback)

    def _column(self, name: str, folded: dict[str, str]) -> str:
        found = folded.get(name.casefold())
        if found is None:
            hint = difflib.get_close_matches(name, self.columns, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise UsageError(
                f"{self.spec.source} refers to column '{name}', which is not in the "
                f"header{suggestion}; the columns are: {', '.join(self.columns)}"
            )
        return found

    @property
    def maps_nothing(self) -> bool:
        """No column of the header maps to a request field: every row is the same request."""
        return bool(self.columns) and len(self.unmapped) == len(self.columns)

    def unmapped_warning(self) -> str | None:
        """One line naming the columns that map to nothing (typos must not pass silently);
        when none maps, what to do about it."""
        if not self.unmapped:
            return None
        known = [*FIELDS, *_PREFIXED, "Attachment1..Attachment5"]
        names = []
        for column in self.unmapped[:_UNMAPPED_NAMED]:
            stem, dot, rest = column.partition(".")
            hint = difflib.get_close_matches(stem, _HINTS, n=1, cutoff=0.75)
            suggestion = f" (did you mean '{hint[0]}{dot}{rest}'?)" if hint else ""
            names.append(f"'{column}'{suggestion}")
        if len(self.unmapped) > _UNMAPPED_NAMED:
            names.append(f"and {len(self.unmapped) - _UNMAPPED_NAMED:,} more")
        if self.maps_nothing:
            return (
                f"no column maps to a task field, so every row is the same request (its "
                f"errors are not listed row by row); the headers found: {', '.join(names)}. "
                f"Columns map by header ({', '.join(known)}): rename the headers, map them "
                "with a mapping template (--mapping FILE), or start from a blank spreadsheet "
                "with the right headers (task-importer template tasks.xlsx)"
            )
        return (
            f"columns not sent to Amazon Connect (kept in the results file): {', '.join(names)}. "
            f"Columns map by header: {', '.join(known)}"
        )

    def key_value(self, row: SourceRow) -> str | None:
        return row.values.get(self.key_column, "").strip() if self.key_column else None

    def map(self, row: SourceRow) -> MappedRow:
        origin: dict[str, str] = {}
        fields = self._map_fields(row.values, origin)
        attributes = self._map_attributes(row.values, origin)
        references = self._map_references(row.values, origin)
        segments = _cells(row.values, self._segment_columns, origin)
        attachments = _cells(row.values, self._attachment_columns, origin)
        return MappedRow(fields, attributes, references, origin, segments, attachments)

    def _map_fields(self, values: dict[str, str], origin: dict[str, str]) -> dict[str, str]:
        fields: dict[str, str] = {}
        constants: list[tuple[str, str, str]] = []
        for name, template, column, constant, where in self._fields:
            if template is not None:
                text, source = template.render(values), where
            elif column is not None and (text := values[column].strip()):
                source = column
            else:
                if constant is not None:
                    constants.append((name, constant, where))
                continue
            if text:
                fields[name] = text
                origin[name] = source
        routed = any(name in fields for name in ROUTING_FIELDS)
        for name, text, where in constants:
            if not (routed and name in ROUTING_FIELDS):
                fields[name] = text
                origin[name] = where
        return fields

    def _map_attributes(self, values: dict[str, str], origin: dict[str, str]) -> dict[str, str]:
        attributes = _cells(values, self._attribute_columns, origin)
        for key, path, template, where in self._attribute_templates:
            text = template.render(values)
            attributes.pop(key, None)
            if text:
                attributes[key] = text
                origin[path] = where
        return attributes

    def _map_references(
        self, values: dict[str, str], origin: dict[str, str]
    ) -> dict[str, tuple[str, str]]:
        references: dict[str, tuple[str, str]] = {}
        for name, path, kind, column in self._reference_columns:
            if text := values[column].strip():
                references[name] = (kind, text)
                origin[path] = column
        for name, path, kind, template, where in self._reference_templates:
            text = template.render(values)
            references.pop(name, None)
            if text:
                references[name] = (kind, text)
                origin[path] = where
        return references


def _cells(
    values: dict[str, str], columns: list[tuple[str, str, str]], origin: dict[str, str]
) -> dict[str, str]:
    """The non-empty cells of ``columns`` (key, origin path, column) by key; notes origins."""
    found: dict[str, str] = {}
    for key, path, column in columns:
        if text := values[column].strip():
            found[key] = text
            origin[path] = column
    return found


def _origin(template: Template, resolved: dict[str, str], fallback: str) -> str:
    return ", ".join(resolved[name] for name in template.columns) or fallback
