"""Deterministic ClientTokens, so a re-run sends the same token and Amazon Connect dedupes it.

Rules (also in the README):
- default: hash of (batch id, the request body, how many identical bodies came before it in
  the file). The same row in the same batch always gets the same token; identical rows get
  distinct tokens; a changed row gets a new token; a token never covers two bodies.
- key column: hash of the key alone, so a cumulative export never creates a second task for
  a key, whatever the file is called. Two rows with one key in a file: the second is invalid.
- a ClientToken column wins; two rows with one token in a file: the second is invalid.
"""

from __future__ import annotations

import hashlib
from typing import Any

from importer.canonical import canonical_json
from importer.model import RowError

TOKEN_PREFIX = "cti1-"


def canonical_body(request: dict[str, Any]) -> bytes:
    """The request as sent, minus its token, in one canonical byte form."""
    body = request
    if "ClientToken" in request:
        body = {key: value for key, value in request.items() if key != "ClientToken"}
    return canonical_json(body)


def _token(*parts: bytes) -> str:
    digest = hashlib.sha256(b"\x00".join(parts)).hexdigest()
    return f"{TOKEN_PREFIX}{digest[:40]}"


class TokenAssigner:
    """Gives each request of one batch its ClientToken, and catches duplicate keys/tokens."""

    def __init__(self, batch_id: str, key_column: str | None = None) -> None:
        self.batch_id = batch_id.encode("utf-8", errors="surrogatepass")
        self.key_column = key_column
        self._occurrences: dict[bytes, int] = {}
        self._first_row: dict[str, int] = {}

    def assign(
        self, request: dict[str, Any], row_number: int, key: str | None
    ) -> tuple[str, RowError | None]:
        """The token for a row; with an error when its key or explicit token repeats."""
        explicit = request.get("ClientToken")
        if explicit:
            return explicit, self._first_use(explicit, "ClientToken", row_number)
        if self.key_column is not None:
            if not key:
                return "", RowError(
                    self.key_column, f"the key column '{self.key_column}' is empty; fill it in"
                )
            token = _token(b"key", key.encode("utf-8", errors="surrogatepass"))
            return token, self._first_use(token, self.key_column, row_number)
        body = canonical_body(request)
        fingerprint = hashlib.sha256(body).digest()[:16]
        occurrence = self._occurrences.get(fingerprint, 0)
        self._occurrences[fingerprint] = occurrence + 1
        return _token(self.batch_id, body, str(occurrence).encode()), None

    def _first_use(self, token: str, column: str, row: int) -> RowError | None:
        first = self._first_row.setdefault(token, row)
        if first == row:
            return None
        if column == "ClientToken":
            return RowError(
                column,
                f"row {first} already uses this ClientToken; a token creates one task, "
                "so give each row its own token or clear the column",
                code="DuplicateClientToken",
            )
        return RowError(
            column,
            f"row {first} has the same key; each key creates one task, so remove one "
            "of the rows or change its key",
            code="DuplicateKey",
        )


def edited_token(previous: str, request: dict[str, Any]) -> str:
    """The token for a row edited after it was sent with ``previous`` (retry of a results file).

    Deterministic, so retrying the same edit twice sends the same token again.
    """
    return _token(b"edit", previous.encode("utf-8"), canonical_body(request))


def new_row_token(batch_id: str, row_number: int, values: dict[str, str]) -> str:
    """The token for a row a person added to a results file (retry gives it ``row_number``).

    Derived from the batch, the row number and every cell of the row, so the same file
    retried twice (after a crash) sends the same token again, while an added row identical to
    another row of the file is still a task of its own.
    """
    cells = canonical_json(values)
    batch = batch_id.encode("utf-8", errors="surrogatepass")
    return _token(b"new", batch, str(row_number).encode(), cells)
