"""The run's lines for the Summary sheet of a results workbook (ResultsWriter.add_summary).

The workbook counts the rows per status itself; these lines add when sending ran, how fast,
the throttling, the settings used and the command that retries the file (the rate only
for sending that lasted a few seconds: see importer.batch_messages.calls_text). Settings are the
options' audit record (the command's options, for the CLI); any whose name looks secret is
left out (the options carry no credentials: those come from the AWS configuration).
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime, timedelta
from typing import Any

from importer.executor import RunReport
from importer.options import RunOptions
from importer.run_summary import RATE_SHOWN_AFTER

_SECRET = re.compile(r"secret|password|passwd|token|credential|session|access.?key", re.I)
_NOT_SETTINGS = frozenset({"command", "inputs", "results_file", "from_mapping"})
"""Not settings: the files a command read, listed elsewhere, and which settings the mapping
set (the summary JSON's audit record has it)."""
_RETRY_OPTIONS = (
    "mapping",
    "instance_id",
    "contact_flow_id",
    "task_template_id",
    "quick_connect_id",
    "timezone",
    "batch_id",
    "key_column",
    "region",
    "profile",
    "endpoint_url",
    "journal",
)


def summary_pairs(
    options: RunOptions,
    report: RunReport,
    results: str,
    finished: datetime | None = None,
) -> list[tuple[str, str]]:
    """(label, value) lines: sending start and end, rate, throttling, settings, retry command.

    ``Started`` is when sending began: ``finished`` (default now) less the time sending took.
    """
    finished = finished or datetime.now(UTC)
    started = finished - timedelta(seconds=report.elapsed)
    pairs = [
        ("Started", started.isoformat(timespec="seconds")),
        ("Finished", finished.isoformat(timespec="seconds")),
        ("API calls", f"{report.calls:,}"),
    ]
    if report.elapsed >= RATE_SHOWN_AFTER:
        pairs.append(("Achieved rate", f"{report.achieved_rate:.1f} requests/s"))
    pairs.append(("Throttled calls", f"{report.throttles:,}"))
    if report.stopped_early:
        pairs.append(("Stopped early", str(report.stop_reason)))
    pairs += [(f"Setting: {name}", value) for name, value in _settings(options)]
    pairs.append(("Retry with", retry_command(options, results)))
    return pairs


def retry_command(options: RunOptions, results: str) -> str:
    """``task-importer retry RESULTS`` with the options that map rows and reach Connect."""
    words = ["task-importer", "retry", results]
    for name in _RETRY_OPTIONS:
        value = getattr(options, name)
        if value:
            words += ["--" + name.replace("_", "-"), str(value)]
    if options.sandbox:
        words.append("--sandbox")
    return shlex.join(words)


def _settings(options: RunOptions) -> list[tuple[str, str]]:
    settings = []
    for name, value in sorted(options.audit_record().items()):
        unset = value is None or value is False or value in ("", [])
        if unset or name in _NOT_SETTINGS or _SECRET.search(name):
            continue
        settings.append((name.replace("_", "-"), _text(value)))
    return settings


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value if item is not None)
    return str(value)
