"""StartTaskContact limits: lengths from botocore's own Connect model, the rest from the docs.

Reading lengths from the installed botocore means a newer model tightens us automatically.
Loading that model takes about 0.3 s, a large part of a small validate: the few lengths are
kept in a small JSON file in the user's cache folder, named after botocore's version, and
read from there while that version is installed.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from importer.atomic_file import AtomicFile

if TYPE_CHECKING:
    import botocore.model

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


CACHE_FORMAT = 1
"""Changes when Limits changes, so a cache file an earlier version wrote is not read."""


def _length(shape: botocore.model.Shape) -> Length:
    return Length(shape.metadata.get("min"), shape.metadata.get("max"))


@functools.cache
def limits() -> Limits:
    """The limits of the installed botocore's Connect model (once per process; from the
    cache file when it has them, see the module)."""
    cache = cache_path()
    if cache is not None:
        cached = _read_cache(cache)
        if cached is not None:
            return cached
    found = _from_model()
    if cache is not None:
        _write_cache(cache, found)
    return found


def cache_path() -> Path | None:
    """Where the limits of the installed botocore are kept; None when botocore may read a
    Connect model of its own ($AWS_DATA_PATH, ~/.aws/models), which no name would tell."""
    import botocore

    try:
        if os.environ.get("AWS_DATA_PATH") or (Path.home() / ".aws" / "models").exists():
            return None
        folder = Path(platformdirs.user_cache_dir("connect-task-importer", appauthor=False))
    except (OSError, RuntimeError):  # no home folder
        return None
    return folder / f"start-task-limits-{botocore.__version__}-{CACHE_FORMAT}.json"


def _read_cache(path: Path) -> Limits | None:
    """The limits a cache file holds; None when it is missing or damaged."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        fields = {name: Length(**length) for name, length in saved.pop("fields").items()}
        return Limits(fields=fields, **{name: Length(**length) for name, length in saved.items()})
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _write_cache(path: Path, found: Limits) -> None:
    """Keep the limits for the next process; a cache folder that cannot be written is no
    error (the next process loads the model again)."""
    try:
        with AtomicFile(path) as file:
            file.path.write_text(json.dumps(dataclasses.asdict(found)), encoding="utf-8")
    except OSError:
        pass


def _from_model() -> Limits:
    """Load the limits from botocore's Connect model."""
    import botocore.session

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
