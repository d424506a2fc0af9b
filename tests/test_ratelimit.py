"""The shared rate limiter: token bucket pacing and adaptation to throttling, on a fake clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from importer.ratelimit import (
    BETA,
    CALLS_TO_RECOVER,
    MEASURED_DIP,
    Aimd,
    Cubic,
    RateLimiter,
    make_controller,
)


class FakeClock:
    """A clock that only moves when someone sleeps; thread-safe."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def limiter(rate: float = 2.0, burst: int = 5, **kwargs: object) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(rate, burst, clock=clock, sleep=clock.sleep, **kwargs), clock


def take(bucket: RateLimiter, n: int) -> list[float]:
    times = [bucket.acquire() for _ in range(n)]
    assert None not in times
    return times  # type: ignore[return-value]


def test_burst_goes_at_once_then_paces_at_the_rate() -> None:
    bucket, clock = limiter(rate=2.0, burst=5)
    start = clock()
    times = take(bucket, 10)
    burst = bucket.capacity
    assert burst == 4
    assert times[:burst] == [start] * burst
    gaps = [b - a for a, b in zip(times[burst:], times[burst + 1 :], strict=False)]
    assert all(gap == pytest.approx(0.5) for gap in gaps)


def test_one_token_of_the_burst_is_held_back_but_never_below_one() -> None:
    assert limiter(burst=5)[0].capacity == 4
    assert limiter(burst=1)[0].capacity == 1


def test_idle_bucket_refills_only_up_to_its_capacity() -> None:
    bucket, clock = limiter(rate=2.0, burst=5)
    take(bucket, 4)
    clock.sleep(60)
    start = clock()
    times = take(bucket, 6)
    assert times[:4] == [start] * 4
    assert times[4] == pytest.approx(start + 0.5)


def test_rate_never_exceeds_the_ceiling() -> None:
    bucket, clock = limiter(rate=2.0)
    for sent in take(bucket, 50):
        bucket.succeeded(sent)
    assert bucket.rate == 2.0
    sent = bucket.acquire()
    assert sent is not None
    bucket.throttled(sent)
    for _ in range(200):
        clock.sleep(1)
        bucket.succeeded(clock())
    assert bucket.rate == 2.0


@pytest.mark.parametrize("algorithm", ["cubic", "aimd"])
def test_throttle_cuts_the_rate_by_beta_and_empties_the_bucket(algorithm: str) -> None:
    bucket, clock = limiter(rate=10.0, controller=make_controller(algorithm))  # type: ignore[arg-type]
    sent = take(bucket, 20)[-1]
    bucket.throttled(sent)
    assert bucket.rate == pytest.approx(10.0 * BETA)
    assert bucket.cuts == 1
    before = clock()
    after = bucket.acquire()
    assert after == pytest.approx(before + 1 / (10.0 * BETA))


def test_answers_to_requests_sent_before_the_cut_do_not_cut_again() -> None:
    bucket, _ = limiter(rate=10.0, burst=10)
    in_flight = take(bucket, 9)
    bucket.throttled(in_flight[0])
    for sent in in_flight[1:]:
        bucket.throttled(sent)
    assert bucket.cuts == 1
    assert bucket.rate == pytest.approx(7.0)
    later = bucket.acquire()
    assert later is not None
    bucket.throttled(later)
    assert bucket.cuts == 2
    assert bucket.rate == pytest.approx(7.0 * BETA)


def test_cut_is_from_the_rate_really_sent_at_when_below_the_ceiling() -> None:
    bucket, clock = limiter(rate=10.0, burst=2)
    sent = None
    for _ in range(20):
        clock.sleep(1.0)
        sent = bucket.acquire()
    assert sent is not None
    bucket.throttled(sent)
    assert bucket.rate == pytest.approx(1.0 * BETA)


def test_after_a_second_of_accepted_requests_a_throttle_restarts_just_under_their_rate() -> None:
    bucket, clock = limiter(rate=100.0, burst=2)
    sent = None
    for _ in range(60):  # three seconds at 20/s, every one accepted
        clock.sleep(0.05)
        sent = bucket.acquire()
        assert sent is not None
        bucket.succeeded(sent)
    clock.sleep(0.05)
    throttled = bucket.acquire()
    assert throttled is not None
    bucket.throttled(throttled)
    assert bucket.rate == pytest.approx(20.0 * MEASURED_DIP, rel=0.06)
    clock.now = throttled + 2 * CALLS_TO_RECOVER / 20.0
    bucket.succeeded(clock())
    assert 20.0 <= bucket.rate < 100.0  # back to the measured rate, not the ceiling


def test_in_the_first_second_a_throttle_restarts_at_no_more_than_a_second_of_accepted() -> None:
    bucket, _ = limiter(rate=80.0, burst=5)
    for sent in take(bucket, 5):
        bucket.succeeded(sent)
    throttled = take(bucket, 1)[0]
    bucket.throttled(throttled)
    assert bucket.rate == pytest.approx(5.0)  # not 0.7 x 80


def test_repeated_throttles_stop_at_the_floor() -> None:
    bucket, _ = limiter(rate=2.0)
    for _ in range(40):
        sent = bucket.acquire()
        assert sent is not None
        bucket.throttled(sent)
    assert bucket.rate == pytest.approx(bucket.floor)
    assert bucket.floor > 0


