"""Parse ScheduledTime cells into an absolute instant (epoch seconds, what goes on the wire)."""

from __future__ import annotations

import datetime as dt
import os
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzlocal

from importer.errors import UsageError

_EPOCH = re.compile(r"\d{9,11}(\.\d+)?")
_NAIVE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")

ACCEPTED = (
    "ISO 8601 with an offset (2026-12-01T09:30:00+01:00), "
    "'YYYY-MM-DD HH:MM[:SS]' in the configured timezone, an Excel date cell, "
    "or epoch seconds"
)


def zone(name: str) -> dt.tzinfo:
    """The IANA timezone called name, or a UsageError saying how to spell one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UsageError(
            f"unknown timezone '{name}'; use an IANA name such as 'Europe/London' or 'UTC'"
        ) from error


def local_zone() -> tuple[dt.tzinfo, str]:
    """The machine's local timezone and its IANA name: ``TZ`` when it names one, else the
    OS's setting as tzlocal finds it (/etc/localtime and the like on Linux and macOS, the
    registry on Windows, its zone names mapped to IANA ones); else this moment's offset."""
    for lookup in (_tz_variable, _os_zone_name):  # TZ first: tzlocal keeps its first answer
        name = lookup()
        if name:
            try:
                return ZoneInfo(name), name
            except (ZoneInfoNotFoundError, ValueError):
                continue
    fixed = dt.datetime.now().astimezone().tzinfo
    assert fixed is not None
    return fixed, str(fixed)


def _tz_variable() -> str:
    return os.environ.get("TZ", "").lstrip(":")


def _os_zone_name() -> str | None:
    """The IANA name of the zone the OS is set to, or None where it cannot be told."""
    try:
        return tzlocal.get_localzone_name()
    except (LookupError, OSError, ValueError):  # ZoneInfoNotFoundError is a LookupError
        return None


def parse_scheduled_time(text: str, tz: dt.tzinfo) -> int:
    """Epoch seconds for a ScheduledTime cell; ValueError with a readable reason otherwise."""
    text = text.strip()
    if _EPOCH.fullmatch(text):
        return int(float(text))
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
        for pattern in _NAIVE_FORMATS:
            try:
                moment = dt.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if moment is None:
            raise ValueError(f"'{text}' is not a date and time; use {ACCEPTED}") from None
    if moment.tzinfo is None:
        moment = _localize(moment, tz)
    return int(moment.timestamp())


def _localize(naive: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    aware = naive.replace(tzinfo=tz)
    if aware.utcoffset() == naive.replace(tzinfo=tz, fold=1).utcoffset():
        return aware  # one offset whatever the fold: not in a gap (nor an overlap)
    round_trip = aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        raise ValueError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {tz} (clocks change that day); "
            "pick another time or give an explicit offset"
        )
    return aware


def describe(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
