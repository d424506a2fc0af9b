"""What the journal records of a request: its digest, to notice a row changed between runs."""

from __future__ import annotations

from importer.journal import request_digest


def test_request_digest_ignores_key_order() -> None:
    assert request_digest({"a": 1, "b": "x"}) == request_digest({"b": "x", "a": 1})
    assert request_digest({"a": 1}) != request_digest({"a": 2})
