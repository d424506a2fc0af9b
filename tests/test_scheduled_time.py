"""ScheduledTime cells: the formats read, the timezone naive times are read in, DST gaps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from spreadsheets import FLOW, INSTANCE, only_error, prepare, task_rows, write_xlsx

from importer.errors import UsageError
from importer.mapping import MappingSpec
from importer.scheduled_time import describe, local_zone, parse_scheduled_time, zone

BERLIN = MappingSpec(timezone="Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-28T10:30:00+01:00", dt.datetime(2026, 3, 28, 9, 30, tzinfo=dt.UTC)),
        ("2026-03-28T09:30:00Z", dt.datetime(2026, 3, 28, 9, 30, tzinfo=dt.UTC)),
        # naive times are read in the configured zone: CET (UTC+1) before the change...
        ("2026-03-28 09:30", dt.datetime(2026, 3, 28, 8, 30, tzinfo=dt.UTC)),
        ("2026-03-28T09:30:15", dt.datetime(2026, 3, 28, 8, 30, 15, tzinfo=dt.UTC)),
        # ...and CEST (UTC+2) after it
        ("2026-03-30 09:30", dt.datetime(2026, 3, 30, 7, 30, tzinfo=dt.UTC)),
        ("1774690200", dt.datetime(2026, 3, 28, 9, 30, tzinfo=dt.UTC)),
    ],
)
def test_scheduled_time_formats(tmp_path: Path, text: str, expected: dt.datetime) -> None:
    (row,) = task_rows(tmp_path / "t.csv", ["Name", "ScheduledTime"], ["T", text], mapping=BERLIN)
    assert row.errors == []
    assert row.request["ScheduledTime"] == int(expected.timestamp())


def test_scheduled_time_from_an_excel_date_cell(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "t.xlsx",
        [
            ["InstanceId", "ContactFlowId", "Name", "ScheduledTime"],
            [INSTANCE, FLOW, "T", dt.datetime(2026, 3, 28, 9, 30)],
        ],
    )
    _, (row,) = prepare(path, mapping=BERLIN)
    assert row.errors == []
    expected = dt.datetime(2026, 3, 28, 8, 30, tzinfo=dt.UTC)
    assert row.request["ScheduledTime"] == int(expected.timestamp())


@pytest.mark.parametrize("text", ["next tuesday", "28/03/2026 09:30", "2026-13-01 09:00", "12345"])
def test_scheduled_time_garbage_lists_the_accepted_formats(tmp_path: Path, text: str) -> None:
    (row,) = task_rows(tmp_path / "t.csv", ["Name", "ScheduledTime"], ["T", text])
    column, message = only_error(row)
    assert column == "ScheduledTime"
    assert f"'{text}'" in message
    assert "ISO 8601" in message
    assert "epoch seconds" in message


def test_scheduled_time_that_does_not_exist_on_a_dst_day(tmp_path: Path) -> None:
    # Europe/Berlin jumps from 02:00 to 03:00 on 2026-03-29: 02:30 never happens
    (row,) = task_rows(
        tmp_path / "t.csv", ["Name", "ScheduledTime"], ["T", "2026-03-29 02:30"], mapping=BERLIN
    )
    column, message = only_error(row)
    assert column == "ScheduledTime"
    assert "does not exist" in message


def test_an_unknown_timezone_says_how_to_spell_one() -> None:
    assert zone("Europe/Berlin") == zone("Europe/Berlin")
    with pytest.raises(UsageError, match="unknown timezone 'Europe/Berlinn'; use an IANA name"):
        zone("Europe/Berlinn")


def test_the_local_timezone_comes_from_tz_when_it_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", ":Asia/Tokyo")
    tz, name = local_zone()
    assert name == "Asia/Tokyo"
    assert dt.datetime(2026, 1, 1, tzinfo=tz).utcoffset() == dt.timedelta(hours=9)
    monkeypatch.setenv("TZ", "Not/AZone")
    assert local_zone()[1] != "Not/AZone"


def test_epoch_seconds_and_spaces_around_a_time() -> None:
    assert parse_scheduled_time(" 1774690200.75 ", dt.UTC) == 1774690200
    assert parse_scheduled_time("2026-03-28 09:30:00", zone("UTC")) == 1774690200
    with pytest.raises(ValueError, match="is not a date and time"):
        parse_scheduled_time("", dt.UTC)


def test_describe_names_the_instant_in_utc() -> None:
    assert describe(1774690200) == "2026-03-28 09:30 UTC"
