"""An input open in Excel on Windows cannot be moved or deleted: archiving it fails with a
message that says what to do, and leaves no copy in the archive, so the next run, once the
file is closed, archives it exactly once (sending nothing again).

Windows is simulated: renaming or removing the input raises PermissionError, as it does
there while Excel holds the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_runs import cli_args, task_rows, write_input

from importer.cli import main
from importer.sandbox import Sandbox

IN_USE = "The process cannot access the file because it is being used by another process"


def _held_open(monkeypatch: pytest.MonkeyPatch, held: set[Path]) -> None:
    """Renaming or removing a file in ``held`` fails as on Windows while Excel has it open."""
    rename, unlink = os.rename, os.unlink

    def refusing_rename(source: Any, destination: Any, *args: Any, **kwargs: Any) -> None:
        if Path(source) in held:
            raise PermissionError(13, IN_USE, str(source))
        rename(source, destination, *args, **kwargs)

    def refusing_unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path) in held:
            raise PermissionError(13, IN_USE, str(path))
        unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "rename", refusing_rename)
    monkeypatch.setattr(os, "unlink", refusing_unlink)


def test_an_input_open_in_excel_is_not_archived_nor_copied_and_the_next_run_archives_it(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sb = sandbox()
    archive = tmp_path / "archive"
    source = write_input(tmp_path / "tasks.csv", task_rows(3))
    original = source.read_bytes()
    held = {source}
    _held_open(monkeypatch, held)
    args = cli_args("run", source, sb, tmp_path, "--archive-dir", str(archive))

    main(args)

    err = capsys.readouterr().err
    assert f"{source}: all rows done, but archiving failed" in err
    assert "if it is open (in Excel, say), close it: the next run archives it" in err
    assert source.read_bytes() == original
    assert not archive.exists() or list(archive.iterdir()) == []
    assert sb.counters()["created"] == 3

    held.clear()
    assert main(args) == 0

    assert sorted(p.name for p in archive.iterdir()) == ["tasks.csv", "tasks.results.csv"]
    assert (archive / "tasks.csv").read_bytes() == original
    assert not source.exists()
    assert sb.counters()["created"] == 3
