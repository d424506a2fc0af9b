"""What the executor keeps in the journal for each row it sends, whatever the request.

The executor (importer.executor, importer.row_sender) knows one invariant: a row is marked in
flight in the journal before its request goes out, and its answer is recorded when it
comes, so a run killed at any moment loses at most the answers of the requests in flight.
A :class:`RowJournal` says what that means for one kind of request:

- :class:`TaskJournal`: StartTaskContact, by ClientToken, in the journal's ``tasks``; a
  token created before is ``already_created``;
- :class:`StopJournal`: undo's StopContact, by ContactId, in ``stops``; a contact stopped
  before is ``stopped`` and not sent again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from importer import messages
from importer.aws import CONTACT_NOT_FOUND
from importer.errors import JournalError
from importer.journal import Entry, Journal, JournalStatus, readable_time, request_digest
from importer.messages import Wording
from importer.model import Outcome, PreparedRow, Status


class RowJournal(Protocol):
    """How one kind of request is journaled, and what its answers make of a row."""

    wording: Wording
    """How results lines and stop reasons speak of this kind of request."""

    def key(self, row: PreparedRow) -> str:
        """What the journal knows the row's request by; one request per key is on the wire
        at a time."""
        ...

    def lookup(self, row: PreparedRow) -> Entry | None:
        """What the journal knows of the row's request from earlier runs."""
        ...

    def settled(self, row: PreparedRow, entry: Entry | None) -> Outcome | None:
        """The outcome of a row an earlier run settled (nothing to send), else None."""
        ...

    def mark_in_flight(self, row: PreparedRow, batch_id: str) -> None:
        """Journal that the row's request is about to go out."""
        ...

    def record(
        self,
        row: PreparedRow,
        status: JournalStatus,
        *,
        attempts: int,
        error_code: str = "",
        error_message: str = "",
        maybe_created: bool = False,
    ) -> None:
        """Journal a row whose request did not succeed: failed, in flight still, not sent."""
        ...

    def record_answer(self, row: PreparedRow, answer: str, attempts: int) -> None:
        """Journal the success answer (what ``submit`` returned)."""
        ...

    def answered(
        self, row: PreparedRow, answer: str, attempts: int, entry: Entry | None, note: str
    ) -> Outcome:
        """The row's outcome for a success answer; ``note``: said when it could not be
        journaled."""
        ...


