"""retry's use case: send again only the rows of a results file that did not make it.

The results file may come back edited by a person, in Excel or as CSV: sorted, filtered,
cells fixed, lines deleted, lines added. Which lines are sent, under which ClientToken, is
importer.retry_plan's. A line a person deleted is dropped: it is not sent and not written
back, since the results are rewritten from the lines the file holds. A deleted created
line's task stays in Amazon Connect and in the journal, so a run of the original input
still reports it already_created and never sends it again.

The rows are mapped with the settings of the run that wrote the file, for those not given
(importer.remembered). Its tasks are journaled in the batch of that run (found through the
file's ClientTokens or the journal's run summaries; ``batch_id`` wins), with the token each
edit replaces as its origin, and the rows are reconciled with that batch before sending
(importer.reconcile): a line whose task exists, under its token or as an earlier retry's
edit of it, is already_created and not sent again; a line whose row was sent since under a
token no line holds, without an answer (the line is from an older copy of the file, say),
is sent under that token, as an edit after a lost answer is. Lines whose client_token cell
is empty (added ones too) are new tasks by intent: never taken for edits of their row.

The merged results are written back in row order to the same file (or ``results``); for a
sandbox to the sandbox results beside it (``tasks.sandbox.results.csv`` for
``tasks.results.csv``), never over a real run's results. If they cannot be uploaded to S3,
a copy is kept in the current folder and the exit code is 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from importer.batch_messages import report_header
from importer.clients import Connector, aws_connector
from importer.journal import Journal
from importer.locations import location_name
from importer.model import Outcome, PreparedRow, SourceRow, Status
from importer.options import RunOptions
from importer.pipeline import Batch, batch_for_table
from importer.reading import Table
from importer.reconcile import Continued
from importer.remembered import take_run_settings
from importer.reporter import Reporter
from importer.results import ResultLine, read_results
from importer.retry_plan import (
    RetryTokens,
    continued_batch,
    explain_resent_edits,
    kept,
    number_lines,
    refuse_repeated_rows,
)
from importer.run_journal import reading_journal
from importer.run_summary import FileSummary, RunSummary, file_sha256
from importer.sending import open_sending, report_refused_edits
from importer.staging import SANDBOX_ADVICE, Staging, open_staging, written_back
from importer.stop_requests import Stop
from importer.template_book import TemplateBook, template_fetcher


def retry_results(
    results_file: str,
    options: RunOptions,
    *,
    connect: Connector | None = None,
    reporter: Reporter | None = None,
    summary: RunSummary | None = None,
    stop: Stop | None = None,
) -> RunSummary:
    """Send again the failed, invalid and not attempted lines of ``results_file`` (and the
    lines added to it) and write the merged results back; the run's summary (its
    ``exit_code`` too). ``summary``: one to fill in, so its caller has it however this
    ends; ``stop``: to stop the run from outside (a signal handler)."""
    reporter = reporter if reporter is not None else Reporter()
    summary = summary if summary is not None else RunSummary("retry", options.audit_record())
    connect = connect if connect is not None else aws_connector(options)
    source = str(results_file)
    results = written_back(source, options)
    with open_staging(options, reporter) as staging:
        if options.sandbox:
            staging.keep_run_results(results, "a sandbox run", SANDBOX_ADVICE)
        with reading_journal(options) as journal:
            retry = read_retry_file(staging, journal, source, options, reporter)
        options = retry.options
        summary.settings = options.audit_record()
        local_results = retry.path if results == source else staging.local_results_for(results)
        file = FileSummary(source, sha256=file_sha256(retry.path))
        summary.files.append(file)
        with open_sending(options, staging, summary, connect, reporter, stop) as sending:
            templates = TemplateBook(template_fetcher(sending.clients.connect))
            batch = retry.open_batch(templates, source, reporter)
            sent = sending.batch(retry.continued.batch_id)
            sent.list_invalid = not batch.maps_nothing
            for outcome in retry.kept():
                sent.keep(outcome)
            tokens, rows = retry.rows(sending.journal)
            templates.raise_problems()  # a template that takes no task: nothing is sent
            plan = sent.reconcile(rows, added=tokens.fresh)
            report = sent.send(rows, plan)
            resent = explain_resent_edits(sent.outcomes, tokens, reconciled=plan.resent)
            report_refused_edits(reporter, sent.outcomes, resent)
            sent.settle(report, file, results, local_results, retry.input_columns)
            sending.finish()
    return summary


@dataclass
class RetryFile:
    """A results file read for retry: its lines by row number (``done`` ones are kept as
    they are, ``todo`` ones sent again, ``new`` ones added by a person), the batch it
    continues (and the run that wrote it), the options its rows are mapped with (that
    run's settings taken) and the batch they are prepared in."""

    path: Path
    input_columns: list[str]
    lines: list[ResultLine]
    done: dict[int, ResultLine]
    todo: dict[int, ResultLine]
    new: set[int]
    continued: Continued
    options: RunOptions
    batch: Batch | None = None
    """The batch the lines are prepared in, once :meth:`open_batch` made it."""

    def open_batch(self, templates: TemplateBook, source: str, reporter: Reporter) -> Batch:
        """Bind the options (and the task templates rows are checked against: fetched for a
        retry, offline for its dry run) to the file's columns, and say what will be
        retried."""
        prepare = self.options.prepare_options()
        prepare.templates = templates
        self.batch = batch_for_table(Table(self.path, self.input_columns, iter(())), prepare)
        report_header(reporter, self.batch, source)
        new = f", {len(self.new):,} new" if self.new else ""
        stopped = sum(1 for line in self.done.values() if line.status == Status.STOPPED)
        added = f", {stopped:,} stopped{new}" if stopped else new
        reporter.info(
            f"Retrying {len(self.todo):,} of {len(self.lines):,} rows "
            f"({len(self.done) - stopped:,} already created{added})."
        )
        reporter.info(f"Continuing batch '{self.continued.batch_id}' ({self.continued.how}).")
        return self.batch

    def kept(self) -> list[Outcome]:
        """The done lines' outcomes, as they stand in the file."""
        return [kept(number, line) for number, line in self.done.items()]

    def rows(self, journal: Journal) -> tuple[RetryTokens, list[PreparedRow]]:
        """The lines to send, prepared, each with its ClientToken (see RetryTokens)."""
        sources = [
            SourceRow(number, dict(line.values), problems=list(line.problems))
            for number, line in self.todo.items()
        ]
        assert self.batch is not None, "open_batch() first"
        tokens = RetryTokens(self.batch, self.todo, self.new, journal)
        return tokens, [tokens.assign(row) for row in self.batch.prepare(sources)]


def read_retry_file(
    staging: Staging, journal: Journal, source: str, options: RunOptions, reporter: Reporter
) -> RetryFile:
    """Read the results file ``source``, find in ``journal`` the batch it continues and the
    run that wrote it, and take that run's settings for the options not given."""
    path = staging.fetch(source)
    input_columns, lines = read_results(path)
    refuse_repeated_rows(path, lines)
    by_row, new = number_lines(lines)
    continued = continued_batch(
        journal, lines, source, options.batch_id or path.name, options.batch_id
    )
    options = take_run_settings(options, journal, continued, location_name(source), reporter)
    done = {number: line for number, line in by_row.items() if line.done}
    todo = {number: line for number, line in by_row.items() if not line.done}
    return RetryFile(path, input_columns, lines, done, todo, new, continued, options)
