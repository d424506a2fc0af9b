"""A batch read twice, so that its prepared rows are never all held at once.

``run`` reads a file to the end before it sends anything (a bad line further down sends
nothing) and reconciles every row with the journal first; holding every prepared row for
that took about 2 KB a row. So the first pass keeps of each row only its :class:`RowKey`
(number, ClientToken, validity), and the whole row only where reconcile may read its
request: at a row number the journal has a send of this batch from (an edit is told by its
values, and a resend takes the earlier send's token). The second pass prepares the rows
again, as they are sent (:func:`read_again`): each must be the row the first pass read, or
the file changed in between and the batch stops.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from importer.collector import Freezer
from importer.errors import InputFileError
from importer.model import PreparedRow
from importer.pipeline import Batch, PrepareOptions, open_batch
from importer.reconcile import Plan, resend_under


@dataclass(slots=True)
class RowKey:
    """What reconcile needs of a row whose request it never reads."""

    number: int
    client_token: str
    ok: bool
    origin_token: str = ""
    request: None = None


@dataclass
class FirstPass:
    """A batch's rows as the first pass read them: each one's key, in order, and the rows
    kept whole (by number)."""

    keys: list[RowKey]
    whole: dict[int, PreparedRow]

    def rows(self) -> list[PreparedRow | RowKey]:
        """The rows for reconcile: whole where kept, else their keys."""
        return [self.whole.get(key.number, key) for key in self.keys]


def first_pass(rows: Iterable[PreparedRow], sent_from: Collection[int]) -> FirstPass:
    """Read every row; keep whole those whose number is in ``sent_from`` (the row numbers
    of the batch's sends), and what is kept out of the collector's scans (importer.collector:
    call it inside ``thawing``)."""
    read = FirstPass([], {})
    freezer = Freezer()
    for row in rows:
        read.keys.append(RowKey(row.number, row.client_token, row.ok, row.origin_token))
        if row.number in sent_from:
            read.whole[row.number] = row
        freezer.kept()
    return read


def reopen(path: str | Path, prepare: PrepareOptions, first: Batch) -> Batch:
    """The file opened again for its second pass, the first pass's "now" deciding again what
    is valid (a scheduled time is not in the past on one pass and not the other)."""
    return open_batch(path, dataclasses.replace(prepare, now=first.validator.now))


def read_again(
    rows: Iterable[PreparedRow], keys: Sequence[RowKey], plan: Plan, where: str
) -> Iterator[PreparedRow]:
    """The rows prepared again, each checked against its key from the first pass; a row the
    plan resends under an earlier send's token is given it again. Raise InputFileError if
    the file ``where`` no longer holds the rows first read."""
    index = 0
    for row in rows:
        key = keys[index] if index < len(keys) else None
        if key is None or (key.number, key.client_token, key.ok) != (
            row.number,
            row.client_token,
            row.ok,
        ):
            raise InputFileError(_changed(where, row.number))
        index += 1
        resent = plan.resent.get(row.number)
        if resent is not None:
            resend_under(row, resent)
        yield row
    if index != len(keys):
        raise InputFileError(_changed(where, keys[index].number))


def _changed(where: str, number: int) -> str:
    return (
        f"{where}: the file changed while its rows were sent (row {number} is not what it "
        "was when the file was first read); the rows sent so far are in the journal. Leave "
        "the file as it is while it is run, then run it again: rows already created are not "
        "sent twice"
    )
