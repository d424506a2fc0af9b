"""run's use case: send every valid row of each input as a task, exactly once.

Each input file is its own batch with its own results file. One journal lock covers the
whole run, so two runs never overlap. A file that cannot be read is reported and the others
go on; a file that stops the run (access denied, quota, interrupted) ends it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Sequence

from importer.batch_messages import report_header, report_total, warn_reused_name
from importer.checking import read_resources, run_preflight
from importer.clients import Connector, aws_connector
from importer.collector import thawing
from importer.errors import InputFileError, ResultsFileGiven, UsageError
from importer.exitcodes import ExitCode
from importer.inbox import InputFile
from importer.options import RunOptions
from importer.outcome_spool import OutcomeSpool
from importer.pipeline import PrepareOptions, open_batch
from importer.reporter import Reporter
from importer.run_summary import FileSummary, RunSummary, file_sha256
from importer.sending import Sending, open_sending
from importer.staging import SANDBOX_ADVICE, StagedFile, Staging, no_inputs, open_staging
from importer.stop_requests import Stop
from importer.template_book import TemplateBook, template_fetcher
from importer.two_pass import first_pass, rows_to_send


def run_inputs(
    inputs: Sequence[str],
    options: RunOptions,
    *,
    connect: Connector | None = None,
    reporter: Reporter | None = None,
    summary: RunSummary | None = None,
    stop: Stop | None = None,
) -> RunSummary:
    """Send every valid row of each input (files, globs, folders, s3:// URLs) and write
    each one's results; the run's summary (its ``exit_code`` too). ``summary``: one to fill
    in, so its caller has it however this ends; ``stop``: to stop the run from outside (a
    signal handler)."""
    reporter = reporter if reporter is not None else Reporter()
    summary = summary if summary is not None else RunSummary("run", options.audit_record())
    connect = connect if connect is not None else aws_connector(options)
    prepare = options.prepare_options()
    if options.sandbox and options.archive_dir:
        reporter.warning(
            "a sandbox run never moves input files: --archive-dir is ignored (the inputs stay "
            "for the real run)"
        )
    with open_staging(options, reporter) as staging:
        found = staging.find(inputs)
        for location, why in found.skipped:
            summary.skip(location, why)
        with open_sending(options, staging, summary, connect, reporter, stop) as sending:
            prepare.templates = TemplateBook(template_fetcher(sending.clients.connect))
            staged = [_stage(staging, item, options.sandbox) for item in found.inputs]
            if options.check:
                summary.caller_arn = _preflight(sending, prepare, staged)
            elif len(staged) > 1:
                _fetch_templates(prepare, staged)
            for number, (item, ready) in enumerate(zip(found.inputs, staged, strict=True)):
                with thawing():
                    file = _run_file(sending, item, ready, prepare)
                if file is None:
                    summary.skip(item.location, ResultsFileGiven(item.location).reason)
                    continue
                summary.files.append(file)
                if sending.stop.reason or file.exit_code == ExitCode.STOPPED:
                    summary.stop_reason = sending.stop.reason or file.reason
                    for later in found.inputs[number + 1 :]:
                        summary.skip(later.location, "not started: the run stopped early")
                    break
            if not found.inputs:
                reporter.info(f"{no_inputs(found)}.")
            report_total(reporter, summary)
            sending.finish()
    return summary


def _stage(staging: Staging, item: InputFile, sandbox: bool) -> StagedFile | InputFileError:
    """The input made local (downloaded from S3), or why it cannot be (for a sandbox run:
    its results file would replace a real run's)."""
    try:
        staged = staging.stage(item)
        if sandbox:
            staging.keep_run_results(staged.results, "a sandbox run", SANDBOX_ADVICE)
    except InputFileError as problem:
        return problem
    return staged


def _preflight(
    sending: Sending, prepare: PrepareOptions, staged: list[StagedFile | InputFileError]
) -> str | None:
    """The preflight against the run's own clients; a failure sends nothing."""
    ready = {s.input: s.local for s in staged if isinstance(s, StagedFile)}
    inputs = read_resources(
        sending.staging, sending.options, prepare, list(ready), ready.__getitem__
    )
    report = run_preflight(
        sending.options,
        sending.clients,
        inputs.resources,
        sending.reporter,
        inputs.referenced,
        sending.staging.locations,
        sending.outbound.users,
        prepare.templates,
    )
    if not report.ok:
        raise UsageError("the preflight check failed (see above); nothing was sent")
    return report.caller_arn


def _fetch_templates(prepare: PrepareOptions, staged: list[StagedFile | InputFileError]) -> None:
    """Fetch every task template the inputs name before any is sent: a template that
    takes no task stops the run (exit 2) before its first file is sent. (The inputs are
    read twice; a single input is read once, its template fetched as it is read.)"""
    for item in staged:
        if isinstance(item, StagedFile):
            with contextlib.suppress(InputFileError):  # reported when the file is run
                for _ in open_batch(item.local, prepare).rows():
                    pass
    prepare.templates.raise_problems()


def _run_file(
    sending: Sending,
    item: InputFile,
    staged: StagedFile | InputFileError,
    prepare: PrepareOptions,
) -> FileSummary | None:
    """Send one input file; an unreadable file is reported in its summary, not raised. None
    for a results file found in an inbox: it is passed over."""
    reporter, staging, options = sending.reporter, sending.staging, sending.options
    file = FileSummary(item.location)
    try:
        if isinstance(staged, InputFileError):
            raise staged
        # Hashed first: if the file is replaced while it is read, the hash is of the old one
        # and archiving (which compares) leaves the new one for the next run.
        file.sha256 = file_sha256(staged.local)
        batch = open_batch(staged.local, prepare)
        report_header(reporter, batch, item.location)
        # Read to the end first: a bad line further down sends nothing.
        read = first_pass(batch.rows(), sending.journal.sent_from(batch.batch_id))
        prepare.templates.raise_problems()  # a template that takes no task: nothing is sent
    except ResultsFileGiven:
        if not staging.report_results_file(item):
            return None
        file.exit_code, file.reason = int(ExitCode.USAGE), str(ResultsFileGiven(item.location))
        return file
    except InputFileError as problem:
        reporter.error(str(problem))
        file.exit_code, file.reason = int(ExitCode.USAGE), str(problem)
        return file
    with contextlib.closing(OutcomeSpool()) as outcomes:
        sent = sending.batch(batch.batch_id)
        sent.outcomes, sent.list_invalid = outcomes, not batch.maps_nothing
        plan = sent.reconcile(read.rows())
        gc.freeze()  # what reconcile found lives until the batch ends (importer.collector)
        warn_reused_name(reporter, item.location, plan)
        rows = rows_to_send(
            read, batch, staged.local, prepare, plan, item.location, sending.stop.request
        )
        columns = batch.table.columns
        del batch  # the first pass's tables go
        report = sent.send(rows, plan, len(read))
        staged = staging.keep_earlier_results(staged, outcomes.contact_ids())
        sent.settle(report, file, staged.results, staged.local_results, columns)
    if file.exit_code == ExitCode.OK and options.archive_dir and not options.sandbox:
        file.archived_to = _archive(
            reporter, staging, staged, str(options.archive_dir), file.sha256
        )
    return file


def _archive(
    reporter: Reporter, staging: Staging, staged: StagedFile, archive_dir: str, sha256: str
) -> str:
    location = staged.input.location
    try:
        target = staging.archive(staged, archive_dir, sha256)
    except (InputFileError, OSError) as problem:
        hint = (
            "; if it is open (in Excel, say), close it: the next run archives it"
            if isinstance(problem, PermissionError)
            else ""
        )
        reporter.error(f"{location}: all rows done, but archiving failed: {problem}{hint}")
        return ""
    if target is None:
        reporter.warning(
            f"{location} changed while its rows were sent, so it was not archived: the next "
            "run reads it again (rows already created are not sent twice)"
        )
        return ""
    reporter.info(f"Archived {location} to {target}")
    return target
