"""retry without options: it takes the settings of the run that wrote the results file.

Every run records its effective settings in the journal (``RunOptions.effective_settings``:
instance, default flow / template / quick connect, mapping file and its SHA-256, timezone,
batch id and key column, wherever each came from). retry finds the run that wrote a
results file through the ClientTokens on its lines, or the run summaries that name it
(:func:`importer.reconcile.batch_of_results`), and takes each of those settings it is not
given: options given (on the command line or in ``--config``) win. What the run's mapping
template set (``from_mapping``) comes with that mapping file, not one by one, so a mapping
given to retry replaces all of it. A mapping file that changed since the run is used as it
is now, with a warning naming it; one that is gone is an error saying so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from importer.errors import InputFileError, UsageError
from importer.journal import Journal, readable_time
from importer.options import REMEMBERED, RunOptions
from importer.reconcile import Continued
from importer.reporter import Reporter
from importer.run_summary import file_sha256


def take_run_settings(
    options: RunOptions,
    journal: Journal,
    continued: Continued,
    results_name: str,
    reporter: Reporter,
) -> RunOptions:
    """``options`` with the settings of the run that wrote the results file for those not
    given; says which it took (or that no run is known)."""
    if continued.run_id is None:
        reporter.info(
            f"No run that wrote {results_name} is in the journal, so only the options given "
            "here apply: give the run's --instance-id, --contact-flow-id (or --mapping) if "
            "its rows need them"
        )
        return options
    run_id = continued.run_id
    settings = journal.run_settings(run_id)
    info = journal.run_info([run_id]).get(run_id)
    run = f"run {run_id}" + (
        f" ({info.command or 'run'} on {readable_time(info.started_at)})" if info else ""
    )
    taken = taken_settings(options, settings)
    if taken:
        named = ", ".join(f"--{name.replace('_', '-')} {value}" for name, value in taken.items())
        reporter.info(
            f"Settings of {run}, which wrote {results_name}: {named} (options given here win)"
        )
        options = dataclasses.replace(options, **taken)
    _check_mapping(options, settings, run, "mapping" in taken, reporter)
    return options


def taken_settings(options: RunOptions, settings: dict[str, Any]) -> dict[str, Any]:
    """The recorded ``settings`` of REMEMBERED that ``options`` does not give, but those the
    run's mapping template set (they come with the mapping)."""
    from_mapping = set(settings.get("from_mapping") or ())
    return {
        name: settings[name]
        for name in REMEMBERED
        if getattr(options, name) is None
        and name not in from_mapping
        and isinstance(settings.get(name), str)
        and settings[name]
    }


def _check_mapping(
    options: RunOptions, settings: dict[str, Any], run: str, taken: bool, reporter: Reporter
) -> None:
    """Warn if the run's mapping file changed since; a UsageError if it was taken from the
    run and can no longer be read (one given here that cannot be read has its own error)."""
    if options.mapping is None or not _same_file(options.mapping, settings.get("mapping")):
        return
    try:
        now = file_sha256(Path(options.mapping))
    except InputFileError:
        if not taken:
            return
        raise UsageError(
            f"mapping file {options.mapping} of {run} cannot be read: restore it, or give the "
            "mapping for these rows with --mapping FILE"
        ) from None
    recorded = settings.get("mapping_sha256")
    if recorded and recorded != now:
        reporter.warning(
            f"mapping file {options.mapping} changed since {run} used it: the rows are mapped "
            "with it as it is now"
        )


def _same_file(given: str | Path, recorded: Any) -> bool:
    return isinstance(recorded, str) and Path(given).absolute() == Path(recorded).absolute()
