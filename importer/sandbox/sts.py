"""STS GetCallerIdentity in STS's query protocol: a form-encoded ``POST /``, an XML answer.

A boto3 ``sts`` client pointed at the sandbox (``endpoint_url``, or ``AWS_ENDPOINT_URL_STS``)
learns that the caller is ``defaults.CALLER_ARN``, whatever credentials signed the call.
GetCallerIdentity needs no IAM permission, so the sandbox's access-denied mode leaves it be.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from importer.sandbox import defaults
from importer.sandbox.errors import ServiceError
from importer.sandbox.signature import check_signature

PATH = "/"
NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
VERSION = "2011-06-15"
USER_ID = "AIDASANDBOXUSER000001"

_STS_CODES = {
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
}
"""The signature check's Connect error codes, as STS spells them."""


@dataclass(frozen=True)
class XmlReply:
    status: int
    body: bytes


def answer(authorization: str | None, payload: bytes) -> XmlReply:
    """Answer one ``POST /``: GetCallerIdentity, or the query protocol's XML error."""
    try:
        check_signature(authorization, service="sts")
    except ServiceError as error:
        code, status = _STS_CODES[error.code]
        return _error(status, code, error.message)
    form = parse_qs(payload.decode("utf-8", errors="replace"))
    action = form.get("Action", [""])[0]
    if action != "GetCallerIdentity":
        return _error(400, "InvalidAction", f"Could not find operation {action or '(none)'}")
    if form.get("Version", [""])[0] != VERSION:
        return _error(400, "InvalidParameterValue", f"Version must be {VERSION}")
    return XmlReply(
        200,
        (
            f'<GetCallerIdentityResponse xmlns="{NAMESPACE}">'
            "<GetCallerIdentityResult>"
            f"<Arn>{defaults.CALLER_ARN}</Arn>"
            f"<UserId>{USER_ID}</UserId>"
            f"<Account>{defaults.ACCOUNT_ID}</Account>"
            "</GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>"
        ).encode(),
    )


def _error(status: int, code: str, message: str) -> XmlReply:
    return XmlReply(
        status,
        (
            f'<ErrorResponse xmlns="{NAMESPACE}">'
            f"<Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{escape(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId>"
            "</ErrorResponse>"
        ).encode(),
    )
