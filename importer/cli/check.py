"""`task-importer check INPUT...`: the preflight. Nothing is sent.

One cheap read call each shows that the credentials work and that every instance, contact
flow, task template and quick connect the inputs' valid rows (and the --instance-id,
--contact-flow-id, --task-template-id and --quick-connect-id options) name exists. ``run
--check`` uses ``read_resources`` and ``run_preflight`` with the run's own target.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from importer.cli.console import error, say, warn
from importer.cli.options import INPUT_OPTIONS, TARGET_OPTIONS, Command, prepare_options
from importer.cli.staging import no_inputs, open_staging, report_results_file
from importer.cli.target import Target, open_target
from importer.errors import InputFileError, ResultsFileGiven
from importer.exitcodes import ExitCode
from importer.inbox import InputFile
from importer.pipeline import PrepareOptions, open_batch
from importer.preflight import MAX_RESOURCES, Preflight, PreflightReport, Resources
from importer.sandbox import defaults as sandbox_defaults

_UNUSED = ("results", "results_dir")
"""Input options `check` accepts (a --config shared with run may set them) but never uses."""


def run_check(args: argparse.Namespace) -> ExitCode:
    options = prepare_options(args)
    with open_staging(args) as staging:
        found = staging.find(with_results=False)
        if not found.inputs:
            say(f"{no_inputs(found)}: checking the options' ids only.")
        inputs = read_resources(
            args, options, found.inputs, lambda item: staging.fetch(item.location)
        )
    with open_target(args) as target:
        if target.sandbox is not None:
            say(
                f"SANDBOX: checking against the local Amazon Connect emulator at "
                f"{target.sandbox.url}; nothing is sent to AWS."
            )
        report = run_preflight(args, target, inputs.resources)
    return ExitCode.OK if report.ok and not inputs.unreadable else ExitCode.USAGE


@dataclass
class Inputs:
    """What the inputs refer to, and how many of them could not be read."""

    resources: Resources = field(default_factory=Resources)
    unreadable: int = 0


def read_resources(
    args: argparse.Namespace,
    options: PrepareOptions,
    items: Iterable[InputFile],
    local_copy: Callable[[InputFile], Path],
) -> Inputs:
    """The resources the options and every valid row of ``items`` name; one line per input.

    ``local_copy`` makes an input readable (e.g. downloads it). An input that cannot be read
    is reported and counted, a results file found in an inbox passed over; the others are
    read.
    """
    inputs = Inputs()
    inputs.resources.add(_option_ids(args))
    for item in items:
        try:
            _read_one(item.location, local_copy(item), options, inputs.resources)
        except ResultsFileGiven:
            if report_results_file(item):
                inputs.unreadable += 1
        except InputFileError as problem:
            error(str(problem))
            inputs.unreadable += 1
    return inputs


def _option_ids(args: argparse.Namespace) -> dict[str, str | None]:
    """The ids the command-line options give, as a request would name them."""
    sandbox_instance = sandbox_defaults.INSTANCE_ID if args.sandbox else None
    return {
        "InstanceId": args.instance_id or sandbox_instance,
        "ContactFlowId": args.contact_flow_id,
        "TaskTemplateId": args.task_template_id,
        "QuickConnectId": args.quick_connect_id,
    }


def _read_one(location: str, local: Path, options: PrepareOptions, resources: Resources) -> None:
    batch = open_batch(local, options)
    total = invalid = 0
    for row in batch.rows():
        total += 1
        if row.request is None:
            invalid += 1
        else:
            resources.add(row.request)
    skipped = f"; {invalid} invalid rows skipped (validate shows why)" if invalid else ""
    say(f"Input: {location}: {total} rows, {total - invalid} valid{skipped}")
    for warning in batch.warnings:
        warn(warning)


def run_preflight(
    args: argparse.Namespace, target: Target, resources: Resources
) -> PreflightReport:
    """Run the checks against ``target``, print one line per check and a verdict; the report
    says whether all passed (``ok``) and who the caller is (``caller_arn``)."""
    if not resources:
        warn("no valid row and no option names an instance: only the credentials are checked")
    report = Preflight(target.connect, target.sts).run(resources)
    for check in report.checks:
        say(f"{'ok' if check.ok else 'FAILED'}: {check.message}")
    sts_endpoint = target.sts.meta.endpoint_url
    if report.caller_arn is None and args.endpoint_url and "amazonaws.com" in sts_endpoint:
        say(
            f"(--endpoint-url points Amazon Connect only; STS was called at {sts_endpoint}: "
            "set AWS_ENDPOINT_URL_STS to call it elsewhere)"
        )
    if report.not_checked:
        cap = f" (at most {MAX_RESOURCES} are checked)" if report.capped else ""
        warn(f"{report.not_checked} instances, flows, templates or quick connects not checked{cap}")
    failed = len(report.failed)
    if failed:
        error(f"preflight failed: {failed} of {len(report.checks)} checks; nothing was sent")
    else:
        say(f"Preflight passed: {len(report.checks)} checks. Nothing was sent.")
    return report


COMMAND = Command(
    "check",
    help="preflight: credentials, instance, flows, templates, quick connects exist",
    description="Read each INPUT and check, with one read call each, that the AWS "
    "credentials work (STS GetCallerIdentity) and that every instance, contact flow, task "
    "template and quick connect its valid rows name exists (DescribeInstance, "
    "DescribeContactFlow, GetTaskTemplate, DescribeQuickConnect); invalid rows are "
    "skipped. Nothing is sent and no results file is written. Exit 0: every check "
    "passed; 2: a check failed, an input could not be read, or the options are wrong.",
    handler=run_check,
    options=(
        *(option.hidden() if option.dest in _UNUSED else option for option in INPUT_OPTIONS),
        *TARGET_OPTIONS,
    ),
)
