"""The StartTaskContact rules the emulated service enforces, independently of the importer.

Breaking the API model (a type, a required member, a length read from the Connect model in
the installed botocore) answers InvalidParameterException, and so does a control character
other than tab, LF and CR in a text: the service documents no rule for them, so the
emulator takes the strict side and a request carrying one (the importer never sends one)
fails in tests. Breaking a documented service rule (routing, scheduling window, attribute
keys and size, reference types and size) answers InvalidRequestException; an unknown
instance, flow, quick connect or template answers ResourceNotFoundException.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session

from importer.sandbox.config import SandboxConfig
from importer.sandbox.errors import invalid_parameter, invalid_request, not_found

ROUTING_FIELDS = ("ContactFlowId", "QuickConnectId", "TaskTemplateId")
CREATION_REFERENCE_TYPES = ("URL", "NUMBER", "STRING", "DATE", "EMAIL")
ATTRIBUTES_MAX_BYTES = 32_768
REFERENCES_MAX_BYTES = 4_096
SCHEDULE_MAX_AHEAD_S = 6 * 86_400
SCHEDULE_PAST_GRACE_S = 60
_ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Length:
    minimum: int | None
    maximum: int | None


@dataclass(frozen=True)
class RequestModel:
    """The StartTaskContact input shape as the installed botocore models it."""

    required: tuple[str, ...]
    strings: dict[str, Length]
    attribute_key: Length
    attribute_value: Length
    reference_name: Length
    reference_value: Length
    reference_types: tuple[str, ...]
    attachments: Length


def _length(shape: Any) -> Length:
    return Length(shape.metadata.get("min"), shape.metadata.get("max"))


@functools.cache
def request_model() -> RequestModel:
    """Read the StartTaskContact input shape from botocore's Connect model (once)."""
    service = botocore.session.get_session().get_service_model("connect")
    shape = service.operation_model("StartTaskContact").input_shape
    members = shape.members
    reference = members["References"].value
    return RequestModel(
        required=tuple(shape.required_members),
        strings={
            name: _length(member)
            for name, member in members.items()
            if member.type_name == "string"
        },
        attribute_key=_length(members["Attributes"].key),
        attribute_value=_length(members["Attributes"].value),
        reference_name=_length(members["References"].key),
        reference_value=_length(reference.members["Value"]),
        reference_types=tuple(reference.members["Type"].enum),
        attachments=_length(members["Attachments"]),
    )


def check_request(request: Mapping[str, Any], now: float) -> None:
    """Raise the 400 answer for the first rule the request body breaks; ``now`` in epoch s."""
    model = request_model()
    for name in model.required:
        if name not in request:
            raise invalid_parameter(f"{name} is required")
    for name, length in model.strings.items():
        if name in request:
            _check_text(name, request[name], length)
    _check_routing(request)
    if "Attributes" in request:
        _check_attributes(request["Attributes"], model)
    if "References" in request:
        _check_references(request["References"], model)
    if "ScheduledTime" in request:
        _check_schedule(request["ScheduledTime"], now)
    if "Attachments" in request:
        _check_attachments(request["Attachments"], model.attachments)
    if "SegmentAttributes" in request and not isinstance(request["SegmentAttributes"], dict):
        raise invalid_parameter("SegmentAttributes must be an object")


def check_resources(request: Mapping[str, Any], config: SandboxConfig) -> None:
    """Raise 404 unless the instance and the flow, quick connect or template exist."""
    instance = request["InstanceId"]
    if instance not in config.instance_ids:
        raise not_found(f"Instance '{instance}' not found")
    known = {
        "ContactFlowId": ("Contact flow", config.contact_flow_ids),
        "QuickConnectId": ("Quick connect", config.quick_connect_ids),
        "TaskTemplateId": ("Task template", config.task_template_ids),
    }
    for name, (label, ids) in known.items():
        if name in request and request[name] not in ids:
            raise not_found(f"{label} '{request[name]}' not found in instance '{instance}'")


