"""The library's front door: validate, check, run and retry a batch from Python, without
the command line.

    from importer import api
    options = api.RunOptions(instance_id="...", contact_flow_id="...")
    summary = api.run("tasks.csv", options)
    retried = api.retry(summary.files[0].results, options)

Each call does what the command of its name does and returns what it found (a RunSummary:
counts, results files, ``exit_code``), saying nothing unless given a reporter
(``api.LogReporter()`` logs to the ``importer`` logger). AWS credentials and the region
come from boto3's default chain, ``options.region`` and ``options.profile``;
``options.endpoint_url`` points Amazon Connect elsewhere (a sandbox). The journal is
``options.journal``, else $TASK_IMPORTER_JOURNAL, else the user's state folder.

``undo(results_file, options)`` belongs here too, once it exists: it will stop the tasks
a results file created, sending StopContact through importer.sending with a ``submit`` of
its own (``Sending.batch(batch_id, submit)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from importer.checking import CheckResult, check_inputs
from importer.options import RunOptions
from importer.reporter import LogReporter, Reporter
from importer.retrying import retry_results
from importer.run_summary import RunSummary
from importer.running import run_inputs
from importer.validating import Validation, validate_inputs

__all__ = ["LogReporter", "Reporter", "RunOptions", "check", "retry", "run", "validate"]

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


def _locations(inputs: Inputs) -> list[str]:
    if isinstance(inputs, str | Path):
        return [str(inputs)]
    return [str(location) for location in inputs]
