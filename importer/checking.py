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
from importer.preflight import MAX_RESOURCES, Preflight, PreflightReport, Resources
from importer.reporter import Reporter
from importer.staging import Staging, no_inputs, open_staging


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
    with open_staging(options, reporter) as staging:
        found = staging.find(inputs, with_results=False)
        if not found.inputs:
            reporter.info(
                f"{no_inputs(found)}: checking the ids the options, --config and the mapping name."
            )
        read = read_resources(
            staging, options, prepare, found.inputs, lambda item: staging.fetch(item.location)
        )
    with connect(1) as clients:
        report = run_preflight(
            options, clients, read.resources, reporter, read.referenced, staging.locations
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
    return inputs


def _read_one(
    reporter: Reporter, location: str, local: Path, prepare: PrepareOptions, inputs: Inputs
) -> None:
    batch = open_batch(local, prepare)
    total = invalid = 0
    for row in batch.rows():
        total += 1
        if row.request is None:
            invalid += 1
        else:
            inputs.resources.add(row.request)
            inputs.referenced.add(row)
    skipped = f"; {invalid} invalid rows skipped (validate shows why)" if invalid else ""
    reporter.info(f"Input: {location}: {total} rows, {total - invalid} valid{skipped}")
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
) -> PreflightReport:
    """Run the checks with ``clients``, say one line per check and a verdict; the report
    says whether all passed (``ok``) and who the caller is (``caller_arn``). With
    ``referenced`` (and the ``locations`` of its S3 objects), also that its user names are
    agents (looked up with ``users``, which keeps the answers) and its objects exist."""
    if not resources:
        reporter.warning(
            "no valid row, option or mapping names an instance: only the credentials are checked"
        )
    report = Preflight(clients.connect, clients.sts).run(resources)
    if referenced is not None and locations is not None and report.caller_arn is not None:
        users = users if users is not None else UserDirectory(clients.connect)
        report.checks += referenced.checks(users, lambda: locations.s3)
    for check in report.checks:
        if check.ok:
            reporter.info(f"ok: {check.message}")
        else:
            reporter.error(f"FAILED: {check.message}")
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
