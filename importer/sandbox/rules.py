"""The StartTaskContact and StopContact rules the emulated service enforces, independently
of the importer.

Breaking the API model (a type, a required member, a length read from the Connect model in
the installed botocore) answers InvalidParameterException, and so does a control character
other than tab, LF and CR in a text: the service documents no rule for them, so the
emulator takes the strict side and a request carrying one (the importer never sends one)
fails in tests. Breaking a documented service rule (routing, scheduling window, attribute
keys and size, reference types and size, segment attributes, attachment URLs) answers
InvalidRequestException; an unknown instance, flow, quick connect or template answers
ResourceNotFoundException. A request that names a task template is also checked against it
(importer.sandbox.template_rules).

SegmentAttributes (model: SegmentAttributes; documented in StartTaskContact):
- keys are letters, digits, ``-`` and ``_``; the system keys have a ``connect:`` prefix;
- ``connect:ContactExpiry`` is ``{"ValueMap": {"ExpiryDuration": {"ValueInteger": N}}}``, N
  minutes; the bounds are undocumented: the sandbox takes 1 to 10,080 (tasks end after 7
  days, as the administrator guide documents);
- ``connect:CreatedByUser`` is ``{"ValueString": ARN}``, the ARN of an agent of the
  request's instance ("a valid AgentResourceId must be supplied");
- ValueList and ValueArn are documented for system-defined keys only; the sandbox's strict
  reading: other ``connect:`` keys are refused, and a key without the prefix takes a
  ValueString alone; every value holds exactly one member.

Attachments (model: TaskAttachments): 1 to 5 of {FileName, S3Url}; FileName 1..256
characters without control or format characters (pattern ``^\\P{C}*$``); S3Url 1..2000
characters, and (the sandbox's reading of "pre-signed URL") an absolute http(s) URL. The
sandbox does not fetch it.

StopContact: ContactId and InstanceId as the model has them; DisconnectReason is refused
(InvalidRequestException): "Only Amazon Connect outbound campaigns can provide this field".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from importer.sandbox import defaults
from importer.sandbox.config import SandboxConfig
from importer.sandbox.errors import invalid_parameter, invalid_request, not_found
from importer.sandbox.shapes import ShapeError, check_shape, connect_model, shape
from importer.sandbox.template_rules import check_template
from importer.sandbox.templates import EXPIRY_KEY, is_web_url

ROUTING_FIELDS = ("ContactFlowId", "QuickConnectId", "TaskTemplateId")
CREATION_REFERENCE_TYPES = ("URL", "NUMBER", "STRING", "DATE", "EMAIL")
ATTRIBUTES_MAX_BYTES = 32_768
REFERENCES_MAX_BYTES = 4_096
SCHEDULE_MAX_AHEAD_S = 6 * 86_400
SCHEDULE_PAST_GRACE_S = 60
CREATED_BY_KEY = "connect:CreatedByUser"
EXPIRY_MINUTES = (1, 7 * 24 * 60)
"""The ExpiryDuration the sandbox takes, in minutes (bounds undocumented; tasks last 7 days)."""
_ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SEGMENT_KEY = re.compile(r"(connect:)?[A-Za-z0-9_-]+")
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


def _length(shape: Any) -> Length:
    return Length(shape.metadata.get("min"), shape.metadata.get("max"))


@functools.cache
def request_model() -> RequestModel:
    """Read the StartTaskContact input shape from botocore's Connect model (once)."""
    shape = connect_model().operation_model("StartTaskContact").input_shape
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
        _check_attachments(request["Attachments"])
    if "SegmentAttributes" in request:
        _check_segment_attributes(request["SegmentAttributes"])


