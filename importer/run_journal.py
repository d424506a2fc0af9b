"""The journal a command writes or reads: which file (a throwaway one for a sandbox run
without ``--journal``), locked for a run that sends or read-only for one that only looks,
never mixing sandbox runs with real ones, and a run's record in it however the run ends
(a run refused by another's lock, exit 4, and one ended by an error are recorded with their
reason, for ``history``).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from importer.errors import ImporterError, Interrupted, JournalError, JournalLockedError, UsageError
from importer.journal import Journal, record_refused_run
from importer.options import RunOptions
from importer.run_summary import RunSummary


@contextlib.contextmanager
def open_run_journal(options: RunOptions, summary: RunSummary) -> Iterator[Journal]:
    """The run's journal, locked, with the run's start recorded in it."""
    with contextlib.ExitStack() as stack:
        journal_path = _journal_path(options, stack)
        try:
            journal = stack.enter_context(Journal(journal_path))
        except JournalLockedError as locked:
            summary.fail(locked.exit_code, str(locked))
            record_refused_run(journal_path, summary.settings, summary.as_dict())
            raise
        _refuse_mixed_journal(journal, sandbox=options.sandbox)
        journal.start_run({"command": summary.command, **summary.settings})
        yield journal


def record_failed_run(
    journal: Journal, summary: RunSummary, problem: ImporterError | Interrupted
) -> None:
    """Keep the end of a run that ended on an error (a failed preflight, exit 2) in the
    journal, with its reason, so that ``history`` does not take it for a run that died."""
    summary.fail(problem.exit_code, str(problem))
    with contextlib.suppress(JournalError):
        journal.finish_run(problem.exit_code, summary.as_dict())


@contextlib.contextmanager
def reading_journal(options: RunOptions) -> Iterator[Journal]:
    """The run's journal to read only (a dry run, retry finding its run): no lock, so it
    can be read beside a run that holds it; a sandbox's throwaway one reads as empty."""
    with contextlib.ExitStack() as stack:
        journal = stack.enter_context(Journal(_journal_path(options, stack), read_only=True))
        _refuse_mixed_journal(journal, sandbox=options.sandbox)
        yield journal


def _journal_path(options: RunOptions, stack: contextlib.ExitStack) -> Path:
    """The run's journal, or a throwaway one (a sandbox run without one) removed by
    ``stack``."""
    path = options.journal_path()
    if path is None:
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="importer-"))
        path = Path(scratch) / "sandbox-journal.sqlite3"
    return path


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
