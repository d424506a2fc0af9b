"""A spreadsheet's task template: which one it names, how its columns map, and the
definition a workbook made by ``task-importer template`` carries.

The template of a sheet is the one its identity column names (importer.task_templates,
``Task template <id> of instance <id>``), else the one ``--task-template-id`` (or a mapping
template) gives every row with ``--instance-id``. When that template is known (fetched, or
carried by the workbook offline), each column named after one of its fields (case and
surrounding spaces ignored) maps to where the field travels: NAME, DESCRIPTION,
SCHEDULED_TIME, QUICK_CONNECT and EXPIRY_DURATION to their request fields, the others to a
reference of the field's name and type. The identity also gives rows that leave them empty
the InstanceId and, when nothing else routes them, the TaskTemplateId: options and cells
win over it. A row may still name another template in a TaskTemplateId column.

A workbook carries the template's definition on a hidden sheet, ``Task template``: its
first row holds a marker, the instance id, the template id and the GetTaskTemplate answer
as JSON, cut into cells of at most :data:`CHUNK` characters (Excel's cell limit is 32,767).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from importer.errors import InputFileError
from importer.limits import ROUTING_FIELDS
from importer.mapping import ColumnBinding, MappingSpec
from importer.reading import first_row
from importer.task_templates import TaskTemplate, TemplateIdentity, identity_column
from importer.template_book import TemplateBook

DEFINITION_SHEET = "Task template"
MARKER = "connect-task-importer task template"
CHUNK = 30_000
"""Characters of JSON per cell of the definition sheet."""
_MAX_CELLS = 300
"""Cells of the definition row read: 9 million characters of JSON, far above any template."""
IDENTITY_ORIGIN = "the sheet's task template"


@dataclass(frozen=True)
class SheetTemplate:
    """The template a sheet names, and its columns' binding (empty when it is not known)."""

    identity: TemplateIdentity
    column: str | None
    """The identity column (None: the template comes from the options)."""
    template: TaskTemplate | None
    binding: ColumnBinding = field(default_factory=ColumnBinding)
    field_columns: dict[str, str] = field(default_factory=dict)
    """The sheet's column for each field of the template it has one for."""

    def mapping(self, spec: MappingSpec) -> MappingSpec:
        """``spec`` with the identity's ids as the constants of last resort."""
        if self.column is None:
            return spec
        spec = dataclasses.replace(spec, fields=dict(spec.fields), origins=dict(spec.origins))
        if "InstanceId" not in spec.fields:
            spec.set_constant("InstanceId", self.identity.instance_id, IDENTITY_ORIGIN)
        if not any(name in spec.fields for name in ROUTING_FIELDS):
            spec.set_constant("TaskTemplateId", self.identity.template_id, IDENTITY_ORIGIN)
        return spec


def sheet_template(
    columns: Sequence[str], templates: TemplateBook, spec: MappingSpec
) -> SheetTemplate | None:
    """The template a sheet with these columns names, and how they map (None: none)."""
    found = identity_column(columns)
    if found is not None:
        column, identity = found
    else:
        ids = [spec.fields.get(name) for name in ("InstanceId", "TaskTemplateId")]
        if not all(ids) or not all(template.is_constant for template in ids if template):
            return None
        column, identity = None, TemplateIdentity(*(t.text.strip() for t in ids if t))
    template = templates.template(identity.instance_id, identity.template_id)
    ignored = frozenset([column] if column else [])
    if template is None:
        return SheetTemplate(identity, column, None, ColumnBinding(ignored=ignored))
    by_name = {f.name.casefold(): f for f in template.fields if f.known}
    named = {c: by_name[c.strip().casefold()] for c in columns if c.strip().casefold() in by_name}
    binding = ColumnBinding(
        fields={c: f.member for c, f in named.items() if f.member},
        references={c: (f.reference_type or "", f.name) for c, f in named.items() if not f.member},
        ignored=ignored,
    )
    field_columns = {f.name: c for c, f in named.items()}
    return SheetTemplate(identity, column, template, binding, field_columns)


def definition_row(template: TaskTemplate) -> list[str]:
    """The first row of the definition sheet of a workbook made from ``template``."""
    text = json.dumps(dict(template.answer), ensure_ascii=False, sort_keys=True)
    chunks = [text[start : start + CHUNK] for start in range(0, len(text), CHUNK)]
    return [MARKER, template.instance_id, template.id, *chunks]


def carried_template(path: Path, sheets: Sequence[str]) -> TaskTemplate | None:
    """The definition a workbook made by ``task-importer template`` carries (None: none)."""
    if DEFINITION_SHEET not in sheets:
        return None
    row = first_row(path, DEFINITION_SHEET, _MAX_CELLS) or []
    if len(row) < 4 or row[0] != MARKER:
        return None
    instance_id, template_id = row[1], row[2]
    try:
        answer = json.loads("".join(row[3:]))
    except ValueError as error:
        raise InputFileError(
            f"{path}, sheet '{DEFINITION_SHEET}': the task template's definition is damaged "
            f"({error}); make the sheet again with task-importer template, or validate with "
            "--fetch-templates"
        ) from error
    template = TaskTemplate.from_answer(answer, instance_id)
    if template.id != template_id:
        return None
    return template
