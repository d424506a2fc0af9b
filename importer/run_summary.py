"""What a run did, for machines: counts, timings, exit code and an audit record.

``--summary-json`` writes :meth:`RunSummary.as_dict` and the journal keeps it with the run.
It holds counts, paths, settings and hashes, never a row's content, and no credentials
(the settings are the command's options, which carry none).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from importer import __version__
from importer.atomic_file import AtomicFile
from importer.errors import InputFileError
from importer.exit_policy import overall_exit
from importer.exitcodes import ExitCode
from importer.model import Status

COUNTED = (
    Status.CREATED,
    Status.ALREADY_CREATED,
    Status.INVALID,
    Status.FAILED,
    Status.NOT_ATTEMPTED,
    Status.STOPPED,
)


RATE_SHOWN_AFTER = 5.0
"""Seconds of sending under which no rate is given (a burst of 2 calls in 0.01 s is no
rate): the summary line, the Summary sheet and the progress line alike."""


def status_counts(counts: Mapping[Status, int]) -> str:
    """'created 12, already_created 0, invalid 1, failed 0, not_attempted 18': every status
    a run counts, in one order, so progress and figures read alike (``stopped``, which only
    undo makes, when there are any)."""
    named = (s for s in COUNTED if s is not Status.STOPPED or counts.get(s))
    return ", ".join(f"{status} {counts.get(status, 0):,}" for status in named)


@dataclass
class FileSummary:
    """One input file's part of a run."""

    input: str
    sha256: str = ""
    batch_id: str = ""
    results: str = ""
    counts: dict[str, int] = field(default_factory=lambda: {str(s): 0 for s in COUNTED})
    api_calls: int = 0
    throttles: int = 0
    send_seconds: float = 0.0
    achieved_rate: float = 0.0
    exit_code: int = int(ExitCode.OK)
    reason: str = ""
    archived_to: str = ""


@dataclass
class RunSummary:
    command: str
    settings: dict[str, Any]
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished: datetime | None = None
    files: list[FileSummary] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    """Inputs not read this run: {"input": ..., "reason": ...}."""
    exit_code: int = int(ExitCode.OK)
    reason: str = ""
    caller_arn: str | None = None
    stop_reason: str | None = None
    """Why the run stopped before its last input (an interrupt, access denied, quota)."""

    def skip(self, location: str, reason: str) -> None:
        self.skipped.append({"input": location, "reason": reason})

    def finish(self) -> ExitCode:
        """Stamp the end and decide the run's exit code from its files."""
        self.finished = datetime.now(UTC)
        code, self.reason = overall_exit(self.files, self.stop_reason)
        self.exit_code = int(code)
        return code

    def fail(self, exit_code: int, reason: str) -> None:
        """The run ended on an error before its files were done (a usage error, a lock)."""
        self.finished = datetime.now(UTC)
        self.exit_code, self.reason = int(exit_code), reason

    def counts(self) -> dict[str, int]:
        total = {str(status): 0 for status in COUNTED}
        for file in self.files:
            for status, count in file.counts.items():
                total[status] += count
        return total

    def as_dict(self) -> dict[str, Any]:
        finished = self.finished or datetime.now(UTC)
        calls = sum(file.api_calls for file in self.files)
        throttles = sum(file.throttles for file in self.files)
        sending = sum(file.send_seconds for file in self.files)
        return {
            "command": self.command,
            "started": _iso(self.started),
            "finished": _iso(finished),
            "elapsed_seconds": round((finished - self.started).total_seconds(), 3),
            "exit_code": self.exit_code,
            "exit_reason": self.reason,
            "counts": self.counts(),
            "api_calls": calls,
            "throttles": throttles,
            "achieved_rate": round((calls - throttles) / sending, 3) if sending else 0.0,
            "results": [file.results for file in self.files if file.results],
            "files": [asdict(file) for file in self.files],
            "skipped": self.skipped,
            "audit": {
                "tool": "connect-task-importer",
                "tool_version": __version__,
                "inputs": [{"input": f.input, "sha256": f.sha256} for f in self.files],
                "settings": self.settings,
                "caller_arn": self.caller_arn,
            },
        }


def file_sha256(path: Path) -> str:
    """The file's SHA-256 in hex; a file that cannot be read is an InputFileError."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except OSError as problem:
        raise InputFileError(f"{path}: cannot read it: {problem.strerror}") from None
    return digest.hexdigest()


def write_json(summary: dict[str, Any], destination: Path) -> None:
    """Write atomically (see AtomicFile): a monitor never reads half a summary."""
    with AtomicFile(destination) as file:
        file.path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
