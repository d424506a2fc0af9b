"""Check a mapped row against every StartTaskContact rule and build the request from it.

Each failure is a RowError naming the column it came from and how to fix it. Lengths come from
botocore's Connect model (importer.limits); the other rules from the service documentation.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from collections.abc import Iterable
from itertools import chain
from typing import Any
from urllib.parse import urlparse

from importer.attachments import attachment_list
from importer.limits import (
    ATTRIBUTES_MAX_BYTES,
    CREATION_REFERENCE_TYPES,
    REFERENCES_MAX_BYTES,
    ROUTING_FIELDS,
    SCHEDULE_MAX_DAYS,
    Length,
    limits,
)
from importer.mapping import ATTRIBUTE_PREFIX, REFERENCE_PREFIX, MappedRow
from importer.model import RowError
from importer.scheduled_time import describe, parse_scheduled_time
from importer.segments import SEGMENT_FIELDS, segment_attributes, user_texts

_ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# An http(s) URL whose host is plain printable ASCII (no '[', ']') and which has no space:
# urllib.parse accepts every such value, so only the others need parsing.
_PLAIN_WEB_URL = re.compile(r"https?://[!-\"$-.0->@-Z\\^-~]+(?:[/?#][^ ]*)?", re.ASCII | re.I)
_UTF8_MAX_BYTES_PER_CHAR = 4  # so text of n characters is at most 4n bytes
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters other than tab, LF and CR: invisible, and no part of a task's text."""
_REQUIRED = ("InstanceId", "Name")
_HINTS = {
    "InstanceId": "add an InstanceId column or pass --instance-id",
    "Name": "give every row a Name (the task title agents see)",
}


