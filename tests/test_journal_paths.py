"""Where the journal lives: an explicit path, $TASK_IMPORTER_JOURNAL, or the XDG state folder."""

from __future__ import annotations

from pathlib import Path

from importer.journal import ENV_VAR, default_path, resolve_path


def test_default_location(tmp_path: Path) -> None:
    home = Path.home()
    assert default_path({}) == home / ".local/state/connect-task-importer/journal.sqlite3"
    xdg = {"XDG_STATE_HOME": str(tmp_path)}
    assert default_path(xdg) == tmp_path / "connect-task-importer/journal.sqlite3"
    env = {**xdg, ENV_VAR: str(tmp_path / "mine.db")}
    assert default_path(env) == tmp_path / "mine.db"
    assert resolve_path(tmp_path / "explicit.db", env) == tmp_path / "explicit.db"
    assert resolve_path(None, env) == tmp_path / "mine.db"
