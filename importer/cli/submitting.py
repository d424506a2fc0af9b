"""What `run` and `retry` share: the client (or sandbox), the journal, signals, results (their
options are in :mod:`importer.cli.options`)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import json
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importer.aws import task_submitter
from importer.cli.console import error, say, warn
from importer.cli.interrupts import StopRequest, signals_stop
from importer.cli.report import FIRST_ERRORS_SHOWN, print_first_errors, rows_named
from importer.cli.summary_sheet import summary_pairs
from importer.cli.target import Target, open_target
from importer.errors import ImporterError, Interrupted, JournalError, UsageError
from importer.executor import Executor, ExecutorSettings, RunReport, make_limiter
from importer.exitcodes import ExitCode
from importer.journal import Journal, resolve_path
from importer.lost_answers import refused_edit
from importer.model import Outcome, PreparedRow, Status
from importer.progress import make_progress
from importer.ratelimit import RateLimiter
from importer.reconcile import EDITED_CODE, Plan, reconcile
from importer.results import ResultsWriter
from importer.run_summary import COUNTED, FileSummary, RunSummary, write_json
from importer.stop_rules import FailureTally


@dataclass
class Submission:
    """An open connection to Amazon Connect (or the sandbox) and the journal; the rate
    limiter, failure breakers and stop request are the run's, shared by every batch."""

    args: argparse.Namespace
    target: Target
    journal: Journal
    settings: ExecutorSettings
    batch_id: str
    limiter: RateLimiter
    tally: FailureTally = field(default_factory=FailureTally)
    stop: StopRequest = field(default_factory=StopRequest)
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    first_invalid: list[PreparedRow] = field(default_factory=list)

    def reconcile(self, rows: Sequence[PreparedRow], added: Collection[int] = ()) -> Plan:
        """Which rows already have a task, or were edited since theirs (see
        importer.reconcile); the outcomes kept so far are lines of the file not sent."""
        kept = {number: outcome.client_token for number, outcome in self.outcomes.items()}
        return reconcile(
            self.journal,
            self.batch_id,
            rows,
            kept=kept,
            added=added,
            send_edited=self.args.send_edited,
        )

    def send(self, rows: Sequence[PreparedRow], plan: Plan) -> RunReport:
        """Send the valid rows ``plan`` leaves to send; record every row's outcome.
        SIGINT/SIGTERM stop cleanly."""
        valid = []
        for row in rows:
            settled = plan.outcome(row)
            if settled is not None:
                self.keep(settled)
            elif row.ok:
                valid.append(row)
            else:
                self.keep(row.outcome(Status.INVALID))
                if len(self.first_invalid) < FIRST_ERRORS_SHOWN:
                    self.first_invalid.append(row)
        _say_edited(plan)
        progress = make_progress("none" if self.args.no_progress else "auto", total=len(valid))
        executor = Executor(
            task_submitter(self.target.connect),
            self.journal,
            self.settings,
            progress,
            self.batch_id,
            limiter=self.limiter,
            tally=self.tally,
        )
        self.stop.executor = executor
        self.stop.pass_on()
        try:
            report = executor.run(valid, lambda outcome: self.keep(plan.explain(outcome)))
        finally:
            self.stop.executor = None
        warn_refused_edits(self.outcomes, plan.resent)
        return report

    def keep(self, outcome: Outcome) -> None:
        self.outcomes[outcome.row] = outcome

    def record_run(self, code: ExitCode, summary: RunSummary) -> None:
        """Keep the run's end and summary in the journal. A journal that can no longer be
        written (which stopped the run and was reported) loses only this record."""
        try:
            self.journal.finish_run(code, summary.as_dict())
        except JournalError as problem:
            warn(f"the run's summary could not be kept in the journal: {problem}")

    def for_batch(self, batch_id: str) -> Submission:
        """The same client, journal and settings for another input file's batch."""
        return dataclasses.replace(self, batch_id=batch_id, outcomes={}, first_invalid=[])


