"""check's use case, the preflight: nothing is sent.

One cheap read call each shows that the credentials work and that every instance, contact
flow, task template and quick connect the inputs' valid rows (and the options) name
exists. ``run`` with ``check`` uses :func:`read_resources` and :func:`run_preflight` with
its own clients.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from importer.agents import UserDirectory
from importer.clients import Clients, Connector, aws_connector
from importer.errors import InputFileError, ResultsFileGiven
from importer.exit_policy import check_exit
from importer.exitcodes import ExitCode
from importer.inbox import InputFile
from importer.locations import Locations
from importer.options import RunOptions
from importer.outbound import Referenced
from importer.pipeline import PrepareOptions, open_batch
from importer.preflight import MAX_RESOURCES, Kind, Preflight, PreflightReport, Resources
from importer.reporter import Reporter
from importer.staging import Staging, no_inputs, open_staging
from importer.template_book import TemplateBook, template_fetcher
from importer.template_checks import CODE as TEMPLATE_CODE

TEMPLATE_ERRORS_SHOWN = 5
"""Errors against a task template that check names (validate lists them all)."""


@dataclass
class Inputs:
    """What the inputs refer to, and how many of them could not be read."""

    resources: Resources = field(default_factory=Resources)
    unreadable: int = 0
    referenced: Referenced = field(default_factory=Referenced)
    """The user names and S3 objects the valid rows name."""


@dataclass(frozen=True)
class CheckResult:
    """The preflight's checks, and how many inputs could not be read."""

    report: PreflightReport
    unreadable: int

    @property
    def exit_code(self) -> ExitCode:
        return check_exit(self.report.ok, self.unreadable)


def check_inputs(
    inputs: Sequence[str],
    options: RunOptions,
    *,
    connect: Connector | None = None,
    reporter: Reporter | None = None,
) -> CheckResult:
    """Read every input's valid rows and check that what they and the options name exists."""
    reporter = reporter if reporter is not None else Reporter()
    connect = connect if connect is not None else aws_connector(options)
    prepare = options.prepare_options()
    with open_staging(options, reporter) as staging, connect(1) as clients:
        found = staging.find(inputs, with_results=False)
        if not found.inputs:
            reporter.info(
                f"{no_inputs(found)}: checking the ids the options, --config and the mapping name."
            )
        prepare.templates = TemplateBook(template_fetcher(clients.connect))
        read = read_resources(
            staging, options, prepare, found.inputs, lambda item: staging.fetch(item.location)
        )
        report = run_preflight(
            options,
            clients,
            read.resources,
            reporter,
            read.referenced,
            staging.locations,
            templates=prepare.templates,
        )
    return CheckResult(report, read.unreadable)


def read_resources(
    staging: Staging,
    options: RunOptions,
    prepare: PrepareOptions,
    items: Iterable[InputFile],
    local_copy: Callable[[InputFile], Path],
) -> Inputs:
    """The resources the options and every valid row of ``items`` name; one line per input.

    ``local_copy`` makes an input readable (e.g. downloads it). An input that cannot be read
    is reported and counted, a results file found in an inbox passed over; the others are
    read.
    """
    inputs = Inputs()
    inputs.resources.add(options.option_ids())
    for item in items:
        try:
            _read_one(staging.reporter, item.location, local_copy(item), prepare, inputs)
        except ResultsFileGiven:
            if staging.report_results_file(item):
                inputs.unreadable += 1
        except InputFileError as problem:
            staging.reporter.error(str(problem))
            inputs.unreadable += 1
    for instance_id, template_id in prepare.templates.fetched:  # named by invalid rows too
        inputs.resources.add({"InstanceId": instance_id, "TaskTemplateId": template_id})
    return inputs


def _read_one(
    reporter: Reporter, location: str, local: Path, prepare: PrepareOptions, inputs: Inputs
) -> None:
    batch = open_batch(local, prepare)
    total = invalid = 0
    breaking: list[str] = []
    for row in batch.rows():
        total += 1
        if row.request is None:
            invalid += 1
            breaking += [
                f"row {row.number}, column '{error.column}': {error.message}"
                for error in row.errors
                if error.code == TEMPLATE_CODE
            ][: TEMPLATE_ERRORS_SHOWN - len(breaking)]
        else:
            inputs.resources.add(row.request)
            inputs.referenced.add(row)
    skipped = f"; {invalid} invalid rows skipped (validate shows why)" if invalid else ""
    reporter.info(f"Input: {location}: {total} rows, {total - invalid} valid{skipped}")
    if breaking:
        reporter.warning(f"rows that break their task template: {'; '.join(breaking)}")
    for warning in batch.warnings:
        reporter.warning(warning)


def run_preflight(
    options: RunOptions,
    clients: Clients,
    resources: Resources,
    reporter: Reporter,
    referenced: Referenced | None = None,
    locations: Locations | None = None,
    users: UserDirectory | None = None,
    templates: TemplateBook | None = None,
) -> PreflightReport:
    """Run the checks with ``clients``, say one line per check and a verdict; the report
    says whether all passed (``ok``) and who the caller is (``caller_arn``). With
    ``referenced`` (and the ``locations`` of its S3 objects), also that its user names are
    agents (looked up with ``users``, which keeps the answers) and its objects exist.
    ``templates``: those the rows were checked against, reported without fetching them
    again."""
    if not resources:
        reporter.warning(
            "no valid row, option or mapping names an instance: only the credentials are checked"
        )
    answers = templates.answer if templates is not None else None
    report = Preflight(clients.connect, clients.sts, templates=answers).run(resources)
    if referenced is not None and locations is not None and report.caller_arn is not None:
        users = users if users is not None else UserDirectory(clients.connect)
        report.checks += referenced.checks(users, lambda: locations.s3)
    for check in report.checks:
        if not check.ok:
            reporter.error(f"FAILED: {check.message}")
            continue
        reporter.info(f"ok: {check.message}")
        if templates is not None and check.kind is Kind.TASK_TEMPLATE:
            template = templates.template(check.instance, check.id)
            if template is not None:
                reporter.info(f"  its fields: {template.describe_fields()}")
    sts_endpoint = clients.sts.meta.endpoint_url
    if report.caller_arn is None and options.endpoint_url and "amazonaws.com" in sts_endpoint:
        reporter.info(
            f"(--endpoint-url points Amazon Connect only; STS was called at {sts_endpoint}: "
            "set AWS_ENDPOINT_URL_STS to call it elsewhere)"
        )
    if report.not_checked:
        cap = f" (at most {MAX_RESOURCES} are checked)" if report.capped else ""
        reporter.warning(
            f"{report.not_checked} instances, flows, templates or quick connects not checked{cap}"
        )
    failed = len(report.failed)
    if failed:
        reporter.error(
            f"preflight failed: {failed} of {len(report.checks)} checks; nothing was sent"
        )
    else:
        reporter.info(f"Preflight passed: {len(report.checks)} checks. Nothing was sent.")
    return report
