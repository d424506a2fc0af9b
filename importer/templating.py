"""template's use case for a task template: fetch it with GetTaskTemplate and write the
spreadsheet made from it (importer.template_workbook). Without a template id, ``template``
writes the blank spreadsheet (importer.blank_template)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from importer.clients import Connector, aws_connector
from importer.errors import UsageError
from importer.options import RunOptions
from importer.reporter import Reporter
from importer.task_templates import TaskTemplate
from importer.template_book import TemplateBook, template_fetcher
from importer.template_workbook import write_template_sheet


@dataclass(frozen=True)
class TemplateSheet:
    """The spreadsheet written, and the template it was made from."""

    path: Path
    template: TaskTemplate


def make_template_sheet(
    output: str | Path,
    options: RunOptions,
    *,
    replace: bool = False,
    connect: Connector | None = None,
    reporter: Reporter | None = None,
) -> TemplateSheet:
    """Fetch ``options.task_template_id`` of ``options.instance_id`` and write the sheet
    made from it to ``output``; an existing file is refused unless ``replace``. A template
    that cannot be fetched is a UsageError; one that takes no task (INACTIVE, no flow) is
    written with a warning."""
    reporter = reporter if reporter is not None else Reporter()
    instance_id = options.instance_id or (options.sandbox_instance_id if options.sandbox else None)
    if not instance_id or not options.task_template_id:
        raise UsageError(
            "a sheet made from a task template needs --instance-id and --task-template-id "
            "(without both, 'template' writes the blank spreadsheet)"
        )
    connect = connect if connect is not None else aws_connector(options)
    with connect(1) as clients:
        book = TemplateBook(template_fetcher(clients.connect))
        template = book.answer(instance_id, options.task_template_id)
    if not isinstance(template, TaskTemplate):
        raise UsageError(f"{book.problems()[0]}; no sheet was written")
    if template.problem:
        reporter.warning(
            f"{template.label} {template.problem}; the sheet is written, but no task can be "
            "created from it until that changes"
        )
    path = write_template_sheet(output, template, replace)
    columns = len(template.columns)
    reporter.info(
        f"Wrote {path} for {template.label}: {columns} columns; fill in one row per task, "
        f"then run 'task-importer validate {path}'."
    )
    return TemplateSheet(path, template)
