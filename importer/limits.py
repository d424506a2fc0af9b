"""StartTaskContact limits: lengths from botocore's own Connect model, the rest from the docs.

Reading lengths from the installed botocore means a newer model tightens us automatically.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import botocore.session

ROUTING_FIELDS = ("ContactFlowId", "QuickConnectId", "TaskTemplateId")
CREATION_REFERENCE_TYPES = ("URL", "NUMBER", "STRING", "DATE", "EMAIL")
ATTRIBUTES_MAX_BYTES = 32_768
REFERENCES_MAX_BYTES = 4_096
SCHEDULE_MAX_DAYS = 6
TASKS_PER_PREVIOUS_CONTACT = 12
EXPIRY_MINUTES = (1, 7 * 24 * 60)
"""The ExpiryDuration a task may have, in minutes. Not documented: a task lasts at most 7
days (the administrator guide), so 1 to 10,080, the bounds the sandbox enforces too."""


@dataclass(frozen=True)
class Length:
    minimum: int | None
    maximum: int | None


@dataclass(frozen=True)
class Limits:
    """Length limits of the StartTaskContact request, as the installed botocore models them."""

    fields: dict[str, Length]
    attribute_key: Length
    attribute_value: Length
    reference_name: Length
    reference_value: Length
    segment_key: Length
    segment_value: Length
    attachments: Length
    """How many attachments a task may have."""
    file_name: Length
    attachment_url: Length


def _length(shape: botocore.model.Shape) -> Length:
    return Length(shape.metadata.get("min"), shape.metadata.get("max"))


@functools.cache
def limits() -> Limits:
    """Load the limits from botocore's Connect model (once per process)."""
    model = botocore.session.get_session().get_service_model("connect")
    shape = model.operation_model("StartTaskContact").input_shape
    attributes = shape.members["Attributes"]
    references = shape.members["References"]
    segments = shape.members["SegmentAttributes"]
    attachments = shape.members["Attachments"]
    return Limits(
        fields={
            name: _length(member)
            for name, member in shape.members.items()
            if member.type_name == "string"
        },
        attribute_key=_length(attributes.key),
        attribute_value=_length(attributes.value),
        reference_name=_length(references.key),
        reference_value=_length(references.value.members["Value"]),
        segment_key=_length(segments.key),
        segment_value=_length(segments.value.members["ValueString"]),
        attachments=_length(attachments),
        file_name=_length(attachments.member.members["FileName"]),
        attachment_url=_length(attachments.member.members["S3Url"]),
    )