class RowValidator:
    """Validates mapped rows against the rules at one moment (for the scheduling window)."""

    def __init__(self, tz: dt.tzinfo, now: dt.datetime | None = None) -> None:
        self.tz = tz
        self.now = now or dt.datetime.now(dt.UTC)
        self.limits = limits()
        self._field_lengths = {  # build() checks these first: never the fields it treats apart
            name: _allowed(length)
            for name, length in self.limits.fields.items()
            if name != "ScheduledTime" and name not in SEGMENT_FIELDS
        }
        self._now = int(self.now.timestamp())
        self._latest = self._now + SCHEDULE_MAX_DAYS * 86_400
        self._attribute_value = _allowed(self.limits.attribute_value)
        self._reference_name = _allowed(self.limits.reference_name)
        self._reference_value = _allowed(self.limits.reference_value)

    def build(self, mapped: MappedRow) -> tuple[dict[str, Any], list[RowError]]:
        """The request keyword arguments (without ClientToken) and the row's errors."""
        errors: list[RowError] = []
        request: dict[str, Any] = {}

        def error(path: str, message: str) -> None:
            column = mapped.where(path)
            named_after_field = column.casefold().startswith(path.split(".")[0].casefold())
            errors.append(RowError(column, message if named_after_field else f"{path}: {message}"))

        fields = mapped.fields
        for name in _REQUIRED:
            if not fields.get(name):
                errors.append(RowError(name, f"{name} is required; {_HINTS[name]}"))
        lengths = self._field_lengths
        for name, text in fields.items():
            allowed = lengths.get(name)
            if allowed is not None:  # a field the model gives lengths for: the common case
                if len(text) not in allowed:
                    _length_error(name, text, allowed, error)
                request[name] = text
            elif name == "ScheduledTime":
                self._scheduled_time(text, request, error)
            elif name not in SEGMENT_FIELDS:
                request[name] = text
        routing = [name for name in ROUTING_FIELDS if name in fields]
        if not routing:
            errors.append(
                RowError(
                    "ContactFlowId",
                    "no ContactFlowId, QuickConnectId or TaskTemplateId; fill one of these "
                    "columns or pass --contact-flow-id",
                )
            )
        elif len(routing) > 1:
            where = ", ".join(f"{name} ({mapped.where(name)})" for name in routing)
            errors.append(
                RowError(
                    mapped.where(routing[1]),
                    f"give exactly one of ContactFlowId, QuickConnectId, TaskTemplateId; "
                    f"this row has {where}: clear all but one",
                )
            )
        if mapped.attributes:
            request["Attributes"] = self._attributes(mapped.attributes, error)
        if mapped.references:
            request["References"] = self._references(mapped.references, error)
        # most rows set no segment attribute and no attachment: no call for them
        segmented = mapped.segments or not fields.keys().isdisjoint(SEGMENT_FIELDS)
        if segmented and (segments := segment_attributes(mapped, fields.get("InstanceId"), error)):
            request["SegmentAttributes"] = segments
        if mapped.attachments and (attachments := attachment_list(mapped, error)):
            request["Attachments"] = attachments
        _check_characters(request, mapped, errors)
        return request, errors

    def _scheduled_time(self, text: str, request: dict[str, Any], error: Any) -> None:
        try:
            epoch = parse_scheduled_time(text, self.tz)
        except ValueError as problem:
            error("ScheduledTime", str(problem))
            return
        now, latest = self._now, self._latest
        # Kept even when out of the window: the row's token then stays the one it was sent
        # with while its time was ahead, so a re-run finds its task once the time has passed.
        request["ScheduledTime"] = epoch
        if epoch < now:
            error(
                "ScheduledTime",
                f"'{text}' ({describe(epoch)}) is in the past (now {describe(now)}); "
                "use a future time or leave it empty to start the task at once",
            )
        elif epoch > latest:
            error(
                "ScheduledTime",
                f"'{text}' ({describe(epoch)}) is more than {SCHEDULE_MAX_DAYS} days ahead "
                f"(latest allowed {describe(latest)})",
            )

    def _attributes(self, attributes: dict[str, str], error: Any) -> dict[str, str]:
        characters = 0
        allowed = self._attribute_value
        for key, value in attributes.items():
            if not _attribute_key_ok(key):
                error(
                    f"{ATTRIBUTE_PREFIX}{key}",
                    f"attribute key '{key}' may hold only letters, digits, '-' and '_'; "
                    "rename the column",
                )
            if len(value) not in allowed:
                _length_error(f"{ATTRIBUTE_PREFIX}{key}", value, allowed, error)
            characters += len(key) + len(value)
        if characters * _UTF8_MAX_BYTES_PER_CHAR > ATTRIBUTES_MAX_BYTES:  # else they fit
            _check_attributes_bytes(attributes, error)
        return dict(attributes)

    def _references(
        self, references: dict[str, tuple[str, str]], error: Any
    ) -> dict[str, dict[str, str]]:
        characters = 0
        built: dict[str, dict[str, str]] = {}
        for name, (kind, value) in references.items():
            path = f"{REFERENCE_PREFIX}{name}"
            if kind == "URL" and _PLAIN_WEB_URL.fullmatch(value) is not None:
                pass  # the common case, as is_web_url's first test
            elif kind not in CREATION_REFERENCE_TYPES:
                error(
                    path,
                    f"reference type '{kind}' cannot be set when a task is created; use one "
                    f"of {', '.join(CREATION_REFERENCE_TYPES)}",
                )
            elif kind == "URL" and not is_web_url(value):
                error(path, "is not an http:// or https:// URL; write the whole web address")
            if len(name) not in self._reference_name:
                _length_error(path, name, self._reference_name, error)
            if len(value) not in self._reference_value:
                _length_error(path, value, self._reference_value, error)
            characters += len(name) + len(value)
            built[name] = {"Type": kind, "Value": value}
        if characters * _UTF8_MAX_BYTES_PER_CHAR > REFERENCES_MAX_BYTES:  # else they fit
            _check_references_bytes(references, error)
        return built


@functools.lru_cache(maxsize=4096)
def _attribute_key_ok(key: str) -> bool:
    """Whether an attribute key is well formed (keys are columns: the same on every row)."""
    return _ATTRIBUTE_KEY.fullmatch(key) is not None


