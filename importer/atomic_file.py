"""Files replaced in one step: written beside the target under a temporary name, flushed to
disk, then renamed over it, so a reader sees the old file or the new one, never half of one.

The new file keeps the mode of the file it replaces; a file that did not exist gets the mode
any other program would give it (0o666 less the umask), never the 0o600 of the temporary
file: results and summaries sit in shared drop folders that colleagues must be able to open.

On Windows a file another program holds open (a workbook open in Excel) cannot be replaced:
the rename raises PermissionError. An AtomicFile made ``beside_if_locked`` then leaves that
file as it is and puts the new one beside it, as ``<stem> (1)<suffix>`` (``(2)``, ... when
that name is taken), never over an existing file.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self


class CommitOrAbort:
    """As a context manager: ``commit()`` when the block ends normally, ``abort()`` when it
    raises."""

    def commit(self) -> Path:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()


class AtomicFile(CommitOrAbort):
    """A temporary file beside ``target``, at ``path``, to be written by path or stream.

    ``commit`` flushes it to disk, gives it its mode and renames it over ``target`` (or,
    ``beside_if_locked``, beside a ``target`` that cannot be replaced: see the module);
    ``abort`` removes it and leaves ``target`` as it was. Raises OSError when ``target``
    cannot be written (an existing folder is an IsADirectoryError).
    """

    def __init__(self, target: str | os.PathLike[str], beside_if_locked: bool = False) -> None:
        self.target = Path(target)
        self.beside_if_locked = beside_if_locked
        if self.target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "it is a folder", str(self.target))
        self.target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(
            dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".tmp"
        )
        os.close(handle)
        self.path = Path(temp)

    def commit(self) -> Path:
        """Put the written file in place of ``target``; the path written. On failure,
        ``target`` is unchanged."""
        try:
            _fsync(self.path, os.O_RDWR)
            os.chmod(self.path, _mode_for(self.target))
            written = self._put_in_place()
        except BaseException:
            self.abort()
            raise
        _fsync_directory(written.parent)
        return written

    def _put_in_place(self) -> Path:
        try:
            os.replace(self.path, self.target)
        except PermissionError as locked:
            if not (self.beside_if_locked and self.target.exists()):
                raise
            return _move_beside(self.path, self.target, locked)
        return self.target

    def abort(self) -> None:
        self.path.unlink(missing_ok=True)


_MAX_COPIES = 999
"""``<stem> (1)`` to ``(999)``: past that, the folder needs someone's attention."""


def _move_beside(temp: Path, target: Path, locked: PermissionError) -> Path:
    """Rename ``temp`` to the first free ``<stem> (n)<suffix>`` beside ``target``; each name
    is claimed by creating it first, so no file there is ever replaced."""
    for number in range(1, _MAX_COPIES + 1):
        copy = target.with_name(f"{target.stem} ({number}){target.suffix}")
        try:
            os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        try:
            os.replace(temp, copy)
        except BaseException:
            copy.unlink(missing_ok=True)
            raise
        return copy
    raise locked


def _mode_for(target: Path) -> int:
    """The permission bits of the file ``target`` replaces, else 0o666 less the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode) & 0o777
    except OSError:
        return 0o666 & ~_umask()


@functools.cache
def _umask() -> int:
    """The process's umask.

    POSIX reads it only by setting it (``os.umask`` returns the old mask), so it is read
    once, cached, and set meanwhile to 0o077: a file another thread creates in that instant
    is its owner's alone, never more open than it should be. Read on first use, not at
    import, so a program that sets its umask when it starts is honoured.
    """
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _fsync(path: Path, flags: int) -> None:
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; best effort (Windows cannot open a folder)."""
    with contextlib.suppress(OSError):
        _fsync(directory, os.O_RDONLY)
