"""`task-importer run INPUT...`: send every valid row of each input as a task, exactly once.

Each input file is its own batch with its own results file. One journal lock covers the
whole run, so two runs never overlap. A file that cannot be read is reported and the others
go on; a file that stops the run (access denied, quota, interrupted) ends it.
"""

from __future__ import annotations

import argparse

from importer.cli.check import read_resources, run_preflight
from importer.cli.console import error, say, warn
from importer.cli.options import (
    INPUT_OPTIONS,
    SEND_OPTIONS,
    Command,
    Option,
    prepare_options,
)
from importer.cli.report import print_batch_header
from importer.cli.staging import (
    SANDBOX_ADVICE,
    StagedFile,
    Staging,
    no_inputs,
    open_staging,
    report_results_file,
)
from importer.cli.submitting import (
    Submission,
    finish_batch,
    open_submission,
    record_batch,
    summarised,
)
from importer.cli.validate import run_validate
from importer.errors import InputFileError, ResultsFileGiven, UsageError
from importer.exitcodes import ExitCode
from importer.inbox import InputFile
from importer.pipeline import PrepareOptions, open_batch
from importer.reconcile import Plan
from importer.run_summary import FileSummary, RunSummary, file_sha256

RUN_OPTIONS = (
    *INPUT_OPTIONS,
    *SEND_OPTIONS,
    Option(
        ("--archive-dir",),
        metavar="DIR",
        help="move each input whose rows were all created (and its results file, when beside "
        "it) into DIR, local or s3://; inputs with failures stay for the next run",
        group="inbox",
        path=True,
    ),
    Option(
        ("--settle-seconds",),
        metavar="SECONDS",
        type=float,
        default=2.0,
        help="watch files found in a folder or by a glob this long; one whose size changes is "
        "still being written and is left for the next run (default 2)",
        group="inbox",
    ),
    Option(
        ("--check",),
        action="store_true",
        help="run the preflight (see the check command) first; if a check fails, send nothing",
    ),
    Option(
        ("--dry-run",),
        action="store_true",
        help="validate only and show the ClientToken each row would be sent with",
    ),
)
"""run's options: every key a config file may have."""


def run_run(args: argparse.Namespace) -> ExitCode:
    if args.dry_run:
        args.show_tokens = True
        return run_validate(args)
    return summarised("run", args, lambda summary: _run_inputs(args, summary))


def _run_inputs(args: argparse.Namespace, summary: RunSummary) -> ExitCode:
    options = prepare_options(args)
    if args.sandbox and args.archive_dir:
        warn(
            "a sandbox run never moves input files: --archive-dir is ignored (the inputs stay "
            "for the real run)"
        )
    with open_staging(args) as staging:
        found = staging.find()
        for location, why in found.skipped:
            summary.skip(location, why)
        with open_submission(args) as submission:
            staged = [_stage(staging, item, args.sandbox) for item in found.inputs]
            if args.check:
                summary.caller_arn = _preflight(args, submission, options, staged)
            for number, (item, ready) in enumerate(zip(found.inputs, staged, strict=True)):
                file = _run_file(submission, staging, item, ready, options, args)
                if file is None:
                    summary.skip(item.location, ResultsFileGiven(item.location).reason)
                    continue
                summary.files.append(file)
                if submission.stop.reason or file.exit_code == ExitCode.STOPPED:
                    summary.stop_reason = submission.stop.reason or file.reason
                    for later in found.inputs[number + 1 :]:
                        summary.skip(later.location, "not started: the run stopped early")
                    break
            if not found.inputs:
                say(f"{no_inputs(found)}.")
            code = summary.finish()
            submission.record_run(code, summary)
    return code


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
    args: argparse.Namespace,
    submission: Submission,
    options: PrepareOptions,
    staged: list[StagedFile | InputFileError],
) -> str | None:
    """``--check``: the preflight against the run's own target; a failure sends nothing."""
    ready = {s.input: s.local for s in staged if isinstance(s, StagedFile)}
    inputs = read_resources(args, options, list(ready), ready.__getitem__)
    report = run_preflight(args, submission.target, inputs.resources)
    if not report.ok:
        raise UsageError("the preflight check failed (see above); nothing was sent")
    return report.caller_arn