class _ByKey:
    """What both kinds share: the journal, and a row's record written under its key."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def key(self, row: PreparedRow) -> str:
        raise NotImplementedError

    def record(
        self,
        row: PreparedRow,
        status: JournalStatus,
        *,
        attempts: int,
        error_code: str = "",
        error_message: str = "",
        maybe_created: bool = False,
    ) -> None:
        self._write(
            self.key(row),
            status,
            attempts=attempts,
            error_code=error_code,
            error_message=error_message,
            maybe_created=maybe_created,
        )

    def _write(self, key: str, status: JournalStatus, **fields: Any) -> None:
        """Record an answer for ``key`` (``maybe_created``: the request may have taken
        effect, ``contact_id``, ``already_ended``...)."""
        raise NotImplementedError


class TaskJournal(_ByKey):
    """StartTaskContact's rows, by ClientToken; the answer is the task's ContactId."""

    wording = messages.TASKS

    def key(self, row: PreparedRow) -> str:
        return row.client_token

    def lookup(self, row: PreparedRow) -> Entry | None:
        return self.journal.lookup(row.client_token)

    def settled(self, row: PreparedRow, entry: Entry | None) -> Outcome | None:
        return created_before(row, entry)

    def mark_in_flight(self, row: PreparedRow, batch_id: str) -> None:
        assert row.request is not None
        self.journal.mark_in_flight(
            row.client_token,
            row_number=row.number,
            batch_id=batch_id,
            request_sha256=request_digest(row.request),
            origin_token=row.origin_token,
            instance_id=str(row.request.get("InstanceId") or ""),
        )

    def _write(self, key: str, status: JournalStatus, **fields: Any) -> None:
        self.journal.record(key, status, **fields)

    def record_answer(self, row: PreparedRow, answer: str, attempts: int) -> None:
        self._write(self.key(row), JournalStatus.CREATED, attempts=attempts, contact_id=answer)

    def answered(
        self, row: PreparedRow, answer: str, attempts: int, entry: Entry | None, note: str
    ) -> Outcome:
        """created; already_created for a token an earlier run sent without an answer."""
        if entry is not None and entry.unanswered:
            reconciled = messages.reconciled(answer)
            return row.outcome(
                Status.ALREADY_CREATED,
                contact_id=answer,
                attempts=attempts,
                error_message="; ".join(filter(None, (reconciled, note))),
            )
        return row.outcome(Status.CREATED, contact_id=answer, attempts=attempts, error_message=note)


class StopJournal(_ByKey):
    """undo's StopContact rows, by ContactId (``row.request`` holds ContactId and
    InstanceId; ``row.client_token`` is the task's, kept on its results line). The answer
    is :data:`~importer.aws.CONTACT_STOPPED` or :data:`~importer.aws.CONTACT_NOT_FOUND`:
    either way the task is stopped."""

    wording = messages.STOPS

    def key(self, row: PreparedRow) -> str:
        assert row.request is not None
        return str(row.request["ContactId"])

    def lookup(self, row: PreparedRow) -> Entry | None:
        return self.journal.stop_entry(self.key(row))

    def settled(self, row: PreparedRow, entry: Entry | None) -> Outcome | None:
        """A contact an earlier undo stopped is not sent again."""
        if entry is None or entry.status is not JournalStatus.STOPPED:
            return None
        return row.outcome(
            Status.STOPPED,
            contact_id=self.key(row),
            error_message=f"stopped by an earlier undo on {readable_time(entry.updated_at)}; "
            "nothing was sent",
        )

    def mark_in_flight(self, row: PreparedRow, batch_id: str) -> None:
        assert row.request is not None
        self.journal.mark_stop_in_flight(
            self.key(row),
            instance_id=str(row.request["InstanceId"]),
            client_token=row.client_token,
            source=batch_id,
            row_number=row.number,
        )

    def _write(
        self, key: str, status: JournalStatus, *, maybe_created: bool = False, **fields: Any
    ) -> None:
        self.journal.record_stop(key, status, maybe_stopped=maybe_created, **fields)

    def record_answer(self, row: PreparedRow, answer: str, attempts: int) -> None:
        self._write(
            self.key(row),
            JournalStatus.STOPPED,
            attempts=attempts,
            already_ended=answer == CONTACT_NOT_FOUND,
        )

    def answered(
        self, row: PreparedRow, answer: str, attempts: int, entry: Entry | None, note: str
    ) -> Outcome:
        when = readable_time(datetime.now(UTC).isoformat())
        if answer == CONTACT_NOT_FOUND:
            said = (
                f"stopped: on {when} undo found it already ended (StopContact answered "
                f"{CONTACT_NOT_FOUND}: ended, or not found)"
            )
        else:
            said = f"stopped by undo on {when}"
        return row.outcome(
            Status.STOPPED,
            contact_id=self.key(row),
            attempts=attempts,
            error_message="; ".join(filter(None, (said, note))),
        )


def created_before(row: PreparedRow, entry: Entry | None) -> Outcome | None:
    """A valid row's ``already_created`` line when the journal's entry for its token holds
    a task (so it is not sent, saying so if the row changed since), else None. The run and
    its dry run both decide with this."""
    if entry is None or entry.status is not JournalStatus.CREATED or not entry.contact_id:
        return None
    return already_created(row, entry.contact_id, entry.request_sha256)


def already_created(row: PreparedRow, contact_id: str, request_sha256: str) -> Outcome:
    """A valid row's ``already_created`` line for the task its token created (ContactId and
    the digest of the request that created it), saying so if the row changed since."""
    changed = row.request is not None and request_sha256 not in ("", request_digest(row.request))
    message = messages.CHANGED_SINCE_CREATED if changed else ""
    return row.outcome(Status.ALREADY_CREATED, contact_id=contact_id, error_message=message)


def read_stopped(journal: Journal, outcomes: Iterable[Outcome], done: str) -> None:
    """Outcomes that say their task was created, of a task undo has stopped since, read
    ``stopped``: when, by which run, and ``done`` (what came of the row now). A journal that
    cannot be read leaves them as they are."""
    created = (Status.CREATED, Status.ALREADY_CREATED)
    lines = [o for o in outcomes if o.status in created and o.contact_id]
    try:
        stopped = journal.stopped(o.contact_id for o in lines)
    except JournalError:
        return
    for outcome in lines:
        task = stopped.get(outcome.contact_id)
        if task is not None:
            outcome.status, outcome.error_code = Status.STOPPED, ""
            outcome.error_message = (
                f"stopped by undo on {readable_time(task.stopped_at)} (journal run "
                f"{task.run_id}) after it was created; {done}"
            )