def _check_text(path: str, value: Any, length: Length) -> None:
    if not isinstance(value, str):
        raise invalid_parameter(f"{path} must be a string")
    if length.maximum is not None and len(value) > length.maximum:
        raise invalid_parameter(
            f"{path} has length {len(value)}, more than the maximum {length.maximum}"
        )
    if length.minimum is not None and len(value) < length.minimum:
        raise invalid_parameter(
            f"{path} has length {len(value)}, less than the minimum {length.minimum}"
        )
    control = _CONTROL_CHARACTER.search(value)
    if control:
        raise invalid_parameter(
            f"{path} contains the control character U+{ord(control.group()):04X}"
        )


def _check_routing(request: Mapping[str, Any]) -> None:
    given = [name for name in ROUTING_FIELDS if name in request]
    if not given:
        raise invalid_request("One of ContactFlowId, QuickConnectId or TaskTemplateId is required")
    if len(given) > 1:
        raise invalid_request(
            f"Only one of ContactFlowId, QuickConnectId, TaskTemplateId may be given, "
            f"not {' and '.join(given)}"
        )


def _check_attributes(attributes: Any, model: RequestModel) -> None:
    if not isinstance(attributes, dict):
        raise invalid_parameter("Attributes must be an object of strings")
    size = 0
    for key, value in attributes.items():
        _check_text("Attributes key", key, model.attribute_key)
        _check_text(f"Attributes.{key}", value, model.attribute_value)
        if not _ATTRIBUTE_KEY.fullmatch(key):
            raise invalid_request(
                f"Attribute key '{key}' may contain only letters, digits, '-' and '_'"
            )
        size += _utf8_len(key) + _utf8_len(value)
    if size > ATTRIBUTES_MAX_BYTES:
        raise invalid_request(
            f"Attributes total {size} UTF-8 bytes, more than the {ATTRIBUTES_MAX_BYTES} allowed"
        )


def _check_references(references: Any, model: RequestModel) -> None:
    if not isinstance(references, dict):
        raise invalid_parameter("References must be an object")
    size = 0
    for name, reference in references.items():
        _check_text("References key", name, model.reference_name)
        if not isinstance(reference, dict):
            raise invalid_parameter(f"References.{name} must be an object with Type and Value")
        kind = reference.get("Type")
        if kind not in model.reference_types:
            raise invalid_parameter(f"References.{name}.Type '{kind}' is not a reference type")
        if kind not in CREATION_REFERENCE_TYPES:
            raise invalid_request(
                f"References.{name}: type {kind} cannot be set when a task is created; "
                f"use one of {', '.join(CREATION_REFERENCE_TYPES)}"
            )
        value = reference.get("Value", "")
        _check_text(f"References.{name}.Value", value, model.reference_value)
        size += _utf8_len(name) + _utf8_len(value)
    if size > REFERENCES_MAX_BYTES:
        raise invalid_request(
            f"References total {size} UTF-8 bytes, more than the {REFERENCES_MAX_BYTES} allowed"
        )


def _check_schedule(value: Any, now: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_parameter("ScheduledTime must be a number of epoch seconds")
    if value < now - SCHEDULE_PAST_GRACE_S:
        raise invalid_request(f"ScheduledTime {value} is in the past (now {int(now)})")
    if value > now + SCHEDULE_MAX_AHEAD_S:
        raise invalid_request(
            f"ScheduledTime {value} is more than 6 days ahead "
            f"(latest {int(now + SCHEDULE_MAX_AHEAD_S)})"
        )


def _check_attachments(attachments: Any, length: Length) -> None:
    if not isinstance(attachments, list):
        raise invalid_parameter("Attachments must be a list")
    if length.minimum is not None and len(attachments) < length.minimum:
        raise invalid_parameter(f"Attachments must hold at least {length.minimum} item")
    if length.maximum is not None and len(attachments) > length.maximum:
        raise invalid_parameter(f"Attachments may hold at most {length.maximum} items")
    for attachment in attachments:
        if not (
            isinstance(attachment, dict)
            and isinstance(attachment.get("FileName"), str)
            and isinstance(attachment.get("S3Url"), str)
        ):
            raise invalid_parameter("Each attachment needs FileName and S3Url strings")


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))
