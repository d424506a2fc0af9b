"""What the journal records about each ClientToken and each run."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from importer.canonical import canonical_json


class JournalStatus(StrEnum):
    IN_FLIGHT = "in_flight"
    """A request went out and no definite answer was recorded: a task may exist."""
    CREATED = "created"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"
    """Sent and refused without creating anything, then the run stopped before a retry."""
    STOPPED = "stopped"
    """(StopContact, in the stops table) The task was ended, or had already ended."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What the journal knows about one ClientToken."""

    client_token: str
    status: JournalStatus
    contact_id: str
    attempts: int
    """Attempts over all runs."""
    error_code: str
    error_message: str
    batch_id: str
    row_number: int | None
    request_sha256: str
    first_sent_at: str
    updated_at: str
    maybe_created: bool = False
    """Some request under this token got no clear answer (a dropped connection, a timeout,
    a 5xx, a run that died): a task may exist, whatever later answers said. Never cleared."""
    origin_token: str = ""
    """The token of the row this one was first sent as, when retry sent an edit of that row
    under this new token ('' otherwise): the first of the chain, however many edits."""

    @property
    def unanswered(self) -> bool:
        """A request went out and no ContactId was recorded for it: in flight, or marked
        created without one (as version 0.1.0 did with any 200 answer)."""
        return self.status is JournalStatus.IN_FLIGHT or (
            self.status is JournalStatus.CREATED and not self.contact_id
        )


@dataclass(frozen=True, slots=True)
class CreatedTask:
    """A task the journal knows was created: what reconciling a batch needs of it."""

    client_token: str
    origin_token: str
    batch_id: str
    row_number: int | None
    contact_id: str
    run_id: int | None
    """The run that last sent the token."""
    created_at: str
    request_sha256: str


@dataclass(frozen=True, slots=True)
class StoppedTask:
    """A task the journal knows ``undo`` ended: when, and by which run."""

    contact_id: str
    instance_id: str
    run_id: int | None
    stopped_at: str
    already_ended: bool
    """StopContact answered ContactNotFoundException: the task had ended (or was not found)."""


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Which command a journaled run was, and when it started."""

    run_id: int
    command: str
    started_at: str


def now() -> str:
    """The time now as the journal keeps times: ISO, UTC, milliseconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def readable_time(stamp: str) -> str:
    """A journal time (ISO, UTC) as '2026-11-28 10:15 UTC'."""
    return f"{stamp[:10]} {stamp[11:16]} UTC" if len(stamp) >= 16 else stamp


def request_digest(request: Mapping[str, Any]) -> str:
    """SHA-256 of a request (with its ClientToken) in canonical JSON, to notice a row changed
    between runs.

    The ASCII form: journals have stored digests of it since 0.1.0 and a digest cannot be
    recomputed (the journal keeps no request), so in any other form every row with non-ASCII
    text would look edited against a journal written before.
    """
    return hashlib.sha256(canonical_json(request, ascii_only=True)).hexdigest()


CREATED_COLUMNS = (
    "client_token, origin_token, batch_id, row_number, contact_id, run_id, updated_at, "
    "request_sha256"
)
"""The columns to select for a CreatedTask, in its fields' order."""
ENTRY_COLUMNS = (
    "client_token, status, contact_id, attempts, error_code, error_message, batch_id, "
    "row_number, request_sha256, first_sent_at, updated_at, maybe_created, origin_token"
)
"""The columns to select for an Entry (see ``entry_of``)."""


STOP_ENTRY_COLUMNS = (
    "client_token, status, contact_id, attempts, error_code, error_message, source, "
    "row_number, '', first_sent_at, updated_at, maybe_stopped, ''"
)
"""The columns of the stops table to select for an Entry (``entry_of``): a StopContact
call's status, attempts and last error as a task's are; ``maybe_created`` is whether some
call got no clear answer (the task may have been stopped)."""
STOPPED_COLUMNS = "contact_id, instance_id, run_id, updated_at, already_ended"
"""The columns to select for a StoppedTask."""


def entry_of(row: tuple[Any, ...]) -> Entry:
    """An Entry from a row of ENTRY_COLUMNS."""
    return Entry(
        row[0], JournalStatus(row[1]), *row[2:-2], maybe_created=bool(row[-2]), origin_token=row[-1]
    )


def stopped_of(row: tuple[Any, ...]) -> StoppedTask:
    """A StoppedTask from a row of STOPPED_COLUMNS."""
    return StoppedTask(*row[:-1], already_ended=bool(row[-1]))
