"""retry's use case: send again only the rows of a results file that did not make it.

The results file may come back edited by a person, in Excel or as CSV: sorted, filtered,
cells fixed, lines deleted, lines added. Which lines are sent, under which ClientToken, is
importer.retry_plan's. A line a person deleted is dropped: it is not sent and not written
back, since the results are rewritten from the lines the file holds. A deleted created
line's task stays in Amazon Connect and in the journal, so a run of the original input
still reports it already_created and never sends it again.

Its tasks are journaled in the batch of the run that wrote the file (found through the
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

from importer.batch_messages import report_header
from importer.clients import Connector, aws_connector
from importer.model import SourceRow, Status
from importer.options import RunOptions
from importer.pipeline import batch_for_table
from importer.reading import Table
from importer.reporter import Reporter
from importer.results import read_results
from importer.retry_plan import (
    RetryTokens,
    continued_batch,
    explain_resent_edits,
    kept,
    number_lines,
    refuse_repeated_rows,
)
from importer.run_summary import FileSummary, RunSummary, file_sha256
from importer.sending import Stop, open_sending, report_refused_edits
from importer.staging import SANDBOX_ADVICE, open_staging, written_back


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
        path = staging.fetch(source)
        input_columns, lines = read_results(path)
        local_results = path if results == source else staging.local_results_for(results)
        refuse_repeated_rows(path, lines)
        by_row, new = number_lines(lines)
        done = {number: line for number, line in by_row.items() if line.done}
        todo = {number: line for number, line in by_row.items() if not line.done}
        sources = [
            SourceRow(number, dict(line.values), problems=list(line.problems))
            for number, line in todo.items()
        ]
        table = Table(path, input_columns, iter(sources))
        batch = batch_for_table(table, options.prepare_options())
        report_header(reporter, batch, source)
        added = f", {len(new):,} new" if new else ""
        stopped = sum(1 for line in done.values() if line.status == Status.STOPPED)
        added = f", {stopped:,} stopped{added}" if stopped else added
        reporter.info(
            f"Retrying {len(todo):,} of {len(lines):,} rows "
            f"({len(done) - stopped:,} already created{added})."
        )
        file = FileSummary(source, sha256=file_sha256(path))
        summary.files.append(file)
        with open_sending(options, staging, summary, connect, reporter, stop) as sending:
            found = continued_batch(
                sending.journal, lines, source, batch.batch_id, options.batch_id
            )
            reporter.info(f"Continuing batch '{found.batch_id}' ({found.how}).")
            sent = sending.batch(found.batch_id)
            for number, line in done.items():
                sent.keep(kept(number, line))
            tokens = RetryTokens(batch, todo, new, sending.journal)
            rows = [tokens.assign(row) for row in batch.prepare(sources)]
            plan = sent.reconcile(rows, added=tokens.fresh)
            report = sent.send(rows, plan)
            resent = explain_resent_edits(sent.outcomes, tokens, reconciled=plan.resent)
            report_refused_edits(reporter, sent.outcomes, resent)
            sent.settle(report, file, results, local_results, input_columns)
            sending.finish()
    return summary