def _say_edited(plan: Plan) -> None:
    if plan.edited:
        warn(
            f"{rows_named(sorted(plan.edited))}: changed since their task was created, so not "
            f"sent (failed, {EDITED_CODE}; error_message says which task). Correct those "
            "tasks in Amazon Connect, or run again with --send-edited to send them as new tasks"
        )
    if plan.resent:
        say(
            f"{rows_named(sorted(plan.resent))}: changed since a send whose answer was lost (a "
            "task may exist), so sent with that send's ClientToken: one task at most"
        )
    if plan.sent_edited:
        say(
            f"{rows_named(plan.sent_edited)}: changed since a task was (or may have been) "
            "created from them; sent as new tasks (--send-edited)"
        )


def warn_refused_edits(outcomes: Mapping[int, Outcome], numbers: Iterable[int]) -> None:
    """Name the rows, of ``numbers``, that were edited after a task was created under their
    token, and which Amazon Connect refused as such (their results lines say more)."""
    refused = sorted(n for n in numbers if n in outcomes and refused_edit(outcomes[n]))
    if refused:
        warn(
            f"{rows_named(refused)}: edited after a task had already been created from each, "
            "so not sent again; see error_message in the results file"
        )


@contextlib.contextmanager
def open_submission(args: argparse.Namespace) -> Iterator[Submission]:
    """Start the sandbox if asked, build the clients, lock the journal, record the run;
    until the end, Ctrl-C and SIGTERM stop the run cleanly instead of killing it."""
    settings = executor_settings(args)
    with contextlib.ExitStack() as stack:
        target = stack.enter_context(open_target(args, settings.concurrency))
        journal_path = args.journal
        if target.sandbox is not None:
            say(
                f"SANDBOX: sending to the local Amazon Connect emulator at {target.sandbox.url} "
                f"(quota {target.sandbox.config.rate:g}/s, burst {target.sandbox.config.burst}); "
                "nothing is sent to AWS."
            )
            if journal_path is None:
                scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="importer-"))
                journal_path = Path(scratch) / "sandbox-journal.sqlite3"
        journal = stack.enter_context(Journal(resolve_path(journal_path)))
        _refuse_mixed_journal(journal, sandbox=target.sandbox is not None)
        journal.start_run(effective_settings(args))
        submission = Submission(args, target, journal, settings, "", make_limiter(settings))
        with signals_stop(submission.stop):
            yield submission


def _refuse_mixed_journal(journal: Journal, sandbox: bool) -> None:
    """A sandbox run never writes into a journal of real runs, and a real run never reads
    one a sandbox wrote: the sandbox's ContactIds name no real task, so a real run would
    report its rows already created and never send them."""
    others = journal.runs_of_the_other_kind(sandbox)
    if not others:
        return
    if sandbox:
        raise UsageError(
            f"journal {journal.path} records {others:,} runs against Amazon Connect; a "
            "sandbox run must not add its made-up ContactIds to it (the real runs would "
            "take those rows for created). Give the sandbox run a journal of its own with "
            "--journal PATH, or none: without --journal it uses a throwaway one"
        )
    raise UsageError(
        f"journal {journal.path} records {others:,} sandbox runs: the tasks it lists as "
        "created were made by the local emulator and do not exist in Amazon Connect. Use "
        "another journal for real runs (--journal PATH or $TASK_IMPORTER_JOURNAL)"
    )


def executor_settings(args: argparse.Namespace) -> ExecutorSettings:
    max_failures, fraction = args.max_failures or (None, None)
    return ExecutorSettings(
        concurrency=args.concurrency,
        rate=args.rate,
        burst=args.burst,
        max_attempts=args.max_attempts,
        max_failures=max_failures,
        max_failure_fraction=fraction,
        quota_pause_seconds=args.quota_pause,
    )