def _run_file(
    submission: Submission,
    staging: Staging,
    item: InputFile,
    staged: StagedFile | InputFileError,
    options: PrepareOptions,
    args: argparse.Namespace,
) -> FileSummary | None:
    """Send one input file; an unreadable file is reported in its summary, not raised. None
    for a results file found in an inbox: it is passed over."""
    file = FileSummary(item.location)
    try:
        if isinstance(staged, InputFileError):
            raise staged
        # Hashed first: if the file is replaced while it is read, the hash is of the old one
        # and archiving (which compares) leaves the new one for the next run.
        file.sha256 = file_sha256(staged.local)
        batch = open_batch(staged.local, options)
        print_batch_header(batch, item.location)
        rows = list(batch.rows())  # read to the end first: a bad line further down sends nothing
    except ResultsFileGiven:
        if not report_results_file(item):
            return None
        file.exit_code, file.reason = int(ExitCode.USAGE), str(ResultsFileGiven(item.location))
        return file
    except InputFileError as problem:
        error(str(problem))
        file.exit_code, file.reason = int(ExitCode.USAGE), str(problem)
        return file
    per_batch = submission.for_batch(batch.batch_id)
    plan = per_batch.reconcile(rows)
    if plan.reused_name:
        _warn_reused_name(item.location, plan)
    report = per_batch.send(rows, plan)
    contact_ids = {outcome.contact_id for outcome in per_batch.outcomes.values()}
    staged = staging.keep_earlier_results(staged, contact_ids)
    code, counts = finish_batch(
        per_batch, report, staged.local_results, batch.table.columns, staged.results
    )
    record_batch(file, batch.batch_id, code, counts, report)
    staging.publish_results(staged.local_results, staged.results, file)
    if file.exit_code == ExitCode.OK and args.archive_dir and not args.sandbox:
        file.archived_to = _archive(staging, staged, args.archive_dir, file.sha256)
    return file


def _warn_reused_name(location: str, plan: Plan) -> None:
    """A new file under the name of an earlier one: say so, and how to tell them apart."""
    assert plan.latest is not None
    warn(
        f"{location}: batch '{plan.batch_id}' already created {plan.batch_tasks:,} tasks, the "
        f"last {plan.created_by(plan.latest)}, but only {plan.matched:,} of this file's "
        f"{plan.rows:,} rows match them: it is read as a new file with an earlier file's name, "
        "and its rows are sent as new tasks. Give each file its own name (a date in it, e.g. "
        "callbacks-2026-11-28.csv) or pass --batch-id, so that a new file is never taken for "
        "an earlier one"
    )


def _archive(staging: Staging, staged: StagedFile, archive_dir: str, sha256: str) -> str:
    location = staged.input.location
    try:
        target = staging.archive(staged, archive_dir, sha256)
    except (InputFileError, OSError) as problem:
        error(f"{location}: all rows done, but archiving failed: {problem}")
        return ""
    if target is None:
        warn(
            f"{location} changed while its rows were sent, so it was not archived: the next "
            "run reads it again (rows already created are not sent twice)"
        )
        return ""
    say(f"Archived {location} to {target}")
    return target


COMMAND = Command(
    "run",
    help="send every valid row of each INPUT to Amazon Connect as a task",
    description="Validate each INPUT, then send every valid row with StartTaskContact "
    "through a shared rate limiter, retrying transient errors with the same ClientToken. "
    "Every outcome is journaled, so running again never creates a task twice. INPUT may "
    "be files, globs, folders (an inbox) or s3:// URLs; each file gets its own results "
    "file. Exit 0: all rows created or already created; 1: some invalid or failed; "
    "2: usage/input error, nothing sent; 3: stopped early (a re-run continues); "
    "4: another run holds the journal.",
    handler=run_run,
    options=RUN_OPTIONS,
)
