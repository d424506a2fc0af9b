"""`task-importer history [--json] [--limit N] [RUN_ID]`: the journal's runs, newest first
(importer.history); one line each, one run in full, or JSON on stdout."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from importer.batch_messages import calls_text
from importer.cli.console import say
from importer.cli.options import CONFIG, JOURNAL, LOGGING_OPTIONS, Command, Option
from importer.exitcodes import ExitCode
from importer.history import UNFINISHED, History, inputs_of, read_history

_REASON_SHOWN = 200
"""Characters of a run's reason on its line (``history RUN_ID`` shows all of it)."""
_NOT_SETTINGS = frozenset({"command", "inputs", "results_file", "run_id", "json", "limit"})


def run_history(args: argparse.Namespace) -> ExitCode:
    history = read_history(args.journal, limit=args.limit, run_id=args.run_id)
    if args.json:
        records: Any = history.records
        print(json.dumps(records[0] if args.run_id is not None else records, indent=2))
    if not history.exists:
        say(f"No journal at {history.journal}: no run has been recorded there.")
    elif not history.records:
        say(f"Journal {history.journal} records no runs yet.")
    elif args.json:
        pass
    elif args.run_id is not None:
        print("\n".join(run_details(history.records[0])))
    else:
        _list(history)
    return ExitCode.OK


def _list(history: History) -> None:
    say(f"Runs in journal {history.journal}, newest first:")
    for record in history.records:
        print(run_line(record))


def run_line(record: dict[str, Any]) -> str:
    """One run in a line: id, command, start and duration, exit code and reason, inputs,
    counts per status."""
    outcome = _outcome(record)
    if len(outcome) > _REASON_SHOWN:
        outcome = outcome[: _REASON_SHOWN - 3] + "..."
    parts = [
        f"run {record['run_id']}",
        f"{record.get('command') or '?':<5}",
        _time(record.get("started")),
        _duration(record.get("elapsed_seconds")),
        outcome,
        ", ".join(inputs_of(record)) or "no input",
        _counts(record),
    ]
    return " | ".join(parts)


def run_details(record: dict[str, Any]) -> list[str]:
    """One run in full: its summary, settings and results paths."""
    finished = record.get("finished")
    lines = [
        f"Run {record['run_id']}: {record.get('command') or '?'}",
        f"  started    {_time(record.get('started'))}",
        f"  finished   {_time(finished)} ({_duration(record.get('elapsed_seconds'))})"
        if finished
        else "  finished   -",
        f"  exit       {_outcome(record).removeprefix('exit ')}",
    ]
    audit = record.get("audit") or {}
    hashes = {item.get("input"): item.get("sha256") for item in audit.get("inputs") or []}
    for name in inputs_of(record):
        sha = f" (sha256 {hashes[name]})" if hashes.get(name) else ""
        lines.append(f"  input      {name}{sha}")
    lines.append(f"  counts     {_counts(record)}")
    if record.get("api_calls") is not None:
        calls = calls_text(
            record["api_calls"],
            record.get("elapsed_seconds") or 0.0,
            record.get("achieved_rate") or 0.0,
            record.get("throttles") or 0,
        )
        lines.append(f"  API calls  {calls}")
    lines += [f"  results    {path}" for path in record.get("results") or []]
    for file in record.get("files") or []:
        counted = _counts(file)
        lines.append(
            f"  file       {file.get('input')}: batch '{file.get('batch_id')}', exit "
            f"{file.get('exit_code')} ({file.get('reason') or ''}); {counted}"
            + (f"; archived to {file['archived_to']}" if file.get("archived_to") else "")
        )
    for skipped in record.get("skipped") or []:
        lines.append(f"  skipped    {skipped.get('input')}: {skipped.get('reason')}")
    if audit.get("caller_arn"):
        lines.append(f"  caller     {audit['caller_arn']}")
    settings = audit.get("settings") or {}
    shown = {
        name: value
        for name, value in sorted(settings.items())
        if name not in _NOT_SETTINGS and value not in (None, False, "", [])
    }
    if shown:
        lines.append("  settings")
        lines += [f"    {name.replace('_', '-')}: {value}" for name, value in shown.items()]
    return lines


def _outcome(record: dict[str, Any]) -> str:
    """'exit 1: its reason'; an unfinished run's reason says so itself."""
    code, reason = record.get("exit_code"), str(record.get("exit_reason") or "")
    if code is None:
        return reason if reason.startswith(UNFINISHED) else f"exit ?: {reason}"
    return f"exit {code}: {reason}" if reason else f"exit {code}"


def _counts(record: dict[str, Any]) -> str:
    counts = record.get("counts") or {}
    shown = [f"{status} {count:,}" for status, count in counts.items() if count]
    return ", ".join(shown) or "no rows"


def _time(stamp: Any) -> str:
    """'2026-11-28T10:15:02Z' as '2026-11-28 10:15:02 UTC'."""
    text = str(stamp or "")
    return f"{text[:10]} {text[11:19]} UTC" if text.endswith("Z") and len(text) >= 19 else text


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, int | float):
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    return f"{minutes // 60} h {minutes % 60} min"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 1 or more")
    return value


COMMAND = Command(
    "history",
    help="list the runs the journal records, newest first; or show one in full",
    description="List the runs recorded in the journal, newest first, one line each: run "
    "id, command (run, retry, undo), start time and duration, exit code and reason, "
    "inputs and counts per status. A run that has not finished is shown as unfinished: "
    "running now, or killed. RUN_ID shows one run in full: its summary, settings and "
    "results paths. The journal is only read (never created, never locked): history "
    "works while a run holds it.",
    handler=run_history,
    exit_codes=(
        (0, "the runs listed (also for an empty or missing journal)"),
        (2, "no such run, a file that is not a journal, or a usage error"),
    ),
    options=(
        Option(
            ("run_id",),
            metavar="RUN_ID",
            nargs="?",
            type=_positive,
            help="show this run in full",
        ),
        Option(
            ("--json",),
            action="store_true",
            help="print the runs as a JSON list on stdout (a RUN_ID: that run's object): "
            "the fields of --summary-json, and run_id",
        ),
        Option(("--limit",), metavar="N", type=_positive, help="only the N newest runs"),
        dataclasses.replace(JOURNAL, group=None),
        CONFIG,
        *LOGGING_OPTIONS,
    ),
)
