"""What sending tells the user: the results-line texts of rows that failed, were not sent or
were reconciled, and the reasons a run stops early.

Every reason a run stops ends by saying what to do, and that a re-run continues where this
run stopped. (The wording of a row sent again under an earlier attempt's token lives with
that rule, in :mod:`importer.lost_answers`.) What a request may or may not have done is
said in the words of its kind (:class:`Wording`): :data:`TASKS` (StartTaskContact, the
default) or :data:`STOPS` (undo's StopContact).
"""

from __future__ import annotations

from dataclasses import dataclass

from importer.errors import ApiError, ErrorKind, JournalError

CHANGED_SINCE_CREATED = (
    "created by an earlier run; this row has changed since, and the existing task was not updated"
)
_MAYBE_CREATED = (
    "; a task may have been created: a re-run resends the same ClientToken and reconciles it, "
    "never making a second task"
)
_NOT_CREATED = (
    "; no task was created (each attempt was refused or never reached Amazon Connect): "
    "a re-run sends it again"
)


@dataclass(frozen=True)
class Wording:
    """How results lines and stop reasons speak of one kind of request."""

    permission: str
    """The IAM action it needs, and on what (named when access is denied)."""
    maybe_done: str
    """Said of a row some request of which got no clear answer: it may have taken effect."""
    maybe_done_failed: str
    """The same, said of a row that failed."""
    not_done: str
    """Said of a row whose every request was refused or never arrived."""
    unrecorded: str
    """A request that took effect but could not be journaled (``{problem}``: why)."""
    stopped_early: str = (
        "Rows never sent are 'not_attempted'; rows sent but not settled are 'failed' and say "
        "whether a task may have been created; run the same command again to continue where "
        "it stopped (no task is created twice)."
    )
    """What a batch's results lines say after the run stopped early, and what to do."""
    all_done: str = "every row created or already created"
    """A batch's reason for exit 0."""
    all_done_some_stopped: str | None = (
        "every row created, already created or stopped by undo ({count} stopped: retry never "
        "re-creates a stopped row)"
    )
    """A batch's reason for exit 0 when ``{count}`` of its rows are stopped (None: stopping
    is what the requests do, and ``all_done`` says so)."""
    some_not_done: str = "rows not created"
    """A batch's reason for exit 1, before the counts of the rows it means."""


TASKS = Wording(
    permission="connect:StartTaskContact on the instance",
    maybe_done=_MAYBE_CREATED,
    maybe_done_failed=(
        "; a task may have been created: a re-run resends the same ClientToken, which cannot "
        "create a second one"
    ),
    not_done=_NOT_CREATED,
    unrecorded=(
        "created, but the journal could not record it ({problem}): the next run resends its "
        "ClientToken and Amazon Connect answers with this ContactId again (no second task)"
    ),
)
_MAYBE_STOPPED = (
    "; the task may have been stopped: undo the file again to make sure (a task that has "
    "already ended counts as stopped)"
)
STOPS = Wording(
    permission="connect:StopContact on the instance's contacts",
    maybe_done=_MAYBE_STOPPED,
    maybe_done_failed=_MAYBE_STOPPED,
    not_done=(
        "; the task was not stopped (each attempt was refused or never reached Amazon "
        "Connect): undo the file again to stop it"
    ),
    unrecorded=(
        "stopped, but the journal could not record it ({problem}): the next undo sends "
        "StopContact again, which finds the task ended (stopped, not a second stop)"
    ),
    stopped_early=(
        "Lines whose task was not stopped keep their status and say why ('not stopped by "
        "undo'); run the same undo again to continue where it stopped (no task is stopped "
        "twice)."
    ),
    all_done="every task stopped (or found already ended)",
    all_done_some_stopped=None,
    some_not_done="tasks not stopped",
)


# --- rows -------------------------------------------------------------------------------------


def failure(
    error: ApiError,
    attempts: int,
    per_row_quota: bool,
    maybe_created: bool,
    wording: Wording = TASKS,
) -> str:
    """What a row that failed while the run went on says; ``maybe_created``: some attempt
    got no clear answer."""
    if error.kind is ErrorKind.MISMATCH:
        return (
            "a task for this ClientToken already exists with different content "
            f"({error.message}); the row changed after it was first sent. Not retried: "
            "restore the row as it was, or give it a new ClientToken to create another task"
        )
    if error.kind is ErrorKind.QUOTA and per_row_quota:
        return (
            f"refused by a quota ({error.message}); with PreviousContactId set this is "
            "probably the limit of 12 tasks per previous contact"
        )
    maybe = wording.maybe_done_failed if maybe_created else ""
    if error.kind is ErrorKind.QUOTA:
        return (
            f"refused by the active-task quota ({error.message}) on its last attempt "
            f"({attempts} in all); close tasks (or raise the quota), then re-run{maybe}"
        )
    if error.retryable:
        return f"gave up after {attempts} attempts: {error.message}{maybe}"
    return error.message


