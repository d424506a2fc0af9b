"""The library says nothing unless given a reporter; LogReporter says it to a logger."""

from __future__ import annotations

import logging

import pytest

from importer.progress import NullProgress
from importer.reporter import LogReporter, Reporter


def test_the_default_reporter_is_silent(caplog: pytest.LogCaptureFixture) -> None:
    reporter = Reporter()
    with caplog.at_level(logging.DEBUG):
        reporter.info("a")
        reporter.warning("b")
        reporter.error("c")
        reporter.row_token(2, "t")
    assert caplog.records == []
    assert isinstance(reporter.progress(10), NullProgress)


def test_a_log_reporter_logs_each_message_at_its_level(caplog: pytest.LogCaptureFixture) -> None:
    reporter = LogReporter()
    with caplog.at_level(logging.INFO, logger="importer"):
        reporter.info("a")
        reporter.warning("b")
        reporter.error("c")
    assert [(r.name, r.levelname, r.message) for r in caplog.records] == [
        ("importer", "INFO", "a"),
        ("importer", "WARNING", "b"),
        ("importer", "ERROR", "c"),
    ]
