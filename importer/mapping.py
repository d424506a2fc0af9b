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
import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from typing import NamedTuple

from importer.errors import UsageError
from importer.limits import ROUTING_FIELDS
from importer.mapping_spec import FIELD_BY_FOLDED, FIELDS, MappingSpec, Template
from importer.model import SourceRow

ATTRIBUTE_PREFIX = "Attributes."
REFERENCE_PREFIX = "References."
SEGMENT_PREFIX = "SegmentAttributes."
_ATTACHMENT_COLUMN = re.compile(r"attachment *(\d+)", re.IGNORECASE)  # in number order
_HINTS = (*FIELDS, "Attributes", "References", "SegmentAttributes", "Attachment1")
_PREFIXED = ("Attributes.<key>", "References.<TYPE>.<name>", "SegmentAttributes.<key>")
_UNMAPPED_NAMED = 20
"""A warning names this many unmapped columns, then counts the rest (a file may have 30,000)."""


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
            name = binding.fields.get(column) or FIELD_BY_FOLDED.get(column.casefold())
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
        values = row.values
        fields = self._map_fields(values, origin)
        attributes = self._map_attributes(values, origin)
        references = self._map_references(values, origin)
        # most files have no segment or attachment columns: no call for them
        segments = _cells(values, self._segment_columns, origin) if self._segment_columns else {}
        attachments = (
            _cells(values, self._attachment_columns, origin) if self._attachment_columns else {}
        )
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
        if not self._attribute_templates:
            return attributes
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
