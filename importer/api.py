"""The library's front door: validate, check, run, retry and undo a batch, and read the
journal's history, from Python, without the command line.

    from importer import api
    options = api.RunOptions(instance_id="...", contact_flow_id="...")
    summary = api.run("tasks.csv", options)
    retried = api.retry(summary.files[0].results, options)
    undone = api.undo(summary.files[0].results, options)

Each call does what the command of its name does and returns what it found (a RunSummary:
counts, results files, ``exit_code``), saying nothing unless given a reporter
(``api.LogReporter()`` logs to the ``importer`` logger). AWS credentials and the region
come from boto3's default chain, ``options.region`` and ``options.profile``;
``options.endpoint_url`` points Amazon Connect elsewhere (a sandbox). The journal is
``options.journal``, else $TASK_IMPORTER_JOURNAL, else the user's state folder.

``undo`` asks nothing (calling it is the confirmation) unless given ``confirm``;
``history`` returns the journal's runs as records (the fields of ``--summary-json``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from importer.checking import CheckResult, check_inputs
from importer.history import History, read_history
from importer.options import RunOptions
from importer.reporter import LogReporter, Reporter
from importer.retrying import retry_results
from importer.run_summary import RunSummary
from importer.running import run_inputs
from importer.templating import TemplateSheet, make_template_sheet
from importer.undoing import Confirm, undo_results
from importer.validating import Validation, validate_inputs

__all__ = [
    "LogReporter",
    "Reporter",
    "RunOptions",
    "check",
    "history",
    "retry",
    "run",
    "template_sheet",
    "undo",
    "validate",
]

Inputs = str | Path | Sequence[str | Path]
"""A file, glob, folder or s3:// URL, or several."""


def run(
    inputs: Inputs, options: RunOptions | None = None, *, reporter: Reporter | None = None
) -> RunSummary:
    """Send every valid row of ``inputs`` as a task, once; each input gets its results file."""
    return run_inputs(_locations(inputs), options or RunOptions(), reporter=reporter)


def retry(
    results_file: str | Path, options: RunOptions | None = None, *, reporter: Reporter | None = None
) -> RunSummary:
    """Send again the rows of a results file that were not created; merge the results back."""
    return retry_results(str(results_file), options or RunOptions(), reporter=reporter)


def undo(
    results_file: str | Path,
    options: RunOptions | None = None,
    *,
    confirm: Confirm | None = None,
    reporter: Reporter | None = None,
) -> RunSummary:
    """Stop every task a results file lists as created (StopContact); write it back with
    those lines ``stopped``. ``confirm(plan)``: asked before anything is sent."""
    return undo_results(
        str(results_file), options or RunOptions(), confirm=confirm, reporter=reporter
    )


def history(
    journal: str | Path | None = None, *, limit: int | None = None, run_id: int | None = None
) -> History:
    """The runs the journal records (default: $TASK_IMPORTER_JOURNAL, else the user's state
    folder), newest first, each with the fields of ``--summary-json`` and its run_id."""
    return read_history(journal, limit=limit, run_id=run_id)


def validate(
    inputs: Inputs, options: RunOptions | None = None, *, reporter: Reporter | None = None
) -> Validation:
    """Check every row of ``inputs`` and write results files of valid and invalid rows."""
    return validate_inputs(_locations(inputs), options or RunOptions(), reporter=reporter)


def check(
    inputs: Inputs, options: RunOptions | None = None, *, reporter: Reporter | None = None
) -> CheckResult:
    """Check the credentials and that what ``inputs`` and ``options`` name exists."""
    return check_inputs(_locations(inputs), options or RunOptions(), reporter=reporter)


def template_sheet(
    output: str | Path,
    options: RunOptions,
    *,
    replace: bool = False,
    reporter: Reporter | None = None,
) -> TemplateSheet:
    """Write the spreadsheet made from the task template ``options.task_template_id`` of
    ``options.instance_id`` (.xlsx or .csv); an existing file only if ``replace``."""
    return make_template_sheet(output, options, replace=replace, reporter=reporter)


def _locations(inputs: Inputs) -> list[str]:
    if isinstance(inputs, str | Path):
        return [str(inputs)]
    return [str(location) for location in inputs]
