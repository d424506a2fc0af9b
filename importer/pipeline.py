"""Reading -> mapping -> validation -> tokens: a file becomes a stream of PreparedRows.

This is the library entry point for everything that happens before a request is sent.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from importer.errors import ResultsFileGiven
from importer.limits import TASKS_PER_PREVIOUS_CONTACT
from importer.mapping import MappingSpec, RowMapper
from importer.model import PreparedRow, RowError, SourceRow
from importer.reading import Cells, Table, first_row, open_cells, table_of
from importer.results.format import RESULT_COLUMNS, RESULTS_SHEET, is_results_header
from importer.scheduled_time import local_zone, zone
from importer.sheet_template import SheetTemplate, carried_template, sheet_template
from importer.template_book import TemplateBook
from importer.template_checks import TemplateRules
from importer.tokens import TokenAssigner
from importer.validation import RowValidator


@dataclass
class PrepareOptions:
    """Everything that decides how rows become requests, besides the file itself."""

    mapping: MappingSpec = field(default_factory=MappingSpec)
    sheet: str | None = None
    batch_id: str | None = None
    now: dt.datetime | None = None
    templates: TemplateBook = field(default_factory=TemplateBook)
    """The task templates rows are checked against (offline by default: only those the
    workbooks carry)."""


@dataclass
class Batch:
    """An input file opened for preparation; iterate ``rows()`` once."""

    table: Table
    mapper: RowMapper
    batch_id: str
    timezone_name: str
    timezone_is_default: bool
    validator: RowValidator
    tokens: TokenAssigner
    template_rules: TemplateRules
    sheet_template: SheetTemplate | None = None
    """The task template the sheet was made for, if it names one."""

    @property
    def warnings(self) -> list[str]:
        unmapped = self.mapper.unmapped_warning()
        sheet = self.sheet_template
        if unmapped and sheet is not None and sheet.template is None:
            unmapped += (
                f". (The sheet's task template {sheet.identity.template_id} is not known "
                "here: columns named after its fields map once it is fetched, by run or by "
                "validate --fetch-templates)"
            )
        return [*self.table.warnings, *([unmapped] if unmapped else [])]

    @property
    def maps_nothing(self) -> bool:
        """No column maps (a warning says so once): its rows are not listed one by one."""
        return self.mapper.maps_nothing

    def rows(self) -> Iterator[PreparedRow]:
        """Prepare the file's rows, in order (one pass)."""
        return self.prepare(self.table.rows)

    def prepare(self, sources: Iterable[SourceRow]) -> Iterator[PreparedRow]:
        """Map, validate and token every row; a row's errors never stop the others."""
        previous_contacts: Counter[str] = Counter()
        mapper, build, check = self.mapper, self.validator.build, self.template_rules.check
        keyed = mapper.key_column is not None
        assign = self.tokens.assign
        for source in sources:
            mapped = mapper.map(source)
            request, errors = build(mapped)
            if source.problems:
                errors[:0] = source.problems
            errors += check(request, mapped, source.values)
            if source.overflow:
                letters = ", ".join(source.overflow)
                errors.append(
                    RowError(
                        f"Column {source.overflow[0]}",
                        f"this row has values in column(s) {letters}, which have no header; "
                        "a value probably contains an unquoted delimiter, or add a header",
                    )
                )
            previous = request.get("PreviousContactId")
            if previous:
                previous_contacts[previous] += 1
                if previous_contacts[previous] > TASKS_PER_PREVIOUS_CONTACT:
                    errors.append(
                        RowError(
                            mapped.where("PreviousContactId"),
                            f"more than {TASKS_PER_PREVIOUS_CONTACT} rows in this file share "
                            f"PreviousContactId '{previous}'; Amazon Connect allows "
                            f"{TASKS_PER_PREVIOUS_CONTACT} tasks per previous contact",
                        )
                    )
            key = mapper.key_value(source) if keyed else None
            own_token = bool(request.get("ClientToken") or key)
            token, token_error = assign(request, source.number, key)
            if token_error:
                errors.append(token_error)
            if errors:
                yield PreparedRow(source, None, token, errors, own_token)
            else:
                request["ClientToken"] = token
                resolved_later = "SegmentAttributes" in request or "Attachments" in request
                columns = mapped.origin if resolved_later else None
                yield PreparedRow(source, request, token, own_token=own_token, columns=columns)


def open_batch(path: str | Path, options: PrepareOptions) -> Batch:
    """Open an input file and bind the mapping to its header; raise ImporterError if not
    (ResultsFileGiven for a results file, whatever its name). The definition of a task
    template the workbook carries joins ``options.templates``."""
    cells = open_cells(path, options.sheet)
    refuse_results_file(cells)
    carried = carried_template(cells.path, cells.sheets)
    if carried is not None:
        options.templates.carry(carried)
    return batch_for_table(table_of(cells), options)


def refuse_results_file(cells: Cells) -> None:
    """Raise ResultsFileGiven if the file is a results file: its header starts with the
    results columns, or it is a workbook whose Results sheet (wherever it was moved) does."""
    if is_results_header(cells.header):
        raise ResultsFileGiven(str(cells.path))
    results_sheets = [
        name
        for name in cells.sheets
        if name.casefold() == RESULTS_SHEET.casefold() and name != cells.sheet
    ]
    for name in results_sheets:
        if is_results_header(first_row(cells.path, name, len(RESULT_COLUMNS)) or []):
            raise ResultsFileGiven(str(cells.path))


def batch_for_table(table: Table, options: PrepareOptions) -> Batch:
    """Bind the mapping to an opened table's header."""
    path = table.path
    sheet = sheet_template(table.columns, options.templates, options.mapping)
    spec = options.mapping if sheet is None else sheet.mapping(options.mapping)
    mapper = RowMapper(spec, table.columns, sheet.binding if sheet else None)
    if spec.timezone:
        tz, tz_name, tz_default = zone(spec.timezone), spec.timezone, False
    else:
        (tz, tz_name), tz_default = local_zone(), True
    batch_id = options.batch_id or Path(path).name
    return Batch(
        table=table,
        mapper=mapper,
        batch_id=batch_id,
        timezone_name=tz_name,
        timezone_is_default=tz_default,
        validator=RowValidator(tz, options.now),
        tokens=TokenAssigner(batch_id, mapper.key_column),
        template_rules=TemplateRules(options.templates.template, tz, sheet),
        sheet_template=sheet,
    )