def test_cubic_climbs_back_concavely_to_the_last_throttled_rate() -> None:
    bucket, clock = limiter(rate=100.0, controller=Cubic())
    sent = take(bucket, 30)[-1]
    bucket.throttled(sent)
    w_max = 100.0
    k = CALLS_TO_RECOVER / w_max
    rates = {}
    for fraction in (0.25, 0.5, 1.0, 1.5):
        clock.now = sent + fraction * k
        bucket.succeeded(clock())
        rates[fraction] = bucket.rate
    assert rates[0.25] > w_max * BETA
    assert rates[0.5] > w_max * (1 + BETA) / 2  # concave: above the straight line
    assert rates[1.0] == pytest.approx(w_max)
    assert rates[1.5] == pytest.approx(w_max)  # capped at the ceiling


def test_cubic_probes_above_the_last_throttled_rate_below_the_ceiling() -> None:
    bucket, clock = limiter(rate=400.0, controller=Cubic())
    for _ in range(16):
        clock.sleep(0.01)
        sent = bucket.acquire()
    assert sent is not None
    bucket.throttled(sent)
    measured = 100.0
    assert bucket.rate == pytest.approx(measured * BETA, rel=0.01)
    k = CALLS_TO_RECOVER / measured
    clock.now = sent + 2.5 * k
    bucket.succeeded(clock())
    assert measured * 1.1 < bucket.rate < 400.0


def test_aimd_climbs_back_linearly() -> None:
    bucket, clock = limiter(rate=100.0, controller=Aimd())
    sent = take(bucket, 30)[-1]
    bucket.throttled(sent)
    k = CALLS_TO_RECOVER / 100.0
    clock.now = sent + k / 2
    bucket.succeeded(clock())
    assert bucket.rate == pytest.approx(100.0 * (1 + BETA) / 2)
    clock.now = sent + k
    bucket.succeeded(clock())
    assert bucket.rate == pytest.approx(100.0)


def test_recovery_takes_the_same_number_of_calls_at_any_rate() -> None:
    recovered_after = []
    for rate in (2.0, 200.0):
        bucket, clock = limiter(rate=rate)
        sent = take(bucket, 30)[-1]
        bucket.throttled(sent)
        calls = 0
        while bucket.rate < rate * 0.99:
            clock.sleep(1 / bucket.rate)
            bucket.succeeded(clock())
            calls += 1
        recovered_after.append(calls)
    assert recovered_after[0] == pytest.approx(recovered_after[1], rel=0.1)


def test_not_adaptive_holds_the_rate() -> None:
    bucket, _ = limiter(rate=2.0, adaptive=False)
    sent = take(bucket, 5)[-1]
    bucket.throttled(sent)
    assert bucket.rate == 2.0
    assert bucket.cuts == 0


def test_acquire_returns_none_when_cancelled() -> None:
    bucket, _ = limiter(rate=1.0, burst=2)
    take(bucket, 1)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    assert bucket.acquire(cancelled) is None


def test_threads_sharing_the_bucket_never_exceed_it() -> None:
    bucket, clock = limiter(rate=50.0, burst=5)
    start = clock()
    granted: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            sent = bucket.acquire()
            assert sent is not None
            with lock:
                granted.append(sent)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    granted.sort()
    assert len(granted) == 400
    for index, sent in enumerate(granted):
        assert index + 1 <= bucket.capacity + 50.0 * (sent - start) + 1e-6


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(0, 5)
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(2, 0)
    with pytest.raises(ValueError, match="algorithm"):
        make_controller("vegas")  # type: ignore[arg-type]


def _until(condition: Callable[[], bool]) -> None:
    """Wait (in real time) until another thread has made ``condition`` true."""
    while not condition():
        time.sleep(0.001)


def test_only_the_first_waiter_watches_the_clock() -> None:
    clock = FakeClock()  # never moves: no token comes while the naps are watched
    nappers: list[int] = []

    def nap(_seconds: float) -> None:
        nappers.append(threading.get_ident())
        time.sleep(0.001)

    bucket = RateLimiter(1.0, 2, clock=clock, sleep=nap)
    take(bucket, 1)
    stop = threading.Event()
    threads = [threading.Thread(target=bucket.acquire, args=(stop.is_set,)) for _ in range(20)]
    for thread in threads:
        thread.start()
    _until(lambda: bucket.waiting() == len(threads))
    nappers.clear()
    _until(lambda: len(nappers) >= 40)
    stop.set()
    bucket.wake_all()
    for thread in threads:
        thread.join()
    assert len(set(nappers[:40])) == 1  # one thread wakes per token, not every waiter


def test_waiters_are_served_in_arrival_order() -> None:
    clock = FakeClock()  # moves only when this test moves it
    bucket = RateLimiter(1.0, 2, clock=clock, sleep=lambda _seconds: time.sleep(0.001))
    take(bucket, 1)
    served: list[int] = []

    def worker(index: int) -> None:
        assert bucket.acquire() is not None
        served.append(index)

    threads = []
    for index in range(5):
        threads.append(threading.Thread(target=worker, args=(index,)))
        threads[-1].start()
        _until(lambda n=index + 1: bucket.waiting() == n)
    for count in range(1, len(threads) + 1):
        clock.sleep(1.0)  # one more token
        _until(lambda n=count: len(served) == n)
    for thread in threads:
        thread.join()
    assert served == list(range(5))


def test_wake_all_lets_every_cancelled_waiter_return_none() -> None:
    clock = FakeClock()  # never moves: no token comes
    bucket = RateLimiter(1.0, 2, clock=clock, sleep=time.sleep)
    take(bucket, 1)
    stop = threading.Event()
    answers: list[float | None] = []

    def worker() -> None:
        answers.append(bucket.acquire(stop.is_set))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    _until(lambda: bucket.waiting() == len(threads))
    stop.set()
    bucket.wake_all()
    for thread in threads:
        thread.join()
    assert answers == [None] * 6
    assert bucket.waiting() == 0
