"""A task's SegmentAttributes: when it expires, the agent who created it, and other keys.

Columns (importer.mapping): ``ExpiryMinutes`` (``expiry_minutes`` in a mapping template),
``CreatedByUser`` and ``SegmentAttributes.<key>``. StartTaskContact's documentation gives
the two system keys' forms::

    "connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 135}}}
    "connect:CreatedByUser": {"ValueString": "arn:aws:connect:...:instance/ID/agent/ID"}

and says keys hold only letters, digits, ``-`` and ``_`` (the system keys' ``connect:``
prefix aside); lengths come from botocore's model (importer.limits). Other keys carry
``ValueString`` values. A user name in ``CreatedByUser`` stays a name in the prepared
request, so its ClientToken does not depend on a lookup; importer.outbound resolves it to
the agent's ARN just before sending (importer.agents).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from importer.limits import EXPIRY_MINUTES, limits
from importer.mapping import SEGMENT_PREFIX, MappedRow

EXPIRY_KEY = "connect:ContactExpiry"
CREATED_BY_KEY = "connect:CreatedByUser"
EXPIRY_FIELD = "ExpiryMinutes"
CREATED_BY_FIELD = "CreatedByUser"
SEGMENT_FIELDS = (EXPIRY_FIELD, CREATED_BY_FIELD)
"""Mapped fields that become segment attributes rather than request fields."""
SYSTEM_PREFIX = "connect:"
_KEY = re.compile(r"[A-Za-z0-9_-]+")
_AGENT_ARN = re.compile(
    r"arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance/([A-Za-z0-9-]+)/agent/[A-Za-z0-9-]+"
)
_USER_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,100}")
"""A user name as CreateUser documents it: up to 100 of letters, digits, ``_ - . @``."""
_WHOLE_NUMBER = re.compile(r"[0-9]+")

Error = Callable[[str, str], None]
"""Reports a problem: (the path of what is wrong, the message)."""


def segment_attributes(mapped: MappedRow, instance_id: str | None, error: Error) -> dict[str, Any]:
    """The row's SegmentAttributes (empty when it sets none); problems go to ``error``."""
    attributes: dict[str, Any] = {}
    expiry = mapped.fields.get(EXPIRY_FIELD)
    if expiry:
        minutes = _expiry_minutes(expiry, error)
        attributes[EXPIRY_KEY] = {"ValueMap": {"ExpiryDuration": {"ValueInteger": minutes}}}
    created_by = mapped.fields.get(CREATED_BY_FIELD)
    if created_by:
        _check_created_by(created_by, instance_id, error)
        attributes[CREATED_BY_KEY] = {"ValueString": created_by}
    allowed = limits().segment_value
    for key, value in mapped.segments.items():
        path = f"{SEGMENT_PREFIX}{key}"
        _check_key(key, path, error)
        if allowed.maximum is not None and len(value) > allowed.maximum:
            error(path, f"{len(value):,} characters, more than the {allowed.maximum:,} allowed")
        attributes[key] = {"ValueString": value}
    return attributes


def user_name(request: Mapping[str, Any]) -> str | None:
    """The user name a request's ``connect:CreatedByUser`` holds (None: none, or an ARN)."""
    created_by = request.get("SegmentAttributes", {}).get(CREATED_BY_KEY)
    value = created_by["ValueString"] if created_by else ""
    return value if value and not is_agent_arn(value) else None


def is_agent_arn(value: str) -> bool:
    return value.startswith("arn:")


def with_agent_arn(request: Mapping[str, Any], arn: str) -> dict[str, Any]:
    """A copy of ``request`` whose ``connect:CreatedByUser`` is ``arn``."""
    segments = {**request["SegmentAttributes"], CREATED_BY_KEY: {"ValueString": arn}}
    return {**request, "SegmentAttributes": segments}


def user_texts(segments: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The text values of the keys a column names (``SegmentAttributes.<key>``), by path."""
    return [
        (f"{SEGMENT_PREFIX}{key}", value["ValueString"])
        for key, value in segments.items()
        if not key.startswith(SYSTEM_PREFIX)
    ]


def _expiry_minutes(text: str, error: Error) -> int:
    low, high = EXPIRY_MINUTES
    bounds = f"{low} to {high:,} (a task lasts at most 7 days)"
    if not _WHOLE_NUMBER.fullmatch(text):
        error(
            EXPIRY_FIELD,
            f"'{text}' is not a whole number of minutes; write how many minutes the task stays "
            f"open before it expires, {bounds}, e.g. 1440 for one day, or leave it empty",
        )
        return 0
    minutes = int(text)
    if not low <= minutes <= high:
        error(
            EXPIRY_FIELD,
            f"{minutes:,} minutes is out of range: write {bounds}, or leave it empty",
        )
    return minutes


def _check_created_by(value: str, instance_id: str | None, error: Error) -> None:
    if not is_agent_arn(value):
        if not _USER_NAME.fullmatch(value):
            error(
                CREATED_BY_FIELD,
                f"'{value}' is neither an agent ARN (arn:aws:connect:REGION:ACCOUNT:instance/"
                "INSTANCE_ID/agent/USER_ID) nor a user name (up to 100 letters, digits, "
                "'_', '-', '.', '@'); write the agent's user name as Amazon Connect shows it, "
                "or the agent's ARN",
            )
        return
    match = _AGENT_ARN.fullmatch(value)
    if match is None:
        error(
            CREATED_BY_FIELD,
            f"'{value}' is not an agent ARN (arn:aws:connect:REGION:ACCOUNT:instance/"
            "INSTANCE_ID/agent/USER_ID); copy the ARN of the agent, or write the agent's "
            "user name",
        )
    elif instance_id and ":" not in instance_id and match.group(1) != instance_id:
        error(
            CREATED_BY_FIELD,
            f"the agent ARN names instance {match.group(1)}, but the task goes to instance "
            f"{instance_id}; name an agent of that instance",
        )


def _check_key(key: str, path: str, error: Error) -> None:
    allowed = limits().segment_key
    if key.startswith(SYSTEM_PREFIX):
        error(
            path,
            f"'{key}' is a system key: StartTaskContact documents only {EXPIRY_KEY} (set it "
            f"with an {EXPIRY_FIELD} column) and {CREATED_BY_KEY} (a {CREATED_BY_FIELD} "
            "column); rename the column",
        )
    elif not _KEY.fullmatch(key):
        error(
            path,
            f"segment attribute key '{key}' may hold only letters, digits, '-' and '_'; "
            "rename the column",
        )
    elif allowed.maximum is not None and len(key) > allowed.maximum:
        error(path, f"the key has {len(key)} characters, more than the {allowed.maximum} allowed")
