"""Before a batch is sent: which rows already have their task, and which were edited since.

``run`` and ``retry`` call :func:`reconcile` between preparing a batch's rows and sending
them. The rules (also in the README):

- A row *matches* a created task when the task was created under the row's ClientToken, or
  sent by ``retry`` as an edit of this row (the task's origin token is the row's token, or
  the row's own origin). A matched row is ``already_created`` with that task's ContactId and
  nothing is sent, even if the row is not valid as it stands (a fixed copy of it was sent).
  A valid row matched under its own token is ``already_created`` too, as the executor would
  say it (``Plan.created_before``, after the row's user name and attachments are resolved).
- A batch's *sends* are its created tasks and its *unsettled* tokens: sent, no ContactId
  recorded, and a task may exist (``lost_answers.may_have_created``: no clear answer came).
  A row matches an unsettled token when it has that token (the executor resends it).
- The file is *the same batch* when more than half of its rows that have a token match
  sends of this batch, or more than half of this batch's sends are matched by its rows (a
  file that grew); so a batch whose every answer was lost counts too. Otherwise, if the
  batch has tasks, the file is a new file under an earlier file's name
  (``Plan.reused_name``): its rows are sent as new tasks.
- In the same batch, a row that matches nothing, at a row number where the batch created a
  task that no row of the file matches, was edited after its task was created (rows moved
  by sorting or by an inserted line still match their own tasks, so they free no number). If
  it now holds exactly that task's values (fixed the same way here and in the results file),
  it matches that task; otherwise it is not sent: ``failed`` with EDITED_CODE and the
  task's ContactId, or, with ``send_edited``, sent as a new task (its token is new: its
  content changed).
- Failing that, a valid row that matches nothing, at a row number where the batch has an
  unsettled token that no row of the file has, was edited after a send whose answer was
  lost. It is sent under that token (``Plan.resent``), so Amazon Connect either creates the
  task once or refuses the new values for the task it has (IdempotentParameterMismatch):
  never a second task. Its results line says which (``lost_answers.explain_resent``). With
  ``send_edited`` it is sent under its own token, as a new task.
- Lines added to a results file, or whose client_token cell was cleared, are new tasks by
  intent, never edits.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

from importer.journal import CreatedTask, Entry, Journal, RunInfo, readable_time, request_digest
from importer.locations import location_name
from importer.lost_answers import explain_resent, may_have_created
from importer.model import Outcome, PreparedRow, RowError, Status
from importer.row_journal import already_created

LOOKED_UP_TOGETHER = 20_000
"""Tokens looked up in the journal in one call (a set of a million tokens is 40 MB)."""

EDITED_CODE = "EditedAfterCreation"
"""The error_code of a row not sent because it changed after its task was created."""


@dataclass
class Plan:
    """What to do with the rows of one batch that are not simply sent."""

    batch_id: str
    batch_tasks: int
    """Tasks this batch created before."""
    same_batch: bool
    matched: int
    """Rows of the file that match tasks of this batch."""
    rows: int
    """Rows of the file that have a token."""
    latest: CreatedTask | None = None
    """This batch's newest task: it names the run that made it."""
    already: dict[int, CreatedTask] = field(default_factory=dict)
    """Rows reported already created without sending, by row number."""
    edited: dict[int, CreatedTask] = field(default_factory=dict)
    """Rows not sent because they changed after their task was created, by row number."""
    sent_edited: list[int] = field(default_factory=list)
    """Edited rows sent as new tasks anyway (``send_edited``)."""
    resent: dict[int, Entry] = field(default_factory=dict)
    """Rows sent under the token of an unsettled send of their number, by row number."""
    runs: dict[int, RunInfo] = field(default_factory=dict)
    own: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Valid rows whose own token created a task, by row number: nothing to send (what the
    executor would find in the journal, found here with the other rows' tasks). The task's
    ContactId and the digest of its request: kept until the batch is sent, so no more."""

    @property
    def reused_name(self) -> bool:
        """A new file under the name (batch id) of an earlier one that created tasks."""
        return self.batch_tasks > 0 and not self.same_batch

    def created_by(self, task: CreatedTask) -> str:
        """Which run created a task, and when: 'by retry on 2026-11-28 10:15 UTC (journal
        run 7)'."""
        when = f"on {readable_time(task.created_at)}"
        info = self.runs.get(task.run_id) if task.run_id is not None else None
        if info is None:
            return when
        return f"by {info.command or 'a run'} {when} (journal run {info.run_id})"

    def outcome(self, row: PreparedRow) -> Outcome | None:
        """The results line of a row that is not to be sent, or None."""
        task = self.already.get(row.number)
        if task is not None:
            return _already_created(row, task, self.created_by(task))
        task = self.edited.get(row.number)
        if task is not None:
            return _edited(row, task, self.created_by(task))
        return None

    def settled(self, row: PreparedRow) -> Outcome | None:
        """The results line of a row that is not sent (the plan's, or invalid); None for a
        row the executor is given."""
        outcome = self.outcome(row)
        if outcome is None and not row.ok:
            return row.outcome(Status.INVALID)
        return outcome

    def created_before(self, row: PreparedRow) -> Outcome | None:
        """The ``already_created`` line of a valid row whose own token created a task (as
        importer.row_journal.created_before says it from the journal), else None."""
        contact_id, request_sha256 = self.own.get(row.number, ("", ""))
        if not contact_id or not row.ok:
            return None
        return already_created(row, contact_id, request_sha256)

    def explain(self, outcome: Outcome) -> Outcome:
        """A sent row's results line; one sent under an earlier send's token says so."""
        if outcome.row in self.resent:
            explain_resent(outcome, "run again with --send-edited")
        return outcome


