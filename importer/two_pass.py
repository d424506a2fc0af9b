"""A batch read twice, so that its prepared rows are never all held at once.

``run`` reads a file to the end before it sends anything (a bad line further down sends
nothing) and reconciles every row with the journal first; holding every prepared row for
that took about 2 KB a row. So the first pass keeps of each row only its :class:`RowKey`
(number, ClientToken, validity), and the whole row only where reconcile may read its
request: at a row number the journal has a send of this batch from (an edit is told by its
values, and a resend takes the earlier send's token). The second pass prepares the rows
again, as they are sent (:func:`read_again`): each must be the row the first pass read, or
the file changed in between and the run stops cleanly, as on Ctrl-C (exit 3: rows sent keep
their ContactIds, the rest are not_attempted); a dry run raises InputFileError.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

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


class FirstPass:
    """A batch's rows as the first pass read them: each one's key, in order (in arrays:
    about 110 bytes a row), and the rows kept whole, by number."""

    def __init__(self) -> None:
        self.numbers = array("q")
        self.tokens: list[str] = []
        self.valid = bytearray()
        self.origins: dict[int, str] = {}
        self.whole: dict[int, PreparedRow] = {}

    def add(self, row: PreparedRow) -> None:
        """Keep the key of the next row."""
        self.numbers.append(row.number)
        self.tokens.append(row.client_token)
        self.valid.append(row.ok)
        if row.origin_token:
            self.origins[row.number] = row.origin_token

    def __len__(self) -> int:
        return len(self.numbers)

    def key(self, index: int) -> RowKey:
        """The key of the row at ``index`` (0 for the first row)."""
        number = self.numbers[index]
        origin = self.origins.get(number, "")
        return RowKey(number, self.tokens[index], bool(self.valid[index]), origin)

    def rows(self) -> Sequence[PreparedRow | RowKey]:
        """The rows for reconcile, made as they are reached: whole where kept, else keys."""
        return _Rows(self)


class _Rows(Sequence["PreparedRow | RowKey"]):
    def __init__(self, read: FirstPass) -> None:
        self._read = read

    def __len__(self) -> int:
        return len(self._read)

    @overload
    def __getitem__(self, index: int) -> PreparedRow | RowKey: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[PreparedRow | RowKey]: ...

    def __getitem__(
        self, index: int | slice
    ) -> PreparedRow | RowKey | Sequence[PreparedRow | RowKey]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        whole = self._read.whole.get(self._read.numbers[index])
        return whole if whole is not None else self._read.key(index)

    def __iter__(self) -> Iterator[PreparedRow | RowKey]:
        return (self[index] for index in range(len(self)))


def first_pass(rows: Iterable[PreparedRow], sent_from: Collection[int]) -> FirstPass:
    """Read every row; keep whole those whose number is in ``sent_from`` (the row numbers
    of the batch's sends), and what is kept out of the collector's scans (importer.collector:
    call it inside ``thawing``)."""
    read = FirstPass()
    freezer = Freezer()
    for row in rows:
        read.add(row)
        if row.number in sent_from:
            read.whole[row.number] = row
        freezer.kept()
    return read


def rows_to_send(
    read: FirstPass,
    first: Batch,
    path: str | Path,
    prepare: PrepareOptions,
    plan: Plan,
    where: str,
    stop: Callable[[str], None] | None = None,
) -> Iterator[PreparedRow]:
    """The rows in order, as they are to be sent: those the first pass kept if it kept every
    one (a re-run: each was sent before, so they are held already), else the file at
    ``path`` read again (:func:`read_again`, ``stop`` as there), the first pass's "now"
    deciding again what is valid (a scheduled time is not in the past on one pass and not
    the other)."""
    if read.whole and len(read.whole) == len(read):
        kept = list(read.whole.values())
        read.whole.clear()
        return handed_over(kept)
    read.whole.clear()
    again = open_batch(path, dataclasses.replace(prepare, now=first.validator.now))
    return read_again(again.rows(), read, plan, where, stop)


def handed_over(rows: list[PreparedRow]) -> Iterator[PreparedRow]:
    """The rows in order, each taken out of the list as it is handed over."""
    rows.reverse()
    while rows:
        yield rows.pop()


def read_again(
    rows: Iterable[PreparedRow],
    read: FirstPass,
    plan: Plan,
    where: str,
    stop: Callable[[str], None] | None = None,
) -> Iterator[PreparedRow]:
    """The rows prepared again, each checked against its key from the first pass; a row the
    plan resends under an earlier send's token is given it again. If the file ``where`` no
    longer holds the rows first read: with ``stop``, ask it to stop the run (the rows still
    come, as the file now holds them, so the executor settles each as not sent and the
    results file is complete); without, raise InputFileError."""
    index, changed = 0, False
    for row in rows:
        if not changed and (
            index >= len(read)
            or (read.numbers[index], read.tokens[index], bool(read.valid[index]))
            != (row.number, row.client_token, row.ok)
        ):
            changed = True
            _report_change(where, row.number, stop)
        index += 1
        resent = None if changed else plan.resent.get(row.number)
        if resent is not None:
            resend_under(row, resent)
        yield row
    if not changed and index != len(read):
        _report_change(where, read.numbers[index], stop)


def _report_change(where: str, number: int, stop: Callable[[str], None] | None) -> None:
    if stop is None:
        raise InputFileError(_changed(where, number))
    stop(_changed(where, number))


def _changed(where: str, number: int) -> str:
    return (
        f"{where}: the file changed while its rows were sent (row {number} is not what it "
        "was when the file was first read); the rows sent so far are in the journal and the "
        "results. Leave the file as it is while it is run (close it in Excel), then run it "
        "again: rows already created are not sent twice"
    )
