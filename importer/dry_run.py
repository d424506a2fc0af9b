"""``run --dry-run`` and ``retry --dry-run``: what a run would do with each row, and the
counts, without doing it.

Each row takes the steps a run takes before sending: importer.reconcile's plan (rows
already created, or edited after their task was created), then the journal's record of
its ClientToken (importer.row_journal.created_before), so a dry run and the run after it
agree. A row is sent (counted ``valid``: checked, not sent), ``already_created``,
``stopped`` (its task was created, then stopped by undo: never re-created), ``invalid``, or
not sent because it changed after its task was created (``failed``, EditedAfterCreation).
A retry's dry run reads the results file as retry does (the run's settings taken,
importer.retrying.read_retry_file).

Nothing is sent, no results file or summary is written, and the journal is read without
its lock (importer.run_journal.reading_journal), so a dry run works beside a running job and
never replaces a run's results. With ``check`` the preflight runs too, on the rows a run
would send.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice

from importer.batch_messages import report_header, warn_reused_name
from importer.checking import run_preflight
from importer.clients import Connector, aws_connector
from importer.collector import thawing
from importer.errors import InputFileError, ResultsFileGiven
from importer.exit_policy import validated_file_exit, validation_exit
from importer.exitcodes import ExitCode
from importer.journal import Journal
from importer.lost_answers import may_have_created
from importer.model import Outcome, PreparedRow, Status
from importer.options import RunOptions
from importer.pipeline import open_batch
from importer.preflight import Resources
from importer.reconcile import Plan, reconcile
from importer.reporter import Reporter
from importer.retrying import read_retry_file
from importer.row_journal import created_before, read_stopped
from importer.run_journal import reading_journal
from importer.staging import no_inputs, open_staging
from importer.template_book import TemplateBook
from importer.two_pass import first_pass, rows_to_send

_CHUNK = 1_000
"""Rows a dry run plans at a time."""
STOPPED_NOT_SENT = "not sent (neither run nor retry re-creates a stopped task)"


@dataclass
class PlannedFile:
    """What a run would do with one input's rows; an input that cannot be read is not
    ``readable``."""

    input: str
    counts: Counter[Status] = field(default_factory=Counter)
    readable: bool = True

    @property
    def exit_code(self) -> ExitCode:
        """As the run would end: 1 if a row would not be created, 2 if unreadable."""
        return validated_file_exit(
            self.readable, self.counts[Status.INVALID] + self.counts[Status.FAILED]
        )


@dataclass
class DryRun:
    """Every input a dry run read, and whether the preflight (``check``) passed."""

    files: list[PlannedFile] = field(default_factory=list)
    preflight_failed: bool = False

    @property
    def exit_code(self) -> ExitCode:
        if self.preflight_failed:
            return ExitCode.USAGE
        return validation_exit(file.exit_code for file in self.files)


def dry_run_inputs(
    inputs: Sequence[str],
    options: RunOptions,
    *,
    connect: Connector | None = None,
    reporter: Reporter | None = None,
) -> DryRun:
    """Say, for every row of every input, what ``run`` would do with it, and the counts."""
    reporter = reporter if reporter is not None else Reporter()
    prepare = options.prepare_options()
    dry_run, resources = DryRun(), Resources()
    resources.add(options.option_ids())
    with (
        open_staging(options, reporter) as staging,
        reading_journal(options) as journal,
        thawing(),
    ):
        found = staging.find(inputs, with_results=False)
        if not found.inputs:
            reporter.info(f"{no_inputs(found)}.")
        for item in found.inputs:
            try:
                local = staging.fetch(item.location)
                batch = open_batch(local, prepare)
                report_header(reporter, batch, item.location)
                read = first_pass(batch.rows(), journal.sent_from(batch.batch_id))
            except ResultsFileGiven:
                if staging.report_results_file(item):
                    dry_run.files.append(PlannedFile(item.location, readable=False))
                continue
            except InputFileError as problem:
                reporter.error(str(problem))
                dry_run.files.append(PlannedFile(item.location, readable=False))
                continue
            plan = reconcile(journal, batch.batch_id, read.rows(), send_edited=options.send_edited)
            warn_reused_name(reporter, item.location, plan)
            rows = rows_to_send(read, batch, local, prepare, plan, item.location)
            del batch  # the first pass's tables go
            planned = _noting(resources, _planned(reporter, journal, plan, rows))
            dry_run.files.append(PlannedFile(item.location, _report_counts(reporter, planned)))
    if len(dry_run.files) > 1:
        total = sum((file.counts for file in dry_run.files), Counter[Status]())
        reporter.info(f"Total of {len(dry_run.files)} files: {_counts_text(total)}")
    if options.check:
        dry_run.preflight_failed = not _preflight(options, connect, resources, reporter)
    _report_nothing_done(reporter)
    return dry_run


def dry_run_results(
    results_file: str, options: RunOptions, *, reporter: Reporter | None = None
) -> DryRun:
    """Say, for every line of a results file, what ``retry`` would do with it."""
    reporter = reporter if reporter is not None else Reporter()
    with open_staging(options, reporter) as staging, reading_journal(options) as journal:
        retry = read_retry_file(staging, journal, str(results_file), options, reporter)
        retry.open_batch(TemplateBook(), str(results_file), reporter)
        kept = retry.kept()
        tokens, rows = retry.rows(journal)
        plan = reconcile(
            journal,
            retry.continued.batch_id,
            rows,
            kept={outcome.row: outcome.client_token for outcome in kept},
            added=tokens.fresh,
            send_edited=options.send_edited,
        )
        for outcome in kept:
            said = f"already created, ContactId {outcome.contact_id}"
            reporter.planned_row(
                outcome.row, _stopped(outcome) if outcome.status is Status.STOPPED else said
            )
        planned = (outcome for _, outcome in _planned(reporter, journal, plan, rows))
        counts = _report_counts(reporter, [*kept, *planned])
    _report_nothing_done(reporter)
    return DryRun([PlannedFile(str(results_file), counts)])


def _planned(
    reporter: Reporter, journal: Journal, plan: Plan, rows: Iterable[PreparedRow]
) -> Iterator[tuple[PreparedRow, Outcome]]:
    """Each row with its outcome as the run would have it before sending (``valid``: sent;
    ``stopped``: its task stopped by undo since), said row by row; a chunk of rows is kept
    at a time, to ask the journal which of their tasks were stopped."""
    rows = iter(rows)
    while chunk := list(islice(rows, _CHUNK)):
        planned = []
        for row in chunk:
            outcome, unanswered = plan.settled(row) or plan.created_before(row), False
            if outcome is None:
                entry = journal.lookup(row.client_token)
                outcome = created_before(row, entry) or row.outcome(Status.VALID)
                unanswered = entry is not None and may_have_created(entry)
            planned.append((row, outcome, unanswered))
        read_stopped(journal, (outcome for _, outcome, _ in planned), STOPPED_NOT_SENT)
        for row, outcome, unanswered in planned:
            reporter.planned_row(row.number, _what(outcome, row, plan, unanswered))
            yield row, outcome


def _noting(
    resources: Resources, planned: Iterable[tuple[PreparedRow, Outcome]]
) -> Iterator[Outcome]:
    """The outcomes; the requests of the rows to send join ``resources`` (for --check)."""
    for row, outcome in planned:
        if outcome.status is Status.VALID and row.request is not None:
            resources.add(row.request)
        yield outcome


def _what(outcome: Outcome, row: PreparedRow, plan: Plan, unanswered: bool) -> str:
    """What the run would do with the row, in a few words."""
    if outcome.status is Status.ALREADY_CREATED:
        return f"already created, ContactId {outcome.contact_id}"
    if outcome.status is Status.STOPPED:
        return _stopped(outcome)
    if outcome.status is Status.INVALID:
        columns = ", ".join(dict.fromkeys(error.column for error in row.errors))
        return f"invalid ({columns}): not sent"
    if outcome.status is Status.FAILED:
        return (
            f"not sent: changed since its task was created (ContactId {outcome.contact_id}; "
            "--send-edited sends it as a new task)"
        )
    if row.number in plan.resent:
        return (
            f"send {row.client_token}, the token of an earlier send of this row whose answer "
            "was lost (one task at most)"
        )
    if unanswered:
        return (
            f"send {row.client_token} again: an earlier send got no clear answer (the same "
            "ClientToken makes one task at most)"
        )
    return f"send {row.client_token}"


def _stopped(outcome: Outcome) -> str:
    return f"stopped by undo, ContactId {outcome.contact_id}: {STOPPED_NOT_SENT}"


def _report_counts(reporter: Reporter, outcomes: Iterable[Outcome]) -> Counter[Status]:
    """Count and say the rows' outcomes (a kept ``created`` line is already created now)."""
    counts = Counter(
        Status.ALREADY_CREATED if outcome.status is Status.CREATED else outcome.status
        for outcome in outcomes
    )
    reporter.info(f"Dry run: {_counts_text(counts)}")
    return counts


def _counts_text(counts: Mapping[Status, int]) -> str:
    total = sum(counts.values())
    return (
        f"{total:,} rows: {counts.get(Status.VALID, 0):,} to send, "
        f"{counts.get(Status.ALREADY_CREATED, 0):,} already created, "
        f"{counts.get(Status.INVALID, 0):,} invalid, "
        f"{counts.get(Status.FAILED, 0):,} not sent as edited after creation"
        + (f", {stopped:,} stopped by undo" if (stopped := counts.get(Status.STOPPED)) else "")
    )


def _report_nothing_done(reporter: Reporter) -> None:
    reporter.info("Dry run: nothing was sent, and no results file was written.")


def _preflight(
    options: RunOptions, connect: Connector | None, resources: Resources, reporter: Reporter
) -> bool:
    """The preflight over what the rows to send name; whether it passed."""
    connect = connect if connect is not None else aws_connector(options)
    with connect(1) as clients:
        report = run_preflight(options, clients, resources, reporter)
    return report.ok
