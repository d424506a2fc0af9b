"""Where the journal lives: ``--journal``, ``$TASK_IMPORTER_JOURNAL``, or the XDG state folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP_DIR = "connect-task-importer"
FILE_NAME = "journal.sqlite3"
ENV_VAR = "TASK_IMPORTER_JOURNAL"
FIX = (
    "give --journal (or $TASK_IMPORTER_JOURNAL) a file in a folder this user can create and "
    "write, on a disk with room"
)
"""How to fix a journal that cannot be opened, created or written."""


def default_path(environ: Mapping[str, str] = os.environ) -> Path:
    """``$TASK_IMPORTER_JOURNAL``, else the XDG state directory (``~/.local/state``)."""
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR]).expanduser()
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser() / APP_DIR / FILE_NAME


def resolve_path(
    explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] = os.environ
) -> Path:
    """The journal to use: an explicit path wins over the environment and the default."""
    return Path(explicit).expanduser() if explicit else default_path(environ)