def effective_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The command's options after the config file and the command line (no secrets: the
    options carry none; credentials come from the AWS configuration)."""
    return {key: value for key, value in vars(args).items() if key != "func"}


def summarised(
    command: str, args: argparse.Namespace, body: Callable[[RunSummary], ExitCode]
) -> ExitCode:
    """Run ``body`` and write the run's summary (``--summary-json``) however it ends; a
    summary path that cannot be written stops the command before anything is sent."""
    _check_summary_path(args.summary_json)
    summary = RunSummary(command, effective_settings(args))
    try:
        code = body(summary)
    except (ImporterError, Interrupted) as problem:
        summary.fail(problem.exit_code, str(problem))
        _write_summary(args.summary_json, summary)
        raise
    _write_summary(args.summary_json, summary)
    return code


def _check_summary_path(destination: str | None) -> None:
    if not destination or destination == "-":
        return
    folder = Path(destination).parent
    try:
        if Path(destination).is_dir():
            raise IsADirectoryError(errno.EISDIR, "it is a folder")
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as problem:
        raise UsageError(
            f"cannot write the summary {destination}: {problem.strerror}; "
            "pick another --summary-json path"
        ) from None


def _write_summary(destination: str | None, summary: RunSummary) -> None:
    """``--summary-json FILE`` (atomically) or ``-`` (stdout, which nothing else uses).

    A failure here is reported but does not change the exit code: the rows were handled.
    """
    if not destination:
        return
    data = summary.as_dict()
    if destination == "-":
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        sys.stdout.flush()
        return
    try:
        write_json(data, Path(destination))
    except OSError as problem:
        error(f"cannot write the summary {destination}: {problem.strerror}")


def finish_batch(
    submission: Submission,
    report: RunReport,
    results_path: Path,
    input_columns: list[str],
    shown_as: str,
) -> tuple[ExitCode, dict[Status, int]]:
    """Write the results in row order to ``results_path``, print the summary naming the
    results as ``shown_as`` (an S3 URL for a file uploaded later); the exit code and counts."""
    with ResultsWriter(results_path, input_columns) as writer:
        for row in sorted(submission.outcomes):
            writer.write(submission.outcomes[row])
        writer.add_summary(summary_pairs(submission.args, report, shown_as))
    counts = {status: 0 for status in COUNTED}
    for outcome in submission.outcomes.values():
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    print_summary(counts, report, shown_as)
    print_first_errors(submission.first_invalid, counts[Status.INVALID])
    if report.stopped_early:
        code = ExitCode.STOPPED
    elif counts[Status.INVALID] or counts[Status.FAILED] or counts[Status.NOT_ATTEMPTED]:
        code = ExitCode.ROWS_FAILED
    else:
        code = ExitCode.OK
    return code, counts


def record_batch(
    file: FileSummary,
    batch_id: str,
    code: ExitCode,
    counts: dict[Status, int],
    report: RunReport,
) -> None:
    """Put one batch's figures into its file's part of the run summary."""
    file.batch_id = batch_id
    file.counts = {str(status): count for status, count in counts.items()}
    file.api_calls, file.throttles = report.calls, report.throttles
    file.send_seconds, file.achieved_rate = report.elapsed, round(report.achieved_rate, 3)
    file.exit_code, file.reason = int(code), _batch_reason(code, counts, report.stop_reason)


def _batch_reason(code: ExitCode, counts: dict[Status, int], stop_reason: str | None) -> str:
    if code == ExitCode.STOPPED:
        return f"stopped early: {stop_reason}"
    if code == ExitCode.ROWS_FAILED:
        parts = [
            f"{count} {status}"
            for status, count in counts.items()
            if count and status not in (Status.CREATED, Status.ALREADY_CREATED)
        ]
        return "rows not created: " + ", ".join(parts)
    return "every row created or already created"


def print_summary(counts: dict[Status, int], report: RunReport, results: str) -> None:
    total = sum(counts.values())
    parts = ", ".join(f"{status} {counts[status]:,}" for status in COUNTED)
    say(f"{total:,} rows: {parts}")
    say(
        f"{report.calls:,} API calls in {report.elapsed:.1f} s, "
        f"achieved {report.achieved_rate:.2f} requests/s, {report.throttles:,} throttled"
    )
    if report.stopped_early:
        say(
            f"STOPPED EARLY: {report.stop_reason}. Rows never sent are 'not_attempted'; rows "
            "sent but not settled are 'failed' and say whether a task may have been created; "
            "run the same command again to continue where it stopped (no task is created "
            "twice)."
        )
    say(f"Results: {results}")
