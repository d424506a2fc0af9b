"""Which files a run reads: named files, globs, folders (an inbox) and S3 prefixes.

A named file is always read (one that is missing is that file's error, found when it is
read, like an unreadable one). Files found in a folder, by a glob or under an S3 prefix are
the inbox: results files, hidden files and Excel's ``~$`` owner files are passed over, and a
local file still being written (its size changed while we watched, or Excel holds it open,
which a ``~$`` file beside it shows) is left for the next run, as is a symbolic link that
leads nowhere, with a warning. (A results file under another name is known by its content,
when it is read: importer.pipeline.)
"""

from __future__ import annotations

import glob
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from importer.locations import S3, S3Url, is_s3

log = logging.getLogger(__name__)

INPUT_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls", ".ods")
RESULTS_MARK = ".results."
_RESULTS_NAME = re.compile(r"\.results(?: \(\d+\))?\.")
"""A results file's name: ``tasks.results.csv``, or ``tasks.results (1).xlsx`` written
beside one that was open in Excel."""
EXCEL_OWNER_PREFIX = "~$"
LEADS_NOWHERE = "a symbolic link that leads nowhere: a loop or a missing target"


@dataclass(frozen=True)
class InputFile:
    location: str
    """A local path or an s3:// URL, as the user will recognise it."""
    from_inbox: bool
    """Found in a folder, by a glob or under a prefix (not named one by one)."""


@dataclass
class Found:
    inputs: list[InputFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(location, why) for inbox files left for the next run."""


def find_inputs(
    specs: Iterable[str],
    s3: Callable[[], S3],
    settle_seconds: float = 2.0,
) -> Found:
    """Expand each spec; watch inbox files ``settle_seconds`` for growth (one wait in all)."""
    found = Found()
    seen: set[str] = set()
    for spec in specs:
        for item in _expand(spec, s3, found):
            if item.location not in seen:
                seen.add(item.location)
                found.inputs.append(item)
    _leave_files_being_written(found, settle_seconds)
    return found


def _expand(spec: str, s3: Callable[[], S3], found: Found) -> list[InputFile]:
    """The files ``spec`` names; inbox entries that cannot be read go to ``found.skipped``."""
    if is_s3(spec):
        url = S3Url.parse(spec)
        if not url.is_folder:
            return [InputFile(spec, from_inbox=False)]
        return [
            InputFile(str(item), from_inbox=True)
            for item in s3().list_folder(url)
            if _is_inbox_input(item.name)
        ]
    path = Path(spec).expanduser()
    if path.is_dir():
        return _inbox(sorted(path.iterdir()), found)
    if glob.has_magic(spec):
        return _inbox(sorted(Path(match) for match in glob.glob(str(path))), found)
    return [InputFile(str(path), from_inbox=False)]


def _inbox(paths: Iterable[Path], found: Found) -> list[InputFile]:
    inputs = []
    for path in paths:
        if not _is_inbox_input(path.name):
            continue
        if path.is_file():
            inputs.append(InputFile(str(path), from_inbox=True))
        elif path.is_symlink() and not path.exists():
            found.skipped.append((str(path), LEADS_NOWHERE))
    return inputs


def _is_inbox_input(name: str) -> bool:
    return (
        name.lower().endswith(INPUT_SUFFIXES)
        and not _RESULTS_NAME.search(name)
        and not name.startswith((".", EXCEL_OWNER_PREFIX))
    )


def excel_owner_file(path: Path) -> Path | None:
    """Excel's ``~$`` lock file for ``path`` if one exists (the file is open in Excel)."""
    name = path.name
    # Excel writes ~$ + the name, replacing the name's first two characters when it is long.
    for candidate in (EXCEL_OWNER_PREFIX + name, EXCEL_OWNER_PREFIX + name[2:]):
        owner = path.with_name(candidate)
        if owner.exists():
            return owner
    return None


def _leave_files_being_written(found: Found, settle_seconds: float) -> None:
    local = [item for item in found.inputs if item.from_inbox and not is_s3(item.location)]
    sizes = {item.location: _size(item.location) for item in local}
    if local and settle_seconds > 0:
        log.info(
            "Watching %d inbox files for %g s for any still being written",
            len(local),
            settle_seconds,
        )
        time.sleep(settle_seconds)
    for item in local:
        path = Path(item.location)
        owner = excel_owner_file(path)
        if owner is not None:
            why = (
                f"open in Excel since {_modified(owner)} ({owner.name} beside it; if nobody "
                "has it open, delete that file); left for the next run"
            )
        elif _size(item.location) != sizes[item.location]:
            why = "still being written (its size changed); left for the next run"
        else:
            continue
        found.inputs.remove(item)
        found.skipped.append((item.location, why))


def _modified(path: Path) -> str:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except OSError:
        return "an unknown time"


def _size(location: str) -> int:
    try:
        return os.stat(location).st_size
    except OSError:
        return -1
