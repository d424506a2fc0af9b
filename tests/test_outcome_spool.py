"""A run's outcomes are spooled to disk as they come: the results are written from the spool
in row order, whatever order the rows finished in."""

from __future__ import annotations

import contextlib
import random

import pytest

from importer.model import Outcome, RowError, Status
from importer.outcome_spool import WRITTEN_EVERY, OutcomeSpool


def outcome(row: int, status: Status = Status.CREATED) -> Outcome:
    contact_id = f"c-{row}" if status is Status.CREATED else ""
    errors = (RowError("Name", "too long"),) if status is Status.INVALID else ()
    return Outcome(row, status, f"t-{row}", {"Name": f"task {row}"}, contact_id, errors=errors)


def test_outcomes_come_back_in_row_order_with_their_cells() -> None:
    rows = list(range(2, 2 * WRITTEN_EVERY + 7))
    random.Random(17).shuffle(rows)
    with contextlib.closing(OutcomeSpool()) as spool:
        for row in rows:
            spool[row] = outcome(row, Status.INVALID if row % 5 == 0 else Status.CREATED)
        back = list(spool.in_row_order())
        assert len(spool) == len(rows)
    assert [o.row for o in back] == sorted(rows)
    assert back[8] == outcome(10, Status.INVALID)
    assert back[0].values == {"Name": "task 2"}


def test_a_row_kept_again_replaces_its_line() -> None:
    with contextlib.closing(OutcomeSpool()) as spool:
        for row in range(WRITTEN_EVERY + 1):
            spool[row] = outcome(row)
        spool[3] = outcome(3, Status.FAILED)
        assert spool[3].status is Status.FAILED
        assert 3 in spool and WRITTEN_EVERY + 5 not in spool
        assert [o.status for o in spool.in_row_order()].count(Status.FAILED) == 1
        with pytest.raises(KeyError):
            spool[WRITTEN_EVERY + 5]


def test_contact_ids_are_those_of_the_outcomes() -> None:
    with contextlib.closing(OutcomeSpool()) as spool:
        spool[2], spool[3] = outcome(2), outcome(3, Status.INVALID)
        assert set(spool.contact_ids()) == {"c-2", ""}


def test_closing_removes_the_spool() -> None:
    spool = OutcomeSpool()
    spool[2] = outcome(2)
    folder = spool._folder
    spool.close()
    assert not folder.exists()
