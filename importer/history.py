"""history's use case: the runs a journal records, newest first, as records.

A record has the fields of the run's ``--summary-json`` (the journal keeps that JSON with
the run) and its ``run_id``. A run with no summary is one that has not finished: it is
running now, or it was killed (or crashed) before it could record its end. Its record is
made of what the journal holds: its command, start, settings and inputs, and in
``counts`` what it sent as the journal holds it now (``in_flight``: sent, no answer
recorded); its ``exit_code`` is None and ``exit_reason`` says which of the two it is, as far
as can be told: the journal's holder file names the process holding it, and whether that
process still runs can be asked on Linux and macOS, on the host that runs it.

The journal is read read-only, without its lock (importer.journal.reader): history works
while a run holds the journal, and never creates one. Runs refused because another held
the journal (exit 4) are recorded too (importer.journal.refusals); commands refused before
they reached the journal (a usage error) are not.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importer.errors import UsageError
from importer.journal import (
    JournalReader,
    RunRow,
    holder_alive,
    holder_pid,
    process_check,
    read_holder,
    reading,
    resolve_path,
)
from importer.run_summary import COUNTED

UNFINISHED = "unfinished"
"""How an unfinished run's reason begins."""


@dataclass
class History:
    """The runs of the journal at ``journal``, newest first (none if it does not exist)."""

    journal: Path
    exists: bool
    records: list[dict[str, Any]] = field(default_factory=list)


def read_history(
    journal: str | os.PathLike[str] | None = None,
    *,
    limit: int | None = None,
    run_id: int | None = None,
) -> History:
    """The journal's runs (``journal``: else $TASK_IMPORTER_JOURNAL, else the default
    path), newest first: at most ``limit``, or only ``run_id`` (a UsageError if the journal
    has no such run)."""
    path = resolve_path(journal)
    with reading(path) as reader:
        if reader is None:
            return History(path, exists=False)
        holder = read_holder(path)
        rows = reader.runs(limit=limit, run_id=run_id)
        records = [_record(row, reader, holder) for row in rows]
        if run_id is not None and not records:
            newest = reader.runs(limit=1)
            known = f"its runs are numbered 1 to {newest[0].run_id}" if newest else "it has none"
            raise UsageError(f"journal {path} has no run {run_id} ({known})")
    return History(path, exists=True, records=records)


def inputs_of(record: dict[str, Any]) -> list[str]:
    """The files a run read: its summary's inputs, else those its settings name."""
    audit = record.get("audit") or {}
    named = [str(item.get("input", "")) for item in audit.get("inputs") or []]
    named += [str(item.get("input", "")) for item in record.get("skipped") or []]
    if named:
        return named
    settings = audit.get("settings") or {}
    given = settings.get("inputs") or settings.get("results_file") or []
    return [str(given)] if isinstance(given, str) else [str(item) for item in given]


def _record(row: RunRow, reader: JournalReader, holder: str) -> dict[str, Any]:
    summary = _json(row.summary)
    if isinstance(summary, dict):
        return {"run_id": row.run_id, **summary}
    settings = _json(row.settings)
    settings = settings if isinstance(settings, dict) else {}
    counts = {str(status): 0 for status in COUNTED}
    for status, count in reader.sent_by(row.run_id).items():
        counts[status] = counts.get(status, 0) + count
    return {
        "run_id": row.run_id,
        "command": str(settings.get("command") or ""),
        "started": _seconds(row.started_at),
        "finished": _seconds(row.finished_at) if row.finished_at else None,
        "elapsed_seconds": None,
        "exit_code": row.exit_code,
        "exit_reason": _no_summary(row, holder),
        "counts": counts,
        "api_calls": None,
        "throttles": None,
        "achieved_rate": None,
        "results": [],
        "files": [],
        "skipped": [],
        "audit": {"settings": settings, "inputs": [], "caller_arn": None},
    }


def _no_summary(row: RunRow, holder: str) -> str:
    """Why a run has no summary: an older version kept none, or it has not finished."""
    if row.finished_at is not None:
        return "finished (this version of the journal kept no summary)"
    pid = holder_pid(holder)
    if pid and pid == str(row.pid) and holder_alive(holder) is not False:
        return (
            f"{UNFINISHED}: still running (pid {pid} holds the journal: {holder}), unless it "
            f"was killed since: {process_check(pid)} shows which"
        )
    return (
        f"{UNFINISHED}: killed or crashed (no end was recorded; pid {row.pid}). Rows it sent "
        "without an answer are reconciled by the next run of the same files"
    )


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _seconds(stamp: str) -> str:
    """A journal time (milliseconds) as the summary writes times: to the second, UTC."""
    return f"{stamp[:19]}Z" if len(stamp) >= 19 else stamp
