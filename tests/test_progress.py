"""Progress: a bar on a terminal, a line every so often in a log, and no customer data."""

from __future__ import annotations

import io
import logging

import pytest

from importer.model import Outcome, Status
from importer.progress import BarProgress, LogProgress, NullProgress, make_progress


def test_progress_modes(caplog: pytest.LogCaptureFixture) -> None:
    outcome = Outcome(2, Status.CREATED, "t", {"Name": "secret name"}, contact_id="c", attempts=1)
    assert isinstance(make_progress("none"), NullProgress)
    assert isinstance(make_progress("auto", stream=io.StringIO()), LogProgress)
    stream = io.StringIO()
    bar = make_progress("bar", total=3, stream=stream)
    assert isinstance(bar, BarProgress)
    bar.update(outcome, 1.5)
    bar.close()
    assert (
        "created 1, already_created 0, invalid 0, failed 0, not_attempted 0, 1 API call"
        in stream.getvalue()
    )
    with caplog.at_level(logging.INFO, logger="importer.progress"):
        ticks = iter([0.0, 0.0, 10.0, 31.0, 31.0, 32.0, 32.0])
        lines = LogProgress(total=3, interval=30.0, clock=lambda: next(ticks))
        lines.update(outcome, 2.0)
        lines.update(outcome, 2.0)
        lines.close()
    assert [r.getMessage() for r in caplog.records] == [
        "progress: 2 of 3 rows done "
        "(created 2, already_created 0, invalid 0, failed 0, not_attempted 0, 2 API calls, "
        "rate 2.00/s)"
    ] * 2
    assert "secret" not in caplog.text + stream.getvalue()
    with pytest.raises(ValueError, match="progress mode"):
        make_progress("fancy")  # type: ignore[arg-type]


def test_a_run_of_a_few_seconds_shows_its_api_calls_but_no_rate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outcome = Outcome(2, Status.CREATED, "t", {}, contact_id="c", attempts=3)
    seconds = iter([0.0, 0.0, 0.1, 0.1, 4.9, 4.9, 5.0, 5.0])
    with caplog.at_level(logging.INFO, logger="importer.progress"):
        lines = LogProgress(total=3, interval=0.0, clock=lambda: next(seconds))
        for _ in range(3):
            lines.update(outcome, 138.0)
    assert [r.getMessage().rpartition(" 0, ")[2] for r in caplog.records] == [
        "3 API calls)",
        "6 API calls)",
        "9 API calls, rate 138.00/s)",
    ], "the rate only once sending has lasted 5 s"


def test_rows_settled_before_sending_count_from_the_start_as_the_figures_count_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done = {Status.ALREADY_CREATED: 40, Status.INVALID: 2}
    stream = io.StringIO()
    bar = make_progress("bar", total=45, stream=stream, done=done)
    bar.update(Outcome(44, Status.NOT_ATTEMPTED, "t", {}), 2.0)
    bar.close()
    assert "43/45" in stream.getvalue()
    assert "created 0, already_created 40, invalid 2, failed 0, not_attempted 1" in (
        stream.getvalue()
    )
    with caplog.at_level(logging.INFO, logger="importer.progress"):
        make_progress("log", total=45, done=done).close()
    assert caplog.records[-1].getMessage() == (
        "progress: 42 of 45 rows done "
        "(created 0, already_created 40, invalid 2, failed 0, not_attempted 0, 0 API calls)"
    )
