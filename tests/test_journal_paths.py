"""Where the journal lives: an explicit path, $TASK_IMPORTER_JOURNAL, or this user's state
folder on each OS (platformdirs' class for that OS put in place of this machine's)."""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

import platformdirs
import platformdirs.macos
import platformdirs.unix
import platformdirs.windows
import pytest

from importer.journal import ENV_VAR, default_path, resolve_path


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A home folder, no $TASK_IMPORTER_JOURNAL and no $XDG_STATE_HOME."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    return tmp_path / "home"


def on(monkeypatch: pytest.MonkeyPatch, platform: type[platformdirs.PlatformDirs]) -> None:
    monkeypatch.setattr(platformdirs, "PlatformDirs", platform)


def test_linux_keeps_the_xdg_state_folder(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    on(monkeypatch, platformdirs.unix.Unix)
    assert default_path() == home / ".local/state/connect-task-importer/journal.sqlite3"
    monkeypatch.setenv("XDG_STATE_HOME", "/srv/state")
    assert default_path() == Path("/srv/state/connect-task-importer/journal.sqlite3")


def test_macos_uses_application_support(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    on(monkeypatch, platformdirs.macos.MacOS)
    assert default_path() == (
        home / "Library/Application Support/connect-task-importer/journal.sqlite3"
    )


def test_windows_uses_local_app_data(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    on(monkeypatch, platformdirs.windows.Windows)
    # This machine has no Windows shell API: read the folder from %LOCALAPPDATA%, as
    # platformdirs does on a Windows without it.
    monkeypatch.setattr(
        platformdirs.windows,
        "_RESOLVE_WIN_FOLDER",
        platformdirs.windows.get_win_folder_from_env_vars,
    )
    monkeypatch.setenv("LOCALAPPDATA", r"C:\Users\ops\AppData\Local")
    assert PureWindowsPath(str(default_path())) == PureWindowsPath(
        r"C:\Users\ops\AppData\Local\connect-task-importer\journal.sqlite3"
    )


@pytest.mark.parametrize(
    "platform", [platformdirs.unix.Unix, platformdirs.macos.MacOS, platformdirs.windows.Windows]
)
def test_the_environment_and_an_explicit_path_win_on_every_os(
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
    tmp_path: Path,
    platform: type[platformdirs.PlatformDirs],
) -> None:
    on(monkeypatch, platform)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "mine.db"))
    assert default_path() == tmp_path / "mine.db"
    assert resolve_path(None) == tmp_path / "mine.db"
    assert resolve_path(tmp_path / "explicit.db") == tmp_path / "explicit.db"
    assert resolve_path("~/j.sqlite3") == home / "j.sqlite3"


def test_a_mac_keeps_the_journal_an_earlier_version_made_until_one_is_in_its_own_place(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    on(monkeypatch, platformdirs.macos.MacOS)
    earlier = home / ".local/state/connect-task-importer/journal.sqlite3"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"")
    assert default_path() == earlier
    own = home / "Library/Application Support/connect-task-importer/journal.sqlite3"
    own.parent.mkdir(parents=True)
    own.write_bytes(b"")
    assert default_path() == own
