"""Where the journal lives: ``--journal``, ``$TASK_IMPORTER_JOURNAL``, or this user's state
folder as the OS defines it (platformdirs):

- Linux: ``$XDG_STATE_HOME/connect-task-importer/``, else ``~/.local/state/connect-task-importer/``;
- macOS: ``~/Library/Application Support/connect-task-importer/`` (``$XDG_STATE_HOME`` wins when
  set);
- Windows: ``%LOCALAPPDATA%\\connect-task-importer\\``.

Earlier versions kept it in ``$XDG_STATE_HOME`` (else ``~/.local/state``) on every OS: where
that journal exists and none at the OS's own place yet (a Mac that ran an earlier version),
it stays in use, so no earlier run's ClientTokens are forgotten.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_DIR = "connect-task-importer"
FILE_NAME = "journal.sqlite3"
ENV_VAR = "TASK_IMPORTER_JOURNAL"
FIX = (
    "give --journal (or $TASK_IMPORTER_JOURNAL) a file in a folder this user can create and "
    "write, on a disk with room"
)
"""How to fix a journal that cannot be opened, created or written."""


def state_folder() -> Path:
    """This user's folder for the tool's state on this OS (see the module)."""
    return Path(platformdirs.PlatformDirs(APP_DIR, appauthor=False).user_state_dir)


def default_path() -> Path:
    """``$TASK_IMPORTER_JOURNAL``, else ``journal.sqlite3`` in :func:`state_folder` (or where
    an earlier version put it, see the module)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    path = state_folder() / FILE_NAME
    earlier = _earlier_folder() / FILE_NAME
    if not path.exists() and earlier.exists():
        return earlier
    return path


def resolve_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The journal to use: an explicit path wins over the environment and the default."""
    return Path(explicit).expanduser() if explicit else default_path()


def _earlier_folder() -> Path:
    """Where earlier versions kept the journal, on every OS."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser() / APP_DIR