def not_sent(note: str) -> str:
    """A row never sent because the run stopped (``note`` says why, in a few words)."""
    return (
        f"not sent: the run stopped ({note}); run the same command again to send it "
        "(nothing is sent twice)"
    )


def unanswered_when_stopped(note: str, wording: Wording = TASKS) -> str:
    """A row sent, whose answer had not come when the run stopped waiting for it."""
    return f"sent, and the run stopped ({note}) before Amazon Connect answered{wording.maybe_done}"


def stopped_before_retry(
    note: str, error: ApiError, maybe_created: bool, wording: Wording = TASKS
) -> str:
    """A row whose attempt failed and which the run stopped before retrying."""
    what = (
        f"the run stopped ({note}) before this row was retried (last error {error.code}: "
        f"{error.message})"
    )
    return what + (wording.maybe_done if maybe_created else wording.not_done)


def earlier_unanswered_when_stopped(note: str, wording: Wording = TASKS) -> str:
    """A row an earlier run sent without a definite answer, not sent again before the stop."""
    return (
        "an earlier run sent this row without a definite answer, and the run stopped "
        f"({note}) first{wording.maybe_done}"
    )


def unrecorded(problem: str, wording: Wording = TASKS) -> str:
    """A request that took effect (a task created, stopped) that the journal could not
    record."""
    return wording.unrecorded.format(problem=problem)


def reconciled(contact_id: str) -> str:
    """A row an earlier run sent without recording a ContactId, resent and answered."""
    return (
        "reconciled: an earlier run sent this row but recorded no ContactId for it (it stopped "
        "before the answer came, or the answer held none); resent with the same ClientToken, "
        f"Amazon Connect returned ContactId {contact_id} for it (one task, not a second one)"
    )


# --- why a run stops ----------------------------------------------------------------------------


def interrupted(reason: str) -> str:
    return f"{reason}; a re-run continues where this one stopped"


def journal_failed(error: JournalError) -> str:
    return (
        f"{error}. Nothing more was sent. Make room on its disk (or fix its folder), then "
        "run the same command again: rows whose answers could not be recorded are resent "
        "with the same ClientToken and reconciled, never created twice"
    )


def access_denied(error: ApiError, wording: Wording = TASKS) -> str:
    return (
        f"Amazon Connect refused the credentials or permissions ({error.code}: "
        f"{error.message}); nothing else can succeed. Fix the IAM policy "
        f"({wording.permission}) or the credentials, then re-run: "
        "it continues where this run stopped"
    )


def unknown_instance(error: ApiError) -> str:
    return (
        f"the Amazon Connect instance was not found ({error.message}); check the "
        "instance id and the region, then re-run: it continues where this run stopped"
    )


def no_answer(unanswered: int, error: ApiError) -> str:
    return (
        f"no answer came from the endpoint: the first {unanswered} requests of the "
        f"run got none ({error.code}: {error.message}). Check the network, a proxy "
        "(HTTPS_PROXY), --endpoint-url and --region (and --connect-timeout, "
        "--read-timeout), then run the same command again: it continues where this run "
        "stopped"
    )


def quota_still_refused(error: ApiError, pause: float) -> str:
    return (
        f"Amazon Connect refused new tasks: the instance has reached its quota of active "
        f"tasks ({error.code}: {error.message}). Paused {pause:g} s and it was still "
        "refused, so the run stopped. Close tasks (or raise the 'Concurrent active tasks' "
        "quota) and re-run the same command: it continues where this run stopped"
    )


def same_first_errors(rows: int, code: str, message: str) -> str:
    return (
        f"the first {rows} rows all failed with the same error and none "
        f"succeeded ({code}: {message}); this looks like a configuration problem, "
        "not bad rows. Fix it and re-run: the run continues where it stopped"
    )


def too_many_failures(failed: int, allowed: int) -> str:
    return (
        f"{failed} rows failed, more than the {allowed} allowed "
        "(--max-failures); see the results file, then re-run to continue"
    )


def too_large_a_share_failed(failed: int, finished: int, fraction: float) -> str:
    return (
        f"{failed} of {finished} rows sent failed, more than {fraction:.0%} "
        "(--max-failures); see the results file, then re-run to continue"
    )
