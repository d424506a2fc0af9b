"""The retry policy the executor and preflight share: how often, and how long between."""

from __future__ import annotations

import pytest
from tenacity import RetryCallState

from importer.retry_policy import RetryPolicy


class Flaky:
    """Fails with ``errors`` in turn, then answers "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_a_call_is_tried_again_until_it_succeeds_with_doubling_pauses() -> None:
    pauses: list[float] = []
    call = Flaky(*(TimeoutError() for _ in range(4)))
    retrying = RetryPolicy(5, 1.0, jitter=False).retrying(
        lambda error: isinstance(error, TimeoutError), sleep=pauses.append
    )
    assert retrying(call) == "done"
    assert call.calls == 5
    assert pauses == [1.0, 2.0, 4.0, 8.0]


def test_the_last_error_is_raised_as_it_is_once_the_attempts_are_spent() -> None:
    pauses: list[float] = []
    last = TimeoutError("the third")
    call = Flaky(TimeoutError(), TimeoutError(), last, TimeoutError())
    retrying = RetryPolicy(3, 0.5, backoff_max=0.75, jitter=False).retrying(
        lambda error: isinstance(error, TimeoutError), sleep=pauses.append
    )
    with pytest.raises(TimeoutError) as raised:
        retrying(call)
    assert raised.value is last
    assert (call.calls, pauses) == (3, [0.5, 0.75])


def test_an_error_retry_if_refuses_is_raised_at_once() -> None:
    pauses: list[float] = []
    call = Flaky(ValueError("a bug"))
    retrying = RetryPolicy(5, 1.0).retrying(
        lambda error: isinstance(error, TimeoutError), sleep=pauses.append
    )
    with pytest.raises(ValueError, match="a bug"):
        retrying(call)
    assert (call.calls, pauses) == (1, [])


def test_jitter_waits_any_time_up_to_the_doubling_cap() -> None:
    pauses: list[float] = []
    retrying = RetryPolicy(40, 0.25, backoff_max=2.0).retrying(lambda _: True, sleep=pauses.append)
    retrying(Flaky(*(TimeoutError() for _ in range(39))))
    caps = [min(2.0, 0.25 * 2**n) for n in range(39)]
    assert all(0 <= pause <= cap for pause, cap in zip(pauses, caps, strict=True))
    assert len(set(pauses)) > 1


def test_a_wait_of_the_callers_own_replaces_the_backoff() -> None:
    pauses: list[float] = []

    def wait(state: RetryCallState) -> float:
        return 10.0 * state.attempt_number

    retrying = RetryPolicy(3, 1.0).retrying(lambda _: True, wait=wait, sleep=pauses.append)
    retrying(Flaky(TimeoutError(), TimeoutError()))
    assert pauses == [10.0, 20.0]
