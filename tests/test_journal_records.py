"""What the journal records of a request: its digest, to notice a row changed between runs."""

from __future__ import annotations

from importer.journal import request_digest


def test_request_digest_ignores_key_order() -> None:
    assert request_digest({"a": 1, "b": "x"}) == request_digest({"b": "x", "a": 1})
    assert request_digest({"a": 1}) != request_digest({"a": 2})


def test_a_digest_journaled_before_still_matches_a_request_with_non_ascii_text() -> None:
    request = {
        "InstanceId": "a1b2c3d4-0000-4000-8000-000000000001",
        "Name": "Rappel : Élodie — 日本 🚀",
        "Description": "Ünïcode \ud800 lone",
        "Attributes": {"Straße": "ü"},
        "ClientToken": "cti1-3402189310cdbb5e915a3aa588685c88dc4532a5",
    }
    # As versions up to 0.1.0 computed and journaled it: a journal cannot recompute it.
    stored = "a781e995c1f4ce3d363181e21806a2b8f600820dd7183657852dca3afea84031"
    assert request_digest(request) == stored
