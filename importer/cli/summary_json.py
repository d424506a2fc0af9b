"""``--summary-json``: the run's summary (importer.run_summary), written however the command
ends: to a file, atomically, or to stdout with ``-`` (which nothing else writes to)."""

from __future__ import annotations

import errno
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from importer.cli.console import error
from importer.errors import ImporterError, Interrupted, UsageError
from importer.exitcodes import ExitCode
from importer.options import RunOptions
from importer.run_summary import RunSummary, write_json


def summarised(
    command: str,
    destination: str | None,
    options: RunOptions,
    body: Callable[[RunSummary], Any],
) -> ExitCode:
    """Run ``body`` with the run's summary to fill in and write the summary to
    ``destination`` however it ends; the run's exit code. A summary path that cannot be
    written stops the command before anything is sent."""
    _check_summary_path(destination)
    summary = RunSummary(command, options.audit_record())
    try:
        body(summary)
    except (ImporterError, Interrupted) as problem:
        summary.fail(problem.exit_code, str(problem))
        _write_summary(destination, summary)
        raise
    _write_summary(destination, summary)
    return ExitCode(summary.exit_code)


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
    """A failure here is reported but does not change the exit code: the rows were handled."""
    if not destination:
        return
    data: dict[str, Any] = summary.as_dict()
    if destination == "-":
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        sys.stdout.flush()
        return
    try:
        write_json(data, Path(destination))
    except OSError as problem:
        error(f"cannot write the summary {destination}: {problem.strerror}")
