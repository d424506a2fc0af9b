"""validate's use case (and run's dry run): check every row before anything is sent, and
write a results file of valid and invalid rows for each input."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from importer.batch_messages import FIRST_ERRORS_SHOWN, report_first_errors, report_header
from importer.clients import Connector, aws_connector
from importer.errors import InputFileError, ResultsFileGiven
from importer.exit_policy import validated_file_exit, validation_exit
from importer.exitcodes import ExitCode
from importer.model import Status
from importer.options import RunOptions
from importer.pipeline import Batch, open_batch
from importer.reporter import Reporter
from importer.results import ResultsWriter
from importer.segments import user_name
from importer.staging import StagedFile, no_inputs, open_staging
from importer.template_book import TemplateBook, template_fetcher


@dataclass
class ValidatedFile:
    """One input's rows, counted; an input that could not be read is not ``readable``."""

    input: str
    valid: int = 0
    invalid: int = 0
    results: str = ""
    readable: bool = True

    @property
    def exit_code(self) -> ExitCode:
        return validated_file_exit(self.readable, self.invalid)


@dataclass
class Validation:
    """Every input validate read (an inbox's results files passed over are not here)."""

    files: list[ValidatedFile] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        return validation_exit(file.exit_code for file in self.files)


def validate_inputs(
    inputs: Sequence[str],
    options: RunOptions,
    *,
    reporter: Reporter | None = None,
    show_tokens: bool = False,
    connect: Connector | None = None,
) -> Validation:
    """Map and validate every row of every input and write its results file; with
    ``show_tokens``, report each valid row's ClientToken.

    Offline, rows are checked against the task templates the workbooks made by
    ``task-importer template`` carry; with ``options.fetch_templates``, each template the
    rows name is fetched once (through ``connect``) and a template that takes no task is a
    UsageError (exit 2)."""
    reporter = reporter if reporter is not None else Reporter()
    prepare = options.prepare_options()
    validation = Validation()
    with open_staging(options, reporter) as staging, _templates(options, connect) as templates:
        prepare.templates = templates
        found = staging.find(inputs)
        if not found.inputs:
            reporter.info(f"{no_inputs(found)}.")
        for item in found.inputs:
            try:
                staged = staging.stage(item)
                batch = open_batch(staged.local, prepare)
                staging.keep_run_results(staged.results, "validating")
                validation.files.append(_validate_file(reporter, batch, staged, show_tokens))
                templates.raise_problems()
                _report_unknown(reporter, templates)
                staging.publish(staged)
            except ResultsFileGiven:
                if staging.report_results_file(item):
                    validation.files.append(ValidatedFile(item.location, readable=False))
            except InputFileError as problem:
                reporter.error(str(problem))
                validation.files.append(ValidatedFile(item.location, readable=False))
    return validation


def _validate_file(
    reporter: Reporter, batch: Batch, staged: StagedFile, show_tokens: bool
) -> ValidatedFile:
    report_header(reporter, batch, staged.input.location)
    counts: Counter[Status] = Counter()
    invalid = []
    named = 0
    with ResultsWriter(staged.local_results, batch.table.columns) as writer:
        for row in batch.rows():
            status = Status.VALID if row.ok else Status.INVALID
            counts[status] += 1
            if not row.ok and len(invalid) < FIRST_ERRORS_SHOWN and not batch.maps_nothing:
                invalid.append(row)
            if row.ok and show_tokens:
                reporter.row_token(row.number, row.client_token)
            if row.request is not None and "SegmentAttributes" in row.request:
                named += bool(user_name(row.request))  # the only rows that may name an agent
            writer.write(row.outcome(status))
    total = sum(counts.values())
    valid, bad = counts[Status.VALID], counts[Status.INVALID]
    reporter.info(f"{total} row{'' if total == 1 else 's'}: {valid} valid, {bad} invalid")
    report_first_errors(reporter, invalid, bad, staged.results)
    if named:
        reporter.info(
            f"CreatedByUser: {named:,} valid rows name the agent by user name; validate checks "
            "only its form: check and run look each name up (SearchUsers)"
        )
    reporter.info(f"Results: {staged.results}")
    return ValidatedFile(staged.input.location, valid, bad, staged.results)


@contextlib.contextmanager
def _templates(options: RunOptions, connect: Connector | None) -> Iterator[TemplateBook]:
    """The task templates rows are checked against: fetched with --fetch-templates, else
    those the workbooks carry."""
    if not options.fetch_templates:
        yield TemplateBook()
        return
    connect = connect if connect is not None else aws_connector(options)
    with connect(1) as clients:
        yield TemplateBook(template_fetcher(clients.connect))


def _report_unknown(reporter: Reporter, templates: TemplateBook) -> None:
    """Name, once, each template rows named that could not be checked offline."""
    for instance_id, template_id in templates.unknown:
        reporter.info(
            f"Rows that name task template {template_id} (instance {instance_id}) were not "
            "checked against it: it is not known offline (only a workbook made by "
            "'task-importer template' carries its definition); add --fetch-templates to "
            "fetch it"
        )
    templates.unknown.clear()
