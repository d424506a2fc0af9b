"""A shape check of the SigV4 Authorization header (the secret is not verified: any works)."""

from __future__ import annotations

import re

from importer.sandbox.errors import ServiceError

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=[^/,\s]+/\d{8}/[^/,\s]+/(?P<service>[^/,\s]+)/aws4_request,"
    r"\s*SignedHeaders=[^,\s]+,\s*Signature=[0-9a-f]{64}"
)


def check_signature(authorization: str | None, service: str = "connect") -> None:
    """Raise the service's 403 answer unless the request carries a SigV4 signature scoped to
    ``service`` (the signing name: ``connect``, or ``sts`` for STS)."""
    if not authorization:
        raise ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token")
    match = _AUTHORIZATION.fullmatch(authorization.strip())
    if match is None:
        raise ServiceError(
            "InvalidSignatureException", "Authorization header is not an AWS4-HMAC-SHA256 signature"
        )
    if match["service"] != service:
        raise ServiceError(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{service}', not "
            f"'{match['service']}'",
        )
