"""The executor: exactly-once creation through retries, faults, stops and re-runs.

The executor knows only ``submit(request) -> id``, which raises ApiError. Most tests pass
:class:`FakeConnect`, a scripted Python callable; the last ones send through a real boto3
client (``aws.task_submitter``) to the sandbox. Nothing here asserts on time: counts only.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from importer.aws import make_client, task_submitter
from importer.errors import ApiError, ErrorKind, UsageError
from importer.executor import Executor, ExecutorSettings, RunReport
from importer.journal import Journal, JournalStatus
from importer.model import Outcome, PreparedRow, RowError, SourceRow, Status
from importer.row_journal import TaskJournal, created_before
from importer.row_sender import Submit
from importer.sandbox import Sandbox, defaults

QUICK = ExecutorSettings(
    concurrency=4,
    rate=10_000.0,
    burst=1_000,
    backoff_base=0.001,
    backoff_max=0.01,
    quota_pause_seconds=0.2,
)
"""Settings for tests that are not about pacing: no rate limit to speak of, tiny backoffs."""


def make_rows(n: int, prefix: str = "row", **fields: Any) -> list[PreparedRow]:
    rows = []
    for index in range(n):
        request = {
            "InstanceId": defaults.INSTANCE_ID,
            "ContactFlowId": defaults.CONTACT_FLOW_IDS[0],
            "Name": f"Task {index}",
            "ClientToken": f"{prefix}-{index:04d}",
            **fields,
        }
        source = SourceRow(index + 2, {"Name": f"Task {index}"})
        rows.append(PreparedRow(source, request, request["ClientToken"]))
    return rows


def run(
    submit: Submit,
    journal: Path,
    rows: Iterator[PreparedRow] | list[PreparedRow],
    settings: ExecutorSettings = QUICK,
    on_outcome: Callable[[Executor, Outcome], None] | None = None,
) -> tuple[RunReport, list[Outcome]]:
    outcomes: list[Outcome] = []
    with Journal(journal) as opened:
        executor = Executor(submit, TaskJournal(opened), settings, batch_id="batch-1")

        def collect(outcome: Outcome) -> None:
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(executor, outcome)

        report = executor.run(rows, collect)
    reported = [outcome.row for outcome in outcomes]
    assert len(reported) == len(set(reported)), "a row was reported twice"
    return report, outcomes


def statuses(outcomes: list[Outcome]) -> Counter[Status]:
    return Counter(outcome.status for outcome in outcomes)


# The ApiErrors importer.aws makes of what Amazon Connect and the network answer.


def refused(code: str, message: str, kind: ErrorKind = ErrorKind.ROW_INVALID) -> ApiError:
    status = {ErrorKind.ACCESS_DENIED: 403, ErrorKind.CONFIG_NOT_FOUND: 404}.get(kind, 400)
    return ApiError(kind, code, message, status)


def throttled() -> ApiError:
    return ApiError(ErrorKind.THROTTLE, "ThrottlingException", "Rate exceeded", 429)


def service_fault() -> ApiError:
    return ApiError(
        ErrorKind.TRANSIENT, "InternalServiceException", "failed", 500, maybe_created=True
    )


def timed_out() -> ApiError:
    return ApiError(
        ErrorKind.TRANSIENT, "ReadTimeoutError", "Read timeout", maybe_created=True, no_answer=True
    )


def quota_full(message: str = "too many active tasks") -> ApiError:
    return ApiError(ErrorKind.QUOTA, "ServiceQuotaExceededException", message, 402)


class FakeConnect:
    """A ``submit`` that answers by a script: ``script(request, call_number)`` raises, or
    returns an id, or returns None for the task of the request's ClientToken. Like Amazon
    Connect, it keeps one task per ClientToken (``contact-<token>``) and refuses the token
    with another body."""

    def __init__(self, script: Callable[[Mapping[str, Any], int], str | None] | None = None):
        self.script = script
        self.calls: list[dict[str, Any]] = []
        self.tasks: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, request: Mapping[str, Any]) -> str:
        with self._lock:
            self.calls.append(dict(request))
            number = len(self.calls)
        answer = self.script(request, number) if self.script is not None else None
        if answer is not None:
            return answer
        token = request["ClientToken"]
        with self._lock:
            if self.tasks.setdefault(token, dict(request)) != request:
                raise refused(
                    "IdempotentParameterMismatchException", "used before", ErrorKind.MISMATCH
                )
        return f"contact-{token}"

    def calls_for(self, token: str) -> list[dict[str, Any]]:
        return [call for call in self.calls if call["ClientToken"] == token]


# --- logic, through a fake submit ---------------------------------------------------------


def test_retries_resend_the_same_token_and_body(tmp_path: Path) -> None:
    failures: Counter[str] = Counter()

    def flaky(request: Mapping[str, Any], _: int) -> None:
        token = request["ClientToken"]
        failures[token] += 1
        if failures[token] == 1:
            raise service_fault()
        if failures[token] == 2:
            raise timed_out()

    service = FakeConnect(flaky)
    rows = make_rows(5)
    report, outcomes = run(service, tmp_path / "j.db", rows)
    assert statuses(outcomes) == {Status.CREATED: 5}
    assert all(outcome.attempts == 3 for outcome in outcomes)
    for row in rows:
        assert service.calls_for(row.client_token) == [row.request] * 3
    assert report.calls == 15
    assert not report.stopped_early


def test_validation_errors_are_never_retried(tmp_path: Path) -> None:
    def reject(request: Mapping[str, Any], _: int) -> None:
        if request["ClientToken"].endswith("3"):
            raise refused("InvalidParameterException", "Name is too long")

    service = FakeConnect(reject)
    report, outcomes = run(service, tmp_path / "j.db", make_rows(10))
    (failed,) = [o for o in outcomes if o.status is Status.FAILED]
    assert (failed.error_code, failed.error_message, failed.attempts) == (
        "InvalidParameterException",
        "Name is too long",
        1,
    )
    assert len(service.calls) == 10
    assert not report.stopped_early


def test_throttling_that_never_ends_fails_the_row_after_max_attempts(tmp_path: Path) -> None:
    def throttle(_: Mapping[str, Any], __: int) -> None:
        raise throttled()

    settings = replace(QUICK, max_attempts=3, concurrency=1)
    report, outcomes = run(FakeConnect(throttle), tmp_path / "j.db", make_rows(2), settings)
    assert [(o.status, o.attempts) for o in outcomes] == [(Status.FAILED, 3)] * 2
    assert outcomes[0].error_code == "ThrottlingException"
    assert "gave up after 3 attempts" in outcomes[0].error_message
    assert (report.calls, report.throttles) == (6, 6)


def test_token_reused_with_a_different_body_fails_without_retry(tmp_path: Path) -> None:
    def mismatch(_: Mapping[str, Any], __: int) -> None:
        raise refused("IdempotentParameterMismatchException", "used before", ErrorKind.MISMATCH)

    service = FakeConnect(mismatch)
    _, (outcome,) = run(service, tmp_path / "j.db", make_rows(1))
    assert (outcome.status, outcome.attempts) == (Status.FAILED, 1)
    assert outcome.error_code == "IdempotentParameterMismatchException"
    assert "already exists with different content" in outcome.error_message
    assert len(service.calls) == 1


def test_outcomes_come_once_per_row_on_the_calling_thread(tmp_path: Path) -> None:
    threads = set()
    rows = make_rows(30)
    rows[4] = PreparedRow(rows[4].source, None, "", [RowError("Name", "is empty")])

    def note(_: Executor, __: Outcome) -> None:
        threads.add(threading.get_ident())

    _, outcomes = run(FakeConnect(), tmp_path / "j.db", rows, on_outcome=note)
    assert threads == {threading.get_ident()}
    assert sorted(o.row for o in outcomes) == [row.number for row in rows]
    assert statuses(outcomes) == {Status.CREATED: 29, Status.INVALID: 1}
    (invalid,) = [o for o in outcomes if o.status is Status.INVALID]
    assert invalid.error_message == "Name: is empty"
    assert invalid.values == {"Name": "Task 4"}


def test_rows_are_read_through_a_bounded_window(tmp_path: Path) -> None:
    read = 0
    widest = 0
    done = 0

    def rows() -> Iterator[PreparedRow]:
        nonlocal read
        for row in make_rows(300):
            read += 1
            yield row

    def count(_: Executor, __: Outcome) -> None:
        nonlocal done, widest
        done += 1
        widest = max(widest, read - done)

    settings = replace(QUICK, concurrency=2)
    run(FakeConnect(), tmp_path / "j.db", rows(), settings, on_outcome=count)
    assert done == 300
    assert widest <= 2 * settings.concurrency + 8 + 1


def test_a_token_repeated_in_the_input_is_sent_once(tmp_path: Path) -> None:
    rows = make_rows(3)
    rows.append(PreparedRow(SourceRow(99, {}), dict(rows[0].request or {}), rows[0].client_token))
    service = FakeConnect()
    _, outcomes = run(service, tmp_path / "j.db", rows)
    assert len(service.calls_for(rows[0].client_token)) == 1
    assert statuses(outcomes) == {Status.CREATED: 3, Status.ALREADY_CREATED: 1}


def test_request_stop_finishes_in_flight_rows_and_sends_nothing_new(tmp_path: Path) -> None:
    calls_when_stopped = []

    def stop_after_five(executor: Executor, _: Outcome) -> None:
        if len(service.calls) >= 5 and not calls_when_stopped:
            executor.request_stop()
            calls_when_stopped.append(len(service.calls))

    service = FakeConnect()
    settings = replace(QUICK, concurrency=2)
    report, outcomes = run(service, tmp_path / "j.db", make_rows(100), settings, stop_after_five)
    counts = statuses(outcomes)
    assert counts[Status.CREATED] == len(service.calls)
    assert len(service.calls) <= calls_when_stopped[0] + settings.concurrency
    assert counts[Status.NOT_ATTEMPTED] == 100 - len(service.calls)
    assert report.stopped_early
    assert report.stop_reason is not None and "interrupted" in report.stop_reason
    not_attempted = next(o for o in outcomes if o.status is Status.NOT_ATTEMPTED)
    assert not_attempted.error_message.startswith("not sent: the run stopped")


def test_max_failures_stops_a_run_whose_rows_keep_failing(tmp_path: Path) -> None:
    def every_other(request: Mapping[str, Any], _: int) -> None:
        if int(request["ClientToken"][-4:]) % 2:
            raise refused("InvalidRequestException", f"bad {request['ClientToken']}")

    service = FakeConnect(every_other)
    settings = replace(QUICK, concurrency=1, max_failures=3)
    report, outcomes = run(service, tmp_path / "j.db", make_rows(50), settings)
    window = 2 * settings.concurrency + 8
    assert 4 <= statuses(outcomes)[Status.FAILED] <= 4 + window
    assert report.stopped_early
    assert "4 rows failed, more than the 3 allowed" in (report.stop_reason or "")
    assert len(service.calls) <= 8 + window


def test_max_failure_fraction_waits_for_enough_rows(tmp_path: Path) -> None:
    def every_other(request: Mapping[str, Any], _: int) -> None:
        if int(request["ClientToken"][-4:]) % 2:
            raise refused("InvalidRequestException", f"bad {request['ClientToken']}")

    settings = replace(QUICK, concurrency=1, max_failure_fraction=0.25)
    report, outcomes = run(FakeConnect(every_other), tmp_path / "j.db", make_rows(100), settings)
    counts = statuses(outcomes)
    window = 2 * settings.concurrency + 8
    assert report.stopped_early
    assert 20 <= counts[Status.CREATED] + counts[Status.FAILED] <= 20 + window
    assert counts[Status.NOT_ATTEMPTED] >= 80 - window
    assert "more than 25%" in (report.stop_reason or "")


def test_journal_marks_rows_in_flight_before_sending_and_records_each_answer(tmp_path: Path):
    with Journal(tmp_path / "j.db") as journal:

        def check_marked(request: Mapping[str, Any], _: int) -> None:
            entry = journal.lookup(request["ClientToken"])
            assert entry is not None and entry.status is JournalStatus.IN_FLIGHT

        def check_recorded(outcome: Outcome) -> None:
            entry = journal.lookup(outcome.client_token)
            assert entry is not None
            assert (entry.status, entry.contact_id) == ("created", outcome.contact_id)
            assert (entry.batch_id, entry.row_number) == ("b7", outcome.row)
            seen.append(outcome)

        seen: list[Outcome] = []
        service = FakeConnect(check_marked)
        Executor(service, TaskJournal(journal), QUICK, batch_id="b7").run(
            make_rows(10), check_recorded
        )
    assert len(seen) == len(service.calls) == 10


def stop_during_backoff(tmp_path: Path, error: ApiError) -> tuple[Outcome, JournalStatus]:
    """One row: its first attempt fails with ``error`` and the run is stopped meanwhile."""
    with Journal(tmp_path / "j.db") as journal:
        executors: list[Executor] = []

        def fail_and_stop(_: Mapping[str, Any], __: int) -> None:
            executors[0].request_stop()
            raise error

        settings = replace(QUICK, backoff_base=5.0, backoff_max=5.0)
        executors.append(Executor(FakeConnect(fail_and_stop), TaskJournal(journal), settings))
        outcomes: list[Outcome] = []
        report = executors[0].run(make_rows(1), outcomes.append)
        assert report.stopped_early
        (outcome,) = outcomes
        entry = journal.lookup(outcome.client_token)
        assert entry is not None
        return outcome, entry.status


def test_stop_after_an_unanswered_send_keeps_the_row_in_flight_for_reconciling(tmp_path: Path):
    outcome, journaled = stop_during_backoff(tmp_path, timed_out())
    assert (outcome.status, outcome.error_code, outcome.attempts) == (
        Status.FAILED,
        "ReadTimeoutError",
        1,
    )
    assert "a task may have been created" in outcome.error_message
    assert "resends the same ClientToken and reconciles it" in outcome.error_message
    assert journaled is JournalStatus.IN_FLIGHT
    _, (again,) = run(FakeConnect(), tmp_path / "j.db", make_rows(1))
    assert again.status is Status.ALREADY_CREATED
    assert again.error_message.startswith("reconciled: ")


def test_stop_after_a_throttle_leaves_the_row_known_not_created(tmp_path: Path):
    outcome, journaled = stop_during_backoff(tmp_path, throttled())
    assert (outcome.status, outcome.error_code) == (Status.FAILED, "ThrottlingException")
    assert "no task was created" in outcome.error_message
    assert "a re-run sends it again" in outcome.error_message
    assert journaled is JournalStatus.NOT_ATTEMPTED
    _, (again,) = run(FakeConnect(), tmp_path / "j.db", make_rows(1))
    assert (again.status, again.error_message) == (Status.CREATED, "")


def test_abandon_reports_the_rows_in_flight_at_once_and_a_late_answer_changes_nothing(
    tmp_path: Path,
) -> None:
    answer = threading.Event()
    service = FakeConnect(lambda _, __: answer.wait(30) and None)
    outcomes: list[Outcome] = []
    with Journal(tmp_path / "j.db") as journal:
        executor = Executor(service, TaskJournal(journal), QUICK)

        def abandon_once_four_are_sent() -> None:
            while len(service.calls) < 4:
                time.sleep(0.005)
            executor.abandon("interrupted twice")

        threading.Thread(target=abandon_once_four_are_sent).start()
        report = executor.run(make_rows(6), outcomes.append)

    assert report.stopped_early
    assert not answer.is_set()
    by_status = {o.status: o for o in outcomes}
    assert statuses(outcomes) == {Status.FAILED: 4, Status.NOT_ATTEMPTED: 2}
    assert (by_status[Status.FAILED].error_code, by_status[Status.FAILED].attempts) == (
        "NoAnswer",
        1,
    )
    answer.set()  # the answers arrive after the journal was closed
    for thread in threading.enumerate():
        if thread.name == "importer-row":
            thread.join(timeout=30)
    with Journal(tmp_path / "j.db") as journal:
        assert journal.counts() == {JournalStatus.IN_FLIGHT: 4}
    assert len(service.calls) == 4


def test_the_first_requests_all_unanswered_stop_the_run_but_not_once_one_was_answered(
    tmp_path: Path,
) -> None:
    def time_out(_: Mapping[str, Any], number: int) -> None:
        if number > first_answered:
            raise timed_out()
        raise service_fault()

    settings = replace(QUICK, concurrency=1, max_attempts=2)
    first_answered = 0
    report, outcomes = run(FakeConnect(time_out), tmp_path / "a.db", make_rows(20), settings)
    assert report.stopped_early
    assert "no answer came from the endpoint" in (report.stop_reason or "")
    assert report.calls == settings.breaker_rows
    assert sum(o.attempts for o in outcomes) == settings.breaker_rows

    first_answered = 1  # an error answer first: the endpoint answers
    report, outcomes = run(FakeConnect(time_out), tmp_path / "b.db", make_rows(3), settings)
    assert not report.stopped_early
    assert statuses(outcomes) == {Status.FAILED: 3}


def test_quota_refusal_of_a_row_with_previous_contact_fails_only_that_row(tmp_path: Path):
    def full_contact(request: Mapping[str, Any], _: int) -> None:
        if request.get("PreviousContactId") == "full":
            raise quota_full("Quota exceeded")

    rows = make_rows(6)
    assert rows[2].request is not None
    rows[2].request["PreviousContactId"] = "full"
    service = FakeConnect(full_contact)
    settings = replace(QUICK, concurrency=1, quota_pause_seconds=0.05)
    report, outcomes = run(service, tmp_path / "j.db", rows, settings)
    assert statuses(outcomes) == {Status.CREATED: 5, Status.FAILED: 1}
    (failed,) = [o for o in outcomes if o.status is Status.FAILED]
    assert (failed.row, failed.attempts) == (rows[2].number, 2)
    assert "12 tasks per previous contact" in failed.error_message
    assert not report.stopped_early


def test_a_row_out_of_attempts_on_the_active_task_quota_is_failed_not_unattempted(tmp_path: Path):
    def full(_: Mapping[str, Any], __: int) -> None:
        raise quota_full()

    settings = replace(QUICK, concurrency=1, max_attempts=1)
    report, (outcome,) = run(FakeConnect(full), tmp_path / "j.db", make_rows(1), settings)
    assert not report.stopped_early
    assert (outcome.status, outcome.attempts) == (Status.FAILED, 1)
    assert "refused by the active-task quota (too many active tasks)" in outcome.error_message


def test_a_row_journaled_created_without_a_contact_id_is_resent_and_reconciled(tmp_path: Path):
    rows = make_rows(2)
    with Journal(tmp_path / "j.db") as journal:  # as version 0.1.0 journaled a bad 200 answer
        for row in rows:
            journal.mark_in_flight(
                row.client_token, row_number=row.number, batch_id="b", request_sha256=""
            )
        journal.record(rows[0].client_token, JournalStatus.CREATED, attempts=1, contact_id="")
        journal.record(rows[1].client_token, JournalStatus.CREATED, attempts=1, contact_id="c-1")

    service = FakeConnect()
    _, outcomes = run(service, tmp_path / "j.db", rows)

    assert [call["ClientToken"] for call in service.calls] == [rows[0].client_token]
    first, second = sorted(outcomes, key=lambda outcome: outcome.row)
    assert (first.status, first.contact_id) == (
        Status.ALREADY_CREATED,
        f"contact-{rows[0].client_token}",
    )
    assert first.error_message.startswith("reconciled: ")
    assert (second.status, second.contact_id) == (Status.ALREADY_CREATED, "c-1")


def test_an_unexpected_exception_is_not_swallowed(tmp_path: Path) -> None:
    def bug(_: Mapping[str, Any], __: int) -> None:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        run(FakeConnect(bug), tmp_path / "j.db", make_rows(3))


class RecordingProgress:
    def __init__(self) -> None:
        self.updates: list[tuple[Status, float]] = []
        self.closed = 0

    def update(self, outcome: Outcome, rate: float) -> None:
        self.updates.append((outcome.status, rate))

    def close(self) -> None:
        self.closed += 1


def test_progress_hears_of_every_row_and_is_closed(tmp_path: Path):
    progress = RecordingProgress()
    with Journal(tmp_path / "j.db") as journal:
        Executor(FakeConnect(), TaskJournal(journal), QUICK, progress).run(
            make_rows(12), lambda _: None
        )
    assert [status for status, _ in progress.updates] == [Status.CREATED] * 12
    assert all(rate == QUICK.rate for _, rate in progress.updates)
    assert progress.closed == 1


def test_access_denied_stops_within_a_handful_of_requests(tmp_path: Path) -> None:
    def deny(_: Mapping[str, Any], __: int) -> None:
        raise refused("AccessDeniedException", "not authorized", ErrorKind.ACCESS_DENIED)

    service = FakeConnect(deny)
    report, outcomes = run(service, tmp_path / "j.db", make_rows(200))
    requests = len(service.calls)
    assert requests <= QUICK.concurrency + 1
    counts = statuses(outcomes)
    assert counts[Status.FAILED] == requests
    assert counts[Status.NOT_ATTEMPTED] == 200 - requests
    assert report.stopped_early
    assert "AccessDeniedException" in (report.stop_reason or "")


def test_unknown_instance_stops_at_once(tmp_path: Path) -> None:
    def no_instance(request: Mapping[str, Any], _: int) -> None:
        message = f"Instance '{request['InstanceId']}' not found"
        raise refused("ResourceNotFoundException", message, ErrorKind.CONFIG_NOT_FOUND)

    service = FakeConnect(no_instance)
    report, outcomes = run(service, tmp_path / "j.db", make_rows(100))
    assert len(service.calls) <= QUICK.concurrency + 1
    assert statuses(outcomes)[Status.NOT_ATTEMPTED] >= 100 - QUICK.concurrency - 1
    assert report.stopped_early
    assert "instance was not found" in (report.stop_reason or "")


def test_same_configuration_error_on_the_first_rows_stops_the_run(tmp_path: Path) -> None:
    def no_flow(request: Mapping[str, Any], _: int) -> None:
        message = f"Contact flow 'dead' not found in instance '{request['InstanceId']}'"
        raise refused("ResourceNotFoundException", message, ErrorKind.CONFIG_NOT_FOUND)

    service = FakeConnect(no_flow)
    settings = replace(QUICK, breaker_rows=5)
    report, outcomes = run(service, tmp_path / "j.db", make_rows(200), settings)
    requests = len(service.calls)
    assert 5 <= requests <= 5 + 2 * settings.concurrency + 8
    assert report.stopped_early
    assert "the first 5 rows all failed with the same error" in (report.stop_reason or "")
    assert statuses(outcomes)[Status.FAILED] == requests
    assert all(o.attempts <= 1 for o in outcomes)


def test_a_bad_row_among_good_ones_fails_alone(tmp_path: Path) -> None:
    rows = make_rows(20)

    def no_flow(request: Mapping[str, Any], _: int) -> None:
        if request["ClientToken"] == rows[3].client_token:
            message = "Contact flow 'dead' not found in instance 'i'"
            raise refused("ResourceNotFoundException", message, ErrorKind.CONFIG_NOT_FOUND)

    report, outcomes = run(FakeConnect(no_flow), tmp_path / "j.db", rows)
    assert statuses(outcomes) == {Status.CREATED: 19, Status.FAILED: 1}
    (failed,) = [o for o in outcomes if o.status is Status.FAILED]
    assert (failed.row, failed.error_code, failed.attempts) == (5, "ResourceNotFoundException", 1)
    assert not report.stopped_early


def test_rerun_on_the_same_journal_calls_nothing(tmp_path: Path) -> None:
    service, journal, rows = FakeConnect(), tmp_path / "j.db", make_rows(20)
    _, first = run(service, journal, rows)
    report, second = run(service, journal, rows)
    assert len(service.calls) == 20
    assert report.calls == 0
    assert statuses(second) == {Status.ALREADY_CREATED: 20}
    assert {o.client_token: o.contact_id for o in second} == {
        o.client_token: o.contact_id for o in first
    }
    assert all(o.error_message == "" for o in second)


def test_quota_refusal_that_clears_during_the_pause_does_not_stop(tmp_path: Path) -> None:
    def full_once(_: Mapping[str, Any], number: int) -> None:
        if number == 2:
            raise quota_full()

    service = FakeConnect(full_once)
    settings = replace(QUICK, concurrency=1, quota_pause_seconds=0.05)
    report, outcomes = run(service, tmp_path / "j.db", make_rows(3), settings)
    assert statuses(outcomes) == {Status.CREATED: 3}
    assert sorted(o.attempts for o in outcomes) == [1, 1, 2]
    assert not report.stopped_early


def test_twelve_tasks_per_previous_contact_fails_the_extra_rows_only(tmp_path: Path) -> None:
    sharing: Counter[str] = Counter()

    def twelve_per_previous_contact(request: Mapping[str, Any], _: int) -> None:
        previous = request["PreviousContactId"]
        if sharing[previous] >= 12:
            raise quota_full(f"12 tasks already have PreviousContactId '{previous}'")
        sharing[previous] += 1

    rows = make_rows(14, PreviousContactId="aaaaaaaa-0000-4000-8000-000000000001")
    settings = replace(QUICK, concurrency=1, quota_pause_seconds=0.05)
    report, outcomes = run(
        FakeConnect(twelve_per_previous_contact), tmp_path / "j.db", rows, settings
    )
    assert statuses(outcomes) == {Status.CREATED: 12, Status.FAILED: 2}
    failed = [o for o in outcomes if o.status is Status.FAILED]
    assert all("12 tasks per previous contact" in o.error_message for o in failed)
    assert all(o.attempts == 1 for o in failed)
    assert not report.stopped_early


def test_crash_recovery_reconciles_rows_sent_without_an_answer(tmp_path: Path) -> None:
    service, journal, rows = FakeConnect(), tmp_path / "j.db", make_rows(6)
    existing = service(rows[0].request or {})
    with Journal(journal) as opened:
        for row in rows[:2]:
            opened.mark_in_flight(
                row.client_token, row_number=row.number, batch_id="b", request_sha256=""
            )
    report, outcomes = run(service, journal, rows)
    assert not report.stopped_early
    by_row = {o.row: o for o in outcomes}
    reconciled = by_row[rows[0].number]
    assert (reconciled.status, reconciled.contact_id) == (Status.ALREADY_CREATED, existing)
    assert reconciled.error_code == ""
    assert reconciled.error_message.startswith("reconciled: ")
    assert existing in reconciled.error_message
    assert by_row[rows[1].number].status is Status.ALREADY_CREATED
    assert statuses(outcomes) == {Status.ALREADY_CREATED: 2, Status.CREATED: 4}
    assert len(service.calls) == 1 + 6
    with Journal(journal) as opened:
        assert opened.counts() == {JournalStatus.CREATED: 6}


def test_changed_row_after_an_unanswered_send_is_a_mismatch(tmp_path: Path) -> None:
    service, journal = FakeConnect(), tmp_path / "j.db"
    (row,) = make_rows(1)
    service(row.request or {})
    with Journal(journal) as opened:
        opened.mark_in_flight(row.client_token, row_number=2, batch_id="b", request_sha256="")
    assert row.request is not None
    row.request["Name"] = "Edited since"
    _, (outcome,) = run(service, journal, [row])
    assert (outcome.status, outcome.attempts) == (Status.FAILED, 1)
    assert outcome.error_code == "IdempotentParameterMismatchException"
    assert len(service.tasks) == 1


def test_rerun_notes_a_created_row_that_changed_since(tmp_path: Path) -> None:
    service, journal, rows = FakeConnect(), tmp_path / "j.db", make_rows(2)
    run(service, journal, rows)
    assert rows[1].request is not None
    rows[1].request["Name"] = "Edited since"
    _, outcomes = run(service, journal, rows)
    assert statuses(outcomes) == {Status.ALREADY_CREATED: 2}
    edited = next(o for o in outcomes if o.row == rows[1].number)
    assert "not updated" in edited.error_message
    assert len(service.calls) == 2


def test_bad_settings_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="concurrency"):
        ExecutorSettings(concurrency=0)
    with pytest.raises(UsageError, match="fraction"):
        ExecutorSettings(max_failure_fraction=1.5)
    with pytest.raises(UsageError, match="rate must be above 0 requests a second, not 0"):
        ExecutorSettings(rate=0)
    with pytest.raises(UsageError, match="burst must be at least 1"):
        ExecutorSettings(burst=0)


# --- end to end: a real boto3 client against the sandbox ----------------------------------


def connect(emulator: Sandbox, concurrency: int = 4) -> Submit:
    client = make_client(
        region=defaults.REGION,
        endpoint_url=emulator.url,
        concurrency=concurrency,
        connect_timeout=2,
        read_timeout=5,
    )
    return task_submitter(client)


def test_every_row_is_created_exactly_once(sandbox: Callable[..., Sandbox], tmp_path: Path):
    emulator = sandbox()
    report, outcomes = run(connect(emulator), tmp_path / "j.db", make_rows(40))
    counters = emulator.counters()
    assert (counters["requests"], counters["created"]) == (40, 40)
    assert statuses(outcomes) == {Status.CREATED: 40}
    by_token = {task["ClientToken"]: task["ContactId"] for task in emulator.tasks()}
    assert {o.client_token: o.contact_id for o in outcomes} == by_token
    assert (report.calls, report.throttles) == (40, 0)
    assert report.counts == {Status.CREATED: 40}


def test_rerun_without_the_journal_creates_nothing_new(
    sandbox: Callable[..., Sandbox], tmp_path: Path
):
    emulator = sandbox()
    submit, rows = connect(emulator), make_rows(20)
    _, first = run(submit, tmp_path / "first.db", rows)
    _, second = run(submit, tmp_path / "lost-and-recreated.db", rows)
    counters = emulator.counters()
    assert (counters["created"], counters["replays"], counters["mismatches"]) == (20, 20, 0)
    assert {o.contact_id for o in second} == {o.contact_id for o in first}


def test_faults_still_create_every_row_exactly_once(
    sandbox: Callable[..., Sandbox], tmp_path: Path
):
    emulator = sandbox(fail_rate=0.10, drop_before_rate=0.05, drop_after_rate=0.08, seed=7)
    report, outcomes = run(connect(emulator), tmp_path / "j.db", make_rows(120))
    counters = emulator.counters()
    assert statuses(outcomes) == {Status.CREATED: 120}
    assert counters["created"] == 120
    assert counters["faults"] > 10
    assert counters["replays"] >= counters["dropped_after"] > 0
    tasks = emulator.tasks()
    assert len({task["ClientToken"] for task in tasks}) == 120
    assert {o.contact_id for o in outcomes} == {task["ContactId"] for task in tasks}
    assert report.calls == counters["requests"]


def test_active_task_cap_stops_cleanly_and_a_rerun_finishes(
    sandbox: Callable[..., Sandbox], tmp_path: Path
):
    emulator = sandbox(active_task_cap=10)
    submit, journal, rows = connect(emulator), tmp_path / "j.db", make_rows(30)
    report, first = run(submit, journal, rows)
    counts = statuses(first)
    assert counts[Status.CREATED] == 10
    refused = [o for o in first if o.status is Status.FAILED]
    assert refused, "no row was refused by the quota"
    assert counts[Status.NOT_ATTEMPTED] == 20 - len(refused)
    for outcome in refused:  # sent and refused: not "not attempted", and nothing created
        assert outcome.error_code == "ServiceQuotaExceededException"
        assert outcome.attempts >= 1
        assert "no task was created" in outcome.error_message
    assert all(o.attempts == 0 for o in first if o.status is Status.NOT_ATTEMPTED)
    assert report.stopped_early
    assert "active tasks" in (report.stop_reason or "")
    assert "continues where this run stopped" in (report.stop_reason or "")
    assert emulator.counters()["quota_exceeded"] <= 2 * QUICK.concurrency + 8

    emulator.close_tasks()
    emulator.configure(active_task_cap=None)
    report, second = run(submit, journal, rows)
    assert statuses(second) == {Status.ALREADY_CREATED: 10, Status.CREATED: 20}
    assert emulator.counters()["created"] == 30
    assert len({task["ClientToken"] for task in emulator.tasks()}) == 30
    assert not report.stopped_early


def test_told_rate_above_the_quota_still_fails_no_row(
    sandbox: Callable[..., Sandbox], tmp_path: Path
):
    emulator = sandbox(rate=50.0, burst=5)
    settings = replace(
        QUICK, concurrency=6, rate=200.0, burst=5, backoff_base=0.05, backoff_max=0.5
    )
    report, outcomes = run(connect(emulator, 6), tmp_path / "j.db", make_rows(100), settings)
    counters = emulator.counters()
    assert statuses(outcomes) == {Status.CREATED: 100}
    assert counters["created"] == 100
    assert report.throttles == counters["throttled"] > 0
    assert report.throttles < 25
    assert report.final_rate < 200.0


def test_a_row_is_already_created_when_its_token_s_entry_holds_a_task(tmp_path: Path) -> None:
    row = PreparedRow(SourceRow(2, {}), {"Name": "a", "ClientToken": "t"}, "t")
    with Journal(tmp_path / "j.sqlite3") as journal:
        journal.start_run({})
        assert created_before(row, journal.lookup("t")) is None
        journal.mark_in_flight("t", row_number=2, batch_id="b", request_sha256="other")
        assert created_before(row, journal.lookup("t")) is None, "in flight: no task known"
        journal.record("t", JournalStatus.CREATED, attempts=1, contact_id="c")
        outcome = created_before(row, journal.lookup("t"))
    assert outcome is not None
    assert (outcome.status, outcome.contact_id) == (Status.ALREADY_CREATED, "c")
    assert "changed since" in outcome.error_message
