"""The Summary sheet's lines: when sending ran, how fast, the settings and the retry command."""

from __future__ import annotations

import datetime as dt
import shlex

from importer.executor import RunReport
from importer.options import RunOptions
from importer.summary_sheet import retry_command, summary_pairs

REPORT = RunReport(None, False, calls=4, throttles=1, elapsed=60.0, achieved_rate=0.05)


def test_the_retry_command_repeats_the_options_that_map_rows_and_reach_connect() -> None:
    options = RunOptions(instance_id="i", mapping="m.toml", journal="j db", rate=9.0, sandbox=True)
    words = shlex.split(retry_command(options, "out/t.results.csv"))
    assert words == [
        "task-importer",
        "retry",
        "out/t.results.csv",
        "--mapping",
        "m.toml",
        "--instance-id",
        "i",
        "--journal",
        "j db",
        "--sandbox",
    ]


def test_the_settings_are_the_audit_record_s_set_ones_without_secrets_or_files() -> None:
    audit = {
        "command": "run",
        "inputs": ["t.csv"],
        "rate": 2.0,
        "results": None,
        "send_edited": False,
        "region": "eu-west-2",
        "aws_secret_access_key": "x",
        "max_failures": (None, 0.05),
    }
    finished = dt.datetime(2026, 3, 27, 12, 1, tzinfo=dt.UTC)

    pairs = dict(summary_pairs(RunOptions(audit=audit), REPORT, "t.results.csv", finished))

    assert (pairs["Started"], pairs["Finished"]) == (
        "2026-03-27T12:00:00+00:00",
        "2026-03-27T12:01:00+00:00",
    )
    assert (pairs["API calls"], pairs["Throttled calls"]) == ("4", "1")
    settings = {name: value for name, value in pairs.items() if name.startswith("Setting: ")}
    assert settings == {
        "Setting: max-failures": "0.05",
        "Setting: rate": "2.0",
        "Setting: region": "eu-west-2",
    }
    assert pairs["Retry with"] == "task-importer retry t.results.csv"