def check_resources(request: Mapping[str, Any], config: SandboxConfig) -> None:
    """Raise 404 unless the instance and the flow, quick connect or template exist, and
    400 for a created-by user who is no agent of the instance or a template the request
    breaks."""
    instance = known_instance(config, request["InstanceId"])
    known = {
        "ContactFlowId": ("Contact flow", config.contact_flow_ids),
        "QuickConnectId": ("Quick connect", config.quick_connect_ids),
        "TaskTemplateId": ("Task template", config.task_template_ids),
    }
    for name, (label, ids) in known.items():
        if name in request and request[name] not in ids:
            raise not_found(f"{label} '{request[name]}' not found in instance '{instance}'")
    created_by = request.get("SegmentAttributes", {}).get(CREATED_BY_KEY)
    if created_by is not None:
        agents = {defaults.user_arn(instance, user.id) for user in defaults.USERS}
        if created_by["ValueString"] not in agents:
            raise invalid_request(
                f"SegmentAttributes.{CREATED_BY_KEY}: '{created_by['ValueString']}' is not "
                f"the ARN of an agent of instance '{instance}'"
            )
    template = config.task_template(request.get("TaskTemplateId", ""))
    if template is not None:
        check_template(request, template)


def known_instance(config: SandboxConfig, instance_id: str) -> str:
    """``instance_id`` if the sandbox has that instance, else the 404 answer."""
    if instance_id not in config.instance_ids:
        raise not_found(f"Instance '{instance_id}' not found")
    return instance_id


def check_stop_request(request: Mapping[str, Any]) -> None:
    """Raise the 400 answer for the first rule a StopContact body breaks."""
    check_input_shape(
        request, connect_model().operation_model("StopContact").input_shape, "StopContact"
    )
    if "DisconnectReason" in request:
        raise invalid_request(
            "DisconnectReason: only Amazon Connect outbound campaigns can provide this field"
        )


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


def check_input_shape(value: Any, expected: Any, path: str) -> None:
    """check_shape, answered as InvalidParameterException."""
    try:
        check_shape(value, expected, path)
    except ShapeError as error:
        raise invalid_parameter(str(error)) from error


def _check_attachments(attachments: Any) -> None:
    check_input_shape(attachments, shape("TaskAttachments"), "Attachments")
    for number, attachment in enumerate(attachments, 1):
        name, url = attachment["FileName"], attachment["S3Url"]
        hidden = next((char for char in name if unicodedata.category(char).startswith("C")), None)
        if hidden is not None:
            raise invalid_parameter(
                f"Attachments[{number - 1}].FileName contains the control or format "
                f"character U+{ord(hidden):04X}"
            )
        if not is_web_url(url):
            raise invalid_request(
                f"Attachments[{number - 1}].S3Url must be a pre-signed http(s) URL of the file"
            )


def _check_segment_attributes(attributes: Any) -> None:
    check_input_shape(attributes, shape("SegmentAttributes"), "SegmentAttributes")
    for key, value in attributes.items():
        path = f"SegmentAttributes.{key}"
        if not _SEGMENT_KEY.fullmatch(key):
            raise invalid_request(
                f"Segment attribute key '{key}' may contain only letters, digits, '-' and '_' "
                "(after the connect: prefix of system keys)"
            )
        if len(value) != 1:
            raise invalid_request(
                f"{path} must hold exactly one of ValueString, ValueInteger, ValueMap, "
                "ValueList, ValueArn"
            )
        if key == EXPIRY_KEY:
            _check_expiry(value, path)
        elif key == CREATED_BY_KEY:
            if "ValueString" not in value:
                raise invalid_request(f"{path} must be a ValueString: the agent's ARN")
        elif key.startswith("connect:"):
            raise invalid_request(
                f"{path}: StartTaskContact takes only the system keys {EXPIRY_KEY} and "
                f"{CREATED_BY_KEY}"
            )
        elif "ValueString" not in value:
            raise invalid_request(f"{path}: a key without the connect: prefix takes a ValueString")


def _check_expiry(value: dict[str, Any], path: str) -> None:
    low, high = EXPIRY_MINUTES
    duration = value.get("ValueMap", {})
    minutes = duration.get("ExpiryDuration", {}).get("ValueInteger")
    if set(duration) != {"ExpiryDuration"} or set(duration["ExpiryDuration"]) != {"ValueInteger"}:
        raise invalid_request(
            f'{path} must be {{"ValueMap": {{"ExpiryDuration": {{"ValueInteger": MINUTES}}}}}}'
        )
    if not low <= minutes <= high:
        raise invalid_request(
            f"{path}: ExpiryDuration must be {low} to {high} minutes (7 days), not {minutes}"
        )


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))