def reconcile(
    journal: Journal,
    batch_id: str,
    rows: Sequence[PreparedRow],
    *,
    kept: Mapping[int, str] | None = None,
    added: Collection[int] = (),
    send_edited: bool = False,
) -> Plan:
    """Decide, before sending, which ``rows`` of batch ``batch_id`` already have a task and
    which were edited since theirs (see the module docstring).

    ``kept``: the tokens of lines kept as they are, by row number (retry's created lines):
    rows of the file that are not sent. ``added``: row numbers of lines that are new tasks
    by intent (added to a results file, or their client_token cell cleared). Rows sent under
    an earlier send's token are given it here (``Plan.resent``). The journal is read in a
    few queries, whatever the number of rows.
    """
    tasks = journal.created_tasks(batch_id)
    unsettled = {e.client_token: e for e in journal.without_task(batch_id) if may_have_created(e)}
    kept = kept or {}
    # Each row is looked at in turn (no table of every row is built): a kept line's token
    # stands for its row number.
    rows_kept = [row for row in rows if row.number not in kept] if kept else rows
    wanted = (token for _, tokens in _lineages(rows_kept, kept) for token in tokens)
    found: dict[str, CreatedTask] = {}
    while part := list(islice(wanted, LOOKED_UP_TOGETHER)):
        found.update(journal.created_for(part))
    matches: dict[int, CreatedTask] = {}
    counted = 0
    for number, tokens in _lineages(rows_kept, kept):
        counted += bool(tokens)
        task = next((found[token] for token in tokens if token in found), None)
        if task is not None:
            matches[number] = task
    del found  # a journal's worth of records: let them go before what follows
    matched_tokens = {task.client_token for task in matches.values()}
    resending = {row.number: row.client_token for row in rows_kept if row.client_token in unsettled}
    resending.update((number, token) for number, token in kept.items() if token in unsettled)
    of_batch = {number for number, task in matches.items() if task.batch_id == batch_id}
    plan = Plan(
        batch_id,
        batch_tasks=len(tasks),
        same_batch=False,
        matched=len(of_batch),
        rows=counted,
        latest=max(tasks, key=lambda task: (task.created_at, task.run_id or 0), default=None),
    )
    sends = len(tasks) + len(unsettled)
    sends_matched = len(set(resending.values()))
    sends_matched += sum(1 for task in tasks if task.client_token in matched_tokens)
    plan.same_batch = sends > 0 and (
        2 * len(of_batch | resending.keys()) > plan.rows or 2 * sends_matched > sends
    )
    if plan.same_batch:
        free = _unmatched_by_row(tasks, matched_tokens, lambda task: task.created_at)
        lost = _unmatched_by_row(unsettled.values(), resending.values(), lambda e: e.updated_at)
        for row in rows:
            if row.number in matches or row.number in added:
                continue
            candidates = free.get(row.number)
            if candidates:
                same_values = next((task for task in candidates if _holds(row, task)), None)
                if same_values is not None:
                    matches[row.number] = same_values
                elif send_edited and row.ok:
                    plan.sent_edited.append(row.number)
                else:
                    plan.edited[row.number] = candidates[0]
            elif row.number in lost and row.number not in resending and row.ok:
                if send_edited:
                    plan.sent_edited.append(row.number)
                else:
                    plan.resent[row.number] = resend_under(row, lost[row.number][0])
    del tasks
    for row in rows:
        task = matches.get(row.number)
        if task is None:
            continue
        if not row.ok or task.client_token != row.client_token:
            plan.already[row.number] = task
        else:
            plan.own[row.number] = (task.contact_id, task.request_sha256)
    named = [*plan.already.values(), *plan.edited.values(), plan.latest]
    plan.runs = journal.run_info({t.run_id for t in named if t is not None and t.run_id})
    return plan


def _lineage(*tokens: str) -> tuple[str, ...]:
    return tuple(token for token in tokens if token)


