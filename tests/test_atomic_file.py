"""AtomicFile: a file that cannot be replaced (open in Excel, on Windows) is left as it is;
with ``beside_if_locked`` the new one goes beside it under a free ``(n)`` name."""

from __future__ import annotations

from pathlib import Path

import pytest
from spreadsheets import open_in_excel

from importer.atomic_file import AtomicFile


@pytest.fixture
def locked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """``report.csv``, which os.replace cannot replace, as on Windows while Excel has it."""
    target = tmp_path / "report.csv"
    target.write_text("earlier")
    open_in_excel(monkeypatch, target)
    return target


def write(target: Path, text: str, beside_if_locked: bool) -> Path:
    file = AtomicFile(target, beside_if_locked=beside_if_locked)
    file.path.write_text(text)
    return file.commit()


def test_by_default_a_file_that_cannot_be_replaced_is_an_error_and_stays(locked: Path) -> None:
    with pytest.raises(PermissionError):
        write(locked, "new", beside_if_locked=False)
    assert locked.read_text() == "earlier"
    assert sorted(p.name for p in locked.parent.iterdir()) == ["report.csv"]


def test_beside_if_locked_takes_the_first_free_name_and_never_replaces_one(locked: Path) -> None:
    folder = locked.parent
    (folder / "report (2).csv").write_text("someone's copy")

    assert write(locked, "first", beside_if_locked=True) == folder / "report (1).csv"
    assert write(locked, "second", beside_if_locked=True) == folder / "report (3).csv"

    assert locked.read_text() == "earlier"
    assert (folder / "report (1).csv").read_text() == "first"
    assert (folder / "report (2).csv").read_text() == "someone's copy"
    assert (folder / "report (3).csv").read_text() == "second"
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_file_that_can_be_replaced_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("earlier")
    assert write(target, "new", beside_if_locked=True) == target
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]
