"""Sends whose answer was lost: whether a task may exist under their ClientToken, and what
the results line of a row sent again under it after an edit says.

An edited row is sent under the token of an earlier attempt that may have created a task
(retry does it for a line edited in a results file, :mod:`importer.reconcile` for a row
edited in the input), so that Amazon Connect either creates the task once or refuses the new
values for the task it already has: never a second task.
"""

from __future__ import annotations

from importer.aws import kind_for
from importer.errors import ErrorKind
from importer.journal import Entry, JournalStatus
from importer.model import Outcome, Status

_REFUSED = frozenset(
    {ErrorKind.ROW_INVALID, ErrorKind.CONFIG_NOT_FOUND, ErrorKind.ACCESS_DENIED, ErrorKind.QUOTA}
)
"""Error kinds of a request Amazon Connect refused outright: it created no task."""


def may_have_created(entry: Entry) -> bool:
    """Whether a task may exist under the entry's token though none is recorded.

    Any attempt under the token, in any run, that got no clear answer (the journal's sticky
    ``maybe_created``), in flight, created without a ContactId: yes. Not attempted: no.
    Failed: only an outright refusal rules it out (kept for journals older than the flag,
    whose last error is all they know).
    """
    if entry.maybe_created:
        return True
    if entry.status is JournalStatus.NOT_ATTEMPTED:
        return False
    if entry.status is JournalStatus.FAILED:
        return kind_for(entry.error_code, None) not in _REFUSED
    return True


def refused_edit(outcome: Outcome) -> bool:
    """Whether Amazon Connect refused a row's values as another request's under its token."""
    mismatch = kind_for(outcome.error_code, None) is ErrorKind.MISMATCH
    return outcome.status is Status.FAILED and mismatch


def explain_resent(outcome: Outcome, another: str) -> None:
    """Say on the results line of a row sent under the ClientToken of an earlier attempt
    that sent it with other values and may have created a task what became of it;
    ``another``: how to create another task with its values all the same."""
    if refused_edit(outcome):
        outcome.error_message = (
            "not sent again: a task already exists from this row's earlier values, created by "
            "the attempt with this client_token, whose answer was lost (so its ContactId is "
            "not known); Amazon Connect refuses other values under that ClientToken, so no "
            "second task was created. Find that task in Amazon Connect (by those earlier "
            f"values) and correct it there; to create another task with these values as well, "
            f"{another}"
        )
        return
    sent = (
        "sent with the ClientToken of an earlier attempt that sent this row with other "
        "values and got no answer (it may have created a task)"
    )
    if outcome.status in (Status.CREATED, Status.ALREADY_CREATED):
        outcome.error_message = (
            f"{sent}, so this is the row's only task; check in Amazon Connect that it holds "
            "these values"
        )
    else:
        outcome.error_message = f"{sent}; {outcome.error_message}"