def _lineages(
    rows: Iterable[PreparedRow], kept: Mapping[int, str]
) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(row number, the tokens a task of the row may be found under), of each row and kept
    line."""
    for row in rows:
        yield row.number, _lineage(row.client_token, row.origin_token)
    for number, token in kept.items():
        yield number, _lineage(token)


_Send = TypeVar("_Send", CreatedTask, Entry)


def _unmatched_by_row(
    sends: Iterable[_Send], matched: Collection[str], when: Callable[[_Send], str]
) -> dict[int, list[_Send]]:
    """The sends no row matches, by the row number they were sent from, newest first."""
    free: dict[int, list[_Send]] = {}
    for send in sends:
        if send.client_token not in matched and send.row_number is not None:
            free.setdefault(send.row_number, []).append(send)
    for candidates in free.values():
        candidates.sort(key=when, reverse=True)
    return free


def resend_under(row: PreparedRow, send: Entry) -> Entry:
    """Give a valid row the token of an earlier send of its number; the journal keeps the
    row's own token (or that send's origin) as its origin, so the next run finds its task."""
    assert row.request is not None
    row.origin_token = send.origin_token or row.origin_token or row.client_token
    row.client_token = row.request["ClientToken"] = send.client_token
    return send


def _holds(row: PreparedRow, task: CreatedTask) -> bool:
    """Whether the row, valid, is the request that created ``task`` (but for its token)."""
    if row.request is None or not task.request_sha256:
        return False
    return request_digest({**row.request, "ClientToken": task.client_token}) == (
        task.request_sha256
    )


def _already_created(row: PreparedRow, task: CreatedTask, by: str) -> Outcome:
    if not row.ok:
        message = (
            f"already created {by} (ClientToken {task.client_token}); nothing was sent. "
            f"This row is not valid as it stands: {row.error_text}"
        )
    elif _holds(row, task):
        message = (
            f"already created {by} with these values (ClientToken {task.client_token}); "
            "nothing was sent"
        )
    else:
        message = (
            f"already created {by} (ClientToken {task.client_token}) from this row as "
            "corrected in its results file; this row differs from what was sent then and the "
            "task was not updated. Nothing was sent"
        )
    return _line(row, Status.ALREADY_CREATED, task, message, client_token=task.client_token)


def _edited(row: PreparedRow, task: CreatedTask, by: str) -> Outcome:
    message = (
        f"not sent: a task was already created from row {row.number} of this batch {by} "
        f"(ContactId {task.contact_id}), and the row has changed since (it matches no task "
        "of the batch), so sending it would make a second task. If the change matters, "
        "correct that task in Amazon Connect; to create a new task from this row as well, "
        "run again with --send-edited"
    )
    if not row.ok:
        message += f". The row is also not valid as it stands: {row.error_text}"
    return _line(row, Status.FAILED, task, message, error_code=EDITED_CODE, errors=row.errors)


def _line(
    row: PreparedRow,
    status: Status,
    task: CreatedTask,
    message: str,
    *,
    client_token: str | None = None,
    error_code: str = "",
    errors: Iterable[RowError] = (),
) -> Outcome:
    """The results line of a row not sent because of ``task``: it carries its ContactId."""
    return Outcome(
        row.number,
        status,
        row.client_token if client_token is None else client_token,
        row.source.values,
        contact_id=task.contact_id,
        error_code=error_code,
        error_message=message,
        errors=tuple(errors),
    )


SENDING_COMMANDS = ("run", "retry")
"""The commands whose runs write results files that retry continues."""


@dataclass(frozen=True)
class Continued:
    """The batch a results file continues, how it was found (for the message), and the run
    that wrote the file, when the journal knows it (retry takes its settings)."""

    batch_id: str
    how: str
    run_id: int | None = None


def batch_of_results(
    journal: Journal, tokens: Iterable[str], results_name: str
) -> Continued | None:
    """The batch of the run that wrote a results file: the batch most of the ClientTokens on
    its lines were sent in, else the batch of the newest run whose summary names a results
    file of this name; None if the journal knows neither. Its run: the newest run (or
    retry) that sent one of those tokens in that batch, else that newest run."""
    wanted = [token for token in tokens if token]
    counts = journal.batch_counts(wanted)
    counts.pop("", None)
    if counts:
        batch_id, count = max(counts.items(), key=lambda item: (item[1], item[0]))
        how = f"{count:,} of its {len(wanted):,} ClientTokens were sent in it"
        return Continued(batch_id, how, journal.latest_run(wanted, batch_id, SENDING_COMMANDS))
    for run_id, summary in journal.summaries_mentioning(results_name):
        if summary.get("command", "run") not in SENDING_COMMANDS:
            continue
        for file in summary.get("files") or []:
            results, batch_id = str(file.get("results") or ""), file.get("batch_id")
            if batch_id and location_name(results) == results_name:
                return Continued(str(batch_id), f"run {run_id} wrote {results_name}", run_id)
    return None
