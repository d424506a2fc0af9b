"""The one canonical JSON form of a request: keys sorted, no spaces.

ClientTokens are hashes of it (importer.tokens) and the journal keeps a digest of it
(importer.journal.records). Neither may change by a single bit once written, so neither may
the bytes given here for any value: a changed token makes a second task on the next re-run,
and a changed digest makes a row look edited against every journal written before.
"""

from __future__ import annotations

import json
from typing import Any

_UTF8 = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_ASCII = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def canonical_json(value: Any, *, ascii_only: bool = False) -> bytes:
    """``value`` as canonical JSON: UTF-8, a lone surrogate kept as its own bytes.

    ``ascii_only`` writes every non-ASCII character as ``\\uXXXX``, and a value JSON cannot
    hold as its ``str()``: the form the journal's digests have been taken of since 0.1.0.
    """
    if ascii_only:
        return _ASCII.encode(value).encode("ascii")
    return _UTF8.encode(value).encode("utf-8", errors="surrogatepass")
