"""Fewer passes of Python's garbage collector over a batch's rows.

A batch's rows live until its results are written, so the collector's full passes, which
come each time the objects alive grow by a quarter, scanned them again and again: about a
fifth of a re-run of 100,000 rows. A :class:`Freezer` moves what is alive out of its scans
(``gc.freeze``) as the rows are read (importer.two_pass) and as their outcomes are kept;
:func:`thawing` gives it back at the end. Frozen objects are still freed as soon as nothing
refers to them; only a reference cycle among them waits for the thaw.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import TypeVar

FREEZE_EVERY = 10_000
"""Items read (or outcomes kept) between two freezes: freezing more often held more memory."""

_Item = TypeVar("_Item")


class Freezer:
    """Counts what a batch keeps, and freezes what is alive every :data:`FREEZE_EVERY`."""

    def __init__(self) -> None:
        self.count = 0

    def kept(self) -> None:
        """One more item kept (a row read, an outcome)."""
        self.count += 1
        if self.count % FREEZE_EVERY == 0:
            gc.freeze()


@contextlib.contextmanager
def thawing() -> Iterator[None]:
    """Give what was frozen inside back to the collector at the end; if something was
    frozen before (by the program using this library), leave it all frozen as it chose."""
    frozen_before = gc.get_freeze_count()
    try:
        yield
    finally:
        if frozen_before == 0:
            gc.unfreeze()