def _allowed(length: Length) -> range:
    """The allowed numbers of characters (``len(text) in allowed`` is one quick test)."""
    maximum = sys.maxsize if length.maximum is None else length.maximum
    return range(length.minimum or 0, maximum + 1)


def _length_error(path: str, text: str, allowed: range, error: Any) -> None:
    if len(text) >= allowed.stop:
        error(path, f"{len(text):,} characters, more than the {allowed.stop - 1:,} allowed")
    else:
        error(path, f"must be at least {allowed.start} characters")


def _check_attributes_bytes(attributes: dict[str, str], error: Any) -> None:
    size = sum(_utf8_len(key) + _utf8_len(value) for key, value in attributes.items())
    if size > ATTRIBUTES_MAX_BYTES:
        error(
            f"{ATTRIBUTE_PREFIX}{next(iter(attributes))}",
            f"attributes total {size:,} UTF-8 bytes (keys and values), more than the "
            f"{ATTRIBUTES_MAX_BYTES:,} allowed per task; shorten or drop some attributes",
        )


def _check_references_bytes(references: dict[str, tuple[str, str]], error: Any) -> None:
    size = sum(_utf8_len(name) + _utf8_len(value) for name, (_, value) in references.items())
    if size > REFERENCES_MAX_BYTES:
        error(
            f"{REFERENCE_PREFIX}{next(iter(references))}",
            f"references total {size:,} UTF-8 bytes, more than the about "
            f"{REFERENCES_MAX_BYTES:,} allowed per task; shorten them",
        )


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))


def is_web_url(value: str) -> bool:
    """An http:// or https:// URL with a host and no space, as urllib.parse reads it."""
    return _PLAIN_WEB_URL.fullmatch(value) is not None or _parses_as_web_url(value)


def _parses_as_web_url(value: str) -> bool:
    try:
        parsed = urlparse(value)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and " " not in value


def _check_characters(request: dict[str, Any], mapped: MappedRow, errors: list[RowError]) -> None:
    """Flag text that cannot travel as UTF-8 JSON (lone surrogates from a damaged file), and
    control characters (NUL, BEL, ...; tab, CR and LF are text), which a cell does not show,
    so they come unseen with text pasted from another program."""
    row_text = "".join(_mapped_texts(mapped))
    if _encodes([row_text]) and not _CONTROL.search(row_text):  # the usual case
        return
    for path, text in _texts(request):
        if not _encodes([text]):
            message = "contains characters that are not valid Unicode text (a damaged file?)"
        elif found := _CONTROL.search(text):
            message = (
                f"holds an invisible control character (U+{ord(found.group()):04X}, character "
                f"{found.start() + 1} of the text), which a task cannot carry; it comes with "
                "text pasted from another program"
            )
        else:
            continue
        errors.append(RowError(mapped.where(path), f"{message}: retype the cell"))


def _encodes(texts: Iterable[str]) -> bool:
    """Whether the texts encode as UTF-8 (only lone surrogates fail)."""
    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _mapped_texts(mapped: MappedRow) -> Iterable[str]:
    """All the mapped row's text: more than the request holds (reference types, any time)."""
    references = mapped.references
    return chain(
        mapped.fields.values(),
        mapped.attributes,
        mapped.attributes.values(),
        references,
        chain.from_iterable(references.values()),
        mapped.segments.values(),
    )


def _texts(request: dict[str, Any]) -> list[tuple[str, str]]:
    """Every text of the request by its path: fields, and attribute and reference names and
    values."""
    texts: list[tuple[str, str]] = []
    for name, value in request.items():
        if isinstance(value, str):
            texts.append((name, value))
        elif name == "Attributes":
            for key, text in value.items():
                texts += [(f"{ATTRIBUTE_PREFIX}{key}", key), (f"{ATTRIBUTE_PREFIX}{key}", text)]
        elif name == "References":
            for key, reference in value.items():
                path = f"{REFERENCE_PREFIX}{key}"
                texts += [(path, key), (path, reference["Value"])]
        elif name == "SegmentAttributes":
            texts += user_texts(value)
    return texts
