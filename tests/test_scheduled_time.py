"""ScheduledTime cells: the formats read, the timezone naive times are read in, DST gaps."""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

import pytest
import tzlocal
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


def _registry(values: dict[str, Any]) -> types.SimpleNamespace:
    """A stand-in for Windows' ``winreg`` whose one key holds ``values``."""

    class Key:
        def Close(self) -> None:
            pass

    items = list(values.items())
    return types.SimpleNamespace(
        HKEY_LOCAL_MACHINE="HKLM",
        ConnectRegistry=lambda machine, hive: hive,
        OpenKey=lambda handle, name: Key(),
        QueryInfoKey=lambda key: (0, len(items), 0),
        EnumValue=lambda key, index: (*items[index], 1),
    )


@pytest.fixture
def windows_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """tzlocal's Windows code, reading a registry set to Windows' zone for Berlin."""
    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setitem(sys.modules, "_winreg", None)
    registry = {"TimeZoneKeyName": "W. Europe Standard Time\x00\x00", "Bias": -60}
    monkeypatch.setitem(sys.modules, "winreg", _registry(registry))
    win32 = importlib.import_module("tzlocal.win32")
    monkeypatch.setattr(tzlocal, "get_localzone_name", win32.get_localzone_name)
    try:
        yield
    finally:
        sys.modules.pop("tzlocal.win32", None)


@pytest.mark.usefixtures("windows_zone")
def test_on_windows_the_local_timezone_is_the_iana_zone_of_windows_setting() -> None:
    tz, name = local_zone()

    assert name == "Europe/Berlin"
    assert parse_scheduled_time("2026-07-01 09:00", tz) == parse_scheduled_time(
        "2026-07-01T09:00:00+02:00", dt.UTC
    )
    assert parse_scheduled_time("2026-01-05 09:00", tz) == parse_scheduled_time(
        "2026-01-05T09:00:00+01:00", dt.UTC
    )


def test_tz_wins_over_the_os_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Europe/Berlin")
    monkeypatch.setenv("TZ", "America/Chicago")

    assert local_zone()[1] == "America/Chicago"


@pytest.mark.parametrize(
    "answer",
    [ZoneInfoNotFoundError("Mid-Atlantic Standard Time"), LookupError("no setting"), None],
    ids=["an unknown windows zone", "no setting", "no name"],
)
def test_without_a_zone_name_the_local_timezone_is_this_moments_offset(
    monkeypatch: pytest.MonkeyPatch, answer: Exception | None
) -> None:
    def os_zone() -> str | None:
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(tzlocal, "get_localzone_name", os_zone)

    tz, name = local_zone()

    now = dt.datetime.now().astimezone()
    assert tz.utcoffset(now) == now.utcoffset()
    assert name == str(tz)


def test_epoch_seconds_and_spaces_around_a_time() -> None:
    assert parse_scheduled_time(" 1774690200.75 ", dt.UTC) == 1774690200
    assert parse_scheduled_time("2026-03-28 09:30:00", zone("UTC")) == 1774690200
    with pytest.raises(ValueError, match="is not a date and time"):
        parse_scheduled_time("", dt.UTC)


def test_describe_names_the_instant_in_utc() -> None:
    assert describe(1774690200) == "2026-03-28 09:30 UTC"
