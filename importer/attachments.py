"""A task's Attachments: up to 5 files, from the columns ``Attachment1`` ... ``Attachment5``.

Each cell holds one file: an ``s3://bucket/key`` location, which the tool signs as a
presigned GET link with boto3 just before sending (:class:`Presigner`), or an ``https://``
link (already presigned), sent as it is. The FileName is the last part of the key (taken
literally, as the AWS CLI reads ``s3://`` keys) or of the link's path (URL-decoded).

Limits from botocore's model (importer.limits): 1 to 5 attachments, FileName 1 to 256
characters matching ``^\\P{C}*$`` (no control, format or unassigned characters), S3Url 1 to
2,000 characters. The prepared request keeps the ``s3://`` location, never a signed link:
the ClientToken, the journal's digest and retry's edit detection all hash the prepared
request, and a link signed anew on each run must not make a row look new or edited.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import botocore.exceptions as bce

from importer.errors import UsageError
from importer.limits import limits
from importer.locations import S3Url
from importer.mapping import MappedRow

_S3_LINK = re.compile(r"(?i:s3)://([^/]*)/(.*)", re.DOTALL)
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_KEY_MAX_BYTES = 1024
"""The longest S3 object key, in UTF-8 bytes (Amazon S3 User Guide, "Naming objects")."""
MAX_LINK_HOURS = 168
"""A SigV4 presigned link lives at most 7 days (X-Amz-Expires up to 604,800 seconds)."""
ORIGIN = "Attachments[{}]"
"""The mapped origin path of the request's n-th attachment (its column)."""

Error = Callable[[str, str], None]


class LinkError(Exception):
    """An attachment link that cannot be made or sent; the message says why and what to do."""


def attachment_list(mapped: MappedRow, error: Error) -> list[dict[str, str]]:
    """The row's Attachments (empty when it has none); problems go to ``error``. Notes each
    attachment's column in ``mapped.origin`` (:data:`ORIGIN`)."""
    allowed = limits().attachments.maximum or 0
    columns = list(mapped.attachments)
    if len(columns) > allowed:
        error(
            columns[allowed],
            f"this row has {len(columns)} attachments ({', '.join(columns)}); a task takes at "
            f"most {allowed}: leave the others empty",
        )
    attachments = []
    for column, value in mapped.attachments.items():
        problem, name = _check_link(value)
        if problem:
            error(column, problem)
        mapped.origin[ORIGIN.format(len(attachments))] = column
        attachments.append({"FileName": name, "S3Url": _normal(value)})
    return attachments


def s3_locations(request: Mapping[str, Any]) -> Iterator[tuple[int, str]]:
    """The request's attachments given as ``s3://`` locations, with their positions."""
    for number, attachment in enumerate(request.get("Attachments", ())):
        if _S3_LINK.match(attachment["S3Url"]):
            yield number, attachment["S3Url"]


def link_seconds(hours: float) -> int:
    """How long a presigned link lives, in seconds; UsageError outside what SigV4 allows."""
    if not 0 < hours <= MAX_LINK_HOURS:
        raise UsageError(
            f"--attachment-url-hours {hours:g}: give more than 0 and at most {MAX_LINK_HOURS} "
            "hours (7 days, the longest a presigned link can live)"
        )
    return max(1, round(hours * 3600))


class Presigner:
    """Signs ``s3://`` locations as presigned GET links (no network call), with an S3 client
    made on first use."""

    def __init__(self, make_client: Callable[[], Any], seconds: int) -> None:
        self._make_client = make_client
        self._client: Any = None
        self.seconds = seconds

    def sign(self, location: str) -> str:
        """A presigned link to the object; LinkError if it cannot be made or is too long."""
        url = S3Url.parse(location)
        try:
            if self._client is None:
                self._client = self._make_client()
            link = self._client.generate_presigned_url(
                "get_object", Params={"Bucket": url.bucket, "Key": url.key}, ExpiresIn=self.seconds
            )
        except (bce.BotoCoreError, bce.ClientError) as problem:
            raise LinkError(f"cannot sign a link to {location}: {problem}") from None
        most = limits().attachment_url.maximum or len(link)
        if len(link) > most:
            raise LinkError(
                f"the presigned link to {location} has {len(link):,} characters, more than the "
                f"{most:,} Amazon Connect takes: temporary credentials (a role, an SSO sign-in) "
                "put a long session token into every link, and a long key adds to it. Sign "
                "with an IAM user's access keys, shorten the key, or give a shorter https:// link"
            )
        return link


def _check_link(value: str) -> tuple[str, str]:
    """What is wrong with an attachment cell ('' if nothing) and the file name it gives."""
    hidden = _hidden_character(value)
    if hidden:
        return f"holds an invisible character ({hidden}); retype the cell", ""
    s3 = _S3_LINK.fullmatch(value)
    if s3:
        return _check_s3(s3.group(1), s3.group(2))
    parts = urlsplit(value)
    if parts.scheme.lower() != "https" or not parts.netloc or re.search(r"\s", value):
        return (
            f"'{value}' is neither an S3 location (s3://BUCKET/KEY) nor an https:// link; "
            "write where the file is, e.g. s3://my-bucket/folder/file.pdf",
            "",
        )
    most = limits().attachment_url.maximum or len(value)
    if len(value) > most:
        return (
            f"the link has {len(value):,} characters, more than the {most:,} Amazon Connect "
            "takes; give the file's s3:// location instead (the tool signs a shorter link)",
            "",
        )
    return _check_file_name(unquote(parts.path.rpartition("/")[2]))


def _check_s3(bucket: str, key: str) -> tuple[str, str]:
    if not _BUCKET.fullmatch(bucket):
        return (
            f"'{bucket}' is not an S3 bucket name (3 to 63 lowercase letters, digits, '.' and "
            "'-'); write s3://BUCKET/KEY",
            "",
        )
    if len(key.encode("utf-8", errors="surrogatepass")) > _KEY_MAX_BYTES:
        return f"the key is longer than the {_KEY_MAX_BYTES:,} bytes S3 allows", ""
    return _check_file_name(key.rpartition("/")[2])


def _check_file_name(name: str) -> tuple[str, str]:
    allowed = limits().file_name
    if not name:
        return "names no file (it ends with '/'); write the whole path of the file", ""
    if allowed.maximum is not None and len(name) > allowed.maximum:
        return (
            f"the file name has {len(name):,} characters, more than the {allowed.maximum} "
            "Amazon Connect takes; rename the file",
            name,
        )
    hidden = _hidden_character(name)
    if hidden:
        return f"the file name holds an invisible character ({hidden}); rename the file", name
    return "", name


def _hidden_character(text: str) -> str:
    """The first character of Unicode category C (control, format, surrogate, private use,
    unassigned: what FileName's pattern ``^\\P{C}*$`` refuses), as U+XXXX; '' if none."""
    for char in text:
        if unicodedata.category(char).startswith("C"):
            return f"U+{ord(char):04X}"
    return ""


def _normal(value: str) -> str:
    """An ``s3://`` location with its scheme in lower case; any other link as it is."""
    s3 = _S3_LINK.fullmatch(value)
    return f"s3://{s3.group(1)}/{s3.group(2)}" if s3 else value
