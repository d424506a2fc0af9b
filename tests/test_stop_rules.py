"""The rules that stop a run, fed answers and outcomes directly (the executor's tests show
what a stop does to the rows)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from importer.errors import ApiError, ErrorKind
from importer.model import Outcome, Status
from importer.stop_rules import (
    FRACTION_MIN_ROWS,
    FailureTally,
    QuotaGate,
    StopRules,
    names_instance,
    per_row_quota,
)


def rules(**overrides: Any) -> StopRules:
    settings: dict[str, Any] = {
        "breaker_rows": 3,
        "max_failures": None,
        "max_failure_fraction": None,
        "quota_pause": 30.0,
        **overrides,
    }
    return StopRules(**settings)


def created(row: int = 2) -> Outcome:
    return Outcome(row, Status.CREATED, f"t{row}", {}, contact_id=f"c{row}")


def failed(row: int = 2, code: str = "InvalidParameterException", message: str = "bad") -> Outcome:
    return Outcome(row, Status.FAILED, f"t{row}", {}, error_code=code, error_message=message)


def error(kind: ErrorKind, code: str, message: str = "message", **flags: bool) -> ApiError:
    return ApiError(kind, code, message, None if flags.get("no_answer") else 400, **flags)


TIMED_OUT = error(ErrorKind.TRANSIENT, "ReadTimeoutError", maybe_created=True, no_answer=True)


def test_the_same_error_on_the_first_rows_before_any_success_is_a_configuration_error() -> None:
    rule = rules()
    assert rule.finished(failed(2)) is None
    assert rule.finished(failed(3)) is None
    stop = rule.finished(failed(4))
    assert stop is not None and stop.note == "configuration error"
    assert "the first 3 rows all failed with the same error" in stop.reason
    assert "InvalidParameterException: bad" in stop.reason


def test_different_errors_or_a_success_first_are_bad_rows_not_configuration() -> None:
    differing = rules()
    for row, message in enumerate(("bad", "worse", "bad"), start=2):
        assert differing.finished(failed(row, message=message)) is None
    after_success = rules()
    after_success.succeeded(time.monotonic())
    assert all(after_success.finished(failed(row)) is None for row in range(2, 8))


def test_rows_the_run_stopped_for_are_no_new_failures() -> None:
    rule = rules(max_failures=0)
    assert rule.finished(failed(), counted=False) is None
    assert rule.tally.failed == 0
    stop = rule.finished(failed())
    assert stop is not None and "1 rows failed, more than the 0 allowed" in stop.reason


def test_max_failures_counts_every_executor_of_the_run() -> None:
    tally = FailureTally()
    first, second = rules(max_failures=2, tally=tally), rules(max_failures=2, tally=tally)
    first.succeeded(time.monotonic())
    assert first.finished(failed(2)) is None
    assert first.finished(failed(3)) is None
    stop = second.finished(failed(2))
    assert stop is not None and stop.note == "too many failures"
    assert (tally.failed, tally.api_success) == (3, True)


def test_a_share_of_failures_stops_only_once_enough_rows_finished() -> None:
    rule = rules(max_failure_fraction=0.25)
    rule.succeeded(time.monotonic())
    outcomes = [failed(row) if row % 2 else created(row) for row in range(FRACTION_MIN_ROWS)]
    stops = [rule.finished(outcome) for outcome in outcomes]
    assert stops[:-1] == [None] * (FRACTION_MIN_ROWS - 1)
    assert stops[-1] is not None
    assert "10 of 20 rows sent failed, more than 25%" in stops[-1].reason


def test_no_answer_to_the_first_requests_stops_but_not_once_one_was_answered() -> None:
    silent = rules()
    assert silent.failed(TIMED_OUT) is None
    assert silent.failed(TIMED_OUT) is None
    stop = silent.failed(TIMED_OUT)
    assert stop is not None and stop.note == "no answer from the endpoint"
    assert "the first 3 requests of the run got none (ReadTimeoutError" in stop.reason

    answered = rules()
    assert answered.failed(error(ErrorKind.TRANSIENT, "InternalServiceException")) is None
    assert all(answered.failed(TIMED_OUT) is None for _ in range(5))


@pytest.mark.parametrize(
    ("kind", "code", "message", "note"),
    [
        (ErrorKind.ACCESS_DENIED, "AccessDeniedException", "not authorized", "access denied"),
        (
            ErrorKind.CONFIG_NOT_FOUND,
            "ResourceNotFoundException",
            "Instance 'i' not found",
            "unknown instance",
        ),
    ],
)
def test_nothing_else_can_succeed(kind: ErrorKind, code: str, message: str, note: str) -> None:
    stop = rules().failed(error(kind, code, message))
    assert stop is not None and stop.note == note
    assert "re-run: it continues where this run stopped" in stop.reason


def test_a_missing_flow_is_the_rows_problem_not_the_runs() -> None:
    message = "Contact flow 'f' not found in instance 'i'"
    assert rules().failed(error(ErrorKind.CONFIG_NOT_FOUND, "ResourceNotFound", message)) is None
    assert names_instance("Instance 'i' not found")
    assert not names_instance(message)


def test_the_active_task_quota_pauses_once_and_stops_if_the_pause_did_not_help() -> None:
    rule = rules(quota_pause=30.0)
    full = error(ErrorKind.QUOTA, "ServiceQuotaExceededException", "too many active tasks")
    assert rule.quota_refused(full, time.monotonic(), first=True) is None
    assert 29 < rule.quota.remaining() <= 30
    assert rule.quota_refused(full, 0.0, first=True) is None  # sent before the pause began
    stop = rule.quota_refused(full, time.monotonic(), first=False)
    assert stop is not None and stop.note == "active-task quota"
    assert "Paused 30 s and it was still refused" in stop.reason


def test_a_success_after_the_pause_lets_the_quota_pause_again() -> None:
    gate = QuotaGate(0.0)
    assert gate.refused(time.monotonic())
    assert not gate.refused(time.monotonic())  # paused, and nothing passed since
    gate.succeeded(time.monotonic())
    assert gate.refused(time.monotonic())


def _ticket_in_another_thread(gate: QuotaGate) -> float | None:
    answer: list[float | None] = []
    thread = threading.Thread(target=lambda: answer.append(gate.ticket()))
    thread.start()
    thread.join()
    return answer[0]


def test_after_the_pause_one_request_probes_and_the_others_wait_for_its_answer() -> None:
    gate = QuotaGate(0.0)
    assert gate.ticket() is None  # nothing refused yet: everyone sends
    assert gate.refused(time.monotonic())
    assert gate.ticket() is None  # the pause is over: this thread probes
    assert gate.ticket() is None  # and still may, for its own request
    assert _ticket_in_another_thread(gate) is not None  # the others wait
    gate.succeeded(time.monotonic())
    assert _ticket_in_another_thread(gate) is None  # the probe passed: everyone sends


def test_a_probe_not_accepted_lets_another_probe() -> None:
    gate = QuotaGate(0.0)
    gate.refused(time.monotonic())
    assert gate.ticket() is None
    assert _ticket_in_another_thread(gate) is not None
    gate.not_accepted()  # throttled, say: says nothing of the active tasks
    assert _ticket_in_another_thread(gate) is None


def test_while_paused_no_one_may_send() -> None:
    gate = QuotaGate(30.0)
    gate.refused(time.monotonic())
    wait = gate.ticket()
    assert wait is not None and 29 < wait <= 30


@pytest.mark.parametrize(
    ("request_", "refusals", "message", "per_row"),
    [
        ({"PreviousContactId": "p"}, 1, "12 tasks already have PreviousContactId 'p'", True),
        ({"PreviousContactId": "p"}, 2, "Quota exceeded", True),
        ({"PreviousContactId": "p"}, 1, "Quota exceeded", False),
        ({}, 2, "12 tasks already have PreviousContactId 'p'", False),
        (None, 1, "Quota exceeded", False),
    ],
)
def test_the_twelve_tasks_per_previous_contact_cap_is_told_from_the_instance_quota(
    request_: dict[str, str] | None, refusals: int, message: str, per_row: bool
) -> None:
    refusal = error(ErrorKind.QUOTA, "ServiceQuotaExceededException", message)
    assert per_row_quota(request_, refusals, refusal) is per_row
