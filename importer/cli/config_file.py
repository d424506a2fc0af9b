"""``--config FILE``: the options of a run in a TOML file, so a scheduled command stays short.

Keys are the long option names without their dashes (``instance-id``, ``rate``,
``journal``, ``results-dir``, ``no-progress = true``...) plus ``inputs``: a list of files,
globs, folders or s3:// URLs. Relative paths are read from the config file's folder.
Options given on the command line win over the file. A key that no ``run`` option has is an
error naming it; a key the current command has no use for (``rate`` for ``validate``) is
ignored, so one file serves every command.

Windows paths: in a TOML basic string ("...") a backslash starts an escape, so
``"C:\\data\\tasks.csv"`` is not TOML and ``"C:\\new\\tasks.csv"`` silently holds a line
feed and a tab. Either is an error naming the file, the line and the fix: single quotes
(``'C:\\new\\tasks.csv'``, a literal string) or forward slashes.
"""

from __future__ import annotations

import argparse
import difflib
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from importer.cli.options import Option
from importer.errors import UsageError
from importer.locations import is_s3

_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_BACKSLASHED = re.compile(r'"((?:[^"\\]|\\.)*\\(?:[^"\\]|\\.)*)"')
"""A double-quoted TOML string holding a backslash; group 1: its text as written."""
_ESCAPE = "starts an escape there (\\n: a line break, \\t: a tab)"
_ESCAPED = re.compile("[\x00-\x1f\x7f]")
"""What a backslash escape such as \\n, \\t, \\b, \\f or \\r turns into: never in a path."""


def load(path: str | Path) -> dict[str, Any]:
    """The file's keys and values; a missing file or a TOML error is a UsageError."""
    return _parsed(path, _read(path))


def _read(path: str | Path) -> str:
    """The file's text (UTF-8; a byte order mark, as Windows Notepad may write, is skipped)."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as problem:
        raise UsageError(f"cannot read the config file {path}: {problem.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"config file {path} is not UTF-8 text; save it as UTF-8") from None


def _parsed(path: str | Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        found = _AT_LINE.search(str(problem))
        number = int(found.group(1)) if found else 0
        lines = text.splitlines()
        fix = _windows_path_fix(lines[number - 1]) if 0 < number <= len(lines) else ""
        hint = (
            f": line {number} holds a backslash in double quotes, which {_ESCAPE}; {fix}"
            if fix
            else ""
        )
        raise UsageError(f"config file {path} is not valid TOML: {problem}{hint}") from None


def _windows_path_fix(line: str) -> str:
    """How to write the backslashed double-quoted string on ``line``; '' if it has none."""
    found = _BACKSLASHED.search(line)
    if found is None:
        return ""
    written = found.group(1)
    literal = f"'{written}'" if "'" not in written else "'...'"
    slashes = written.replace("\\", "/")
    return (
        "write a Windows path in single quotes, where a backslash is just a backslash "
        f'({literal}), or with forward slashes ("{slashes}")'
    )


def _check_path(path: str | Path, lines: list[str], key: str, value: Any) -> None:
    """A UsageError if a path value holds what only a backslash escape makes (a Windows path
    in double quotes: "C:\\new\\tasks.csv"); ``lines``: the file's."""
    items = value if isinstance(value, list) else [value]
    if not any(isinstance(item, str) and _ESCAPED.search(item) for item in items):
        return
    start = next((n for n, line in enumerate(lines) if _assigns(line, key)), 0)
    number = next((n for n in range(start, len(lines)) if _BACKSLASHED.search(lines[n])), start)
    fix = _windows_path_fix(lines[number]) if lines else ""
    fix = fix or "write a Windows path in single quotes or with forward slashes"
    raise UsageError(
        f"config file {path}, line {number + 1}: {key} holds a control character (a line "
        f"break, a tab) from a backslash in double quotes, which {_ESCAPE}; {fix}"
    )


def _assigns(line: str, key: str) -> bool:
    return re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line) is not None


def defaults(
    path: str | Path, options: Iterable[Option], schema: Iterable[Option]
) -> dict[str, Any]:
    """The config file's values as defaults of a command with ``options``, by destination;
    ``schema`` (run's options) names the keys a config file may have."""
    text = _read(path)
    config = _parsed(path, text)
    known = _by_key(schema)
    here = _by_key(options)
    values: dict[str, Any] = {}
    for key, value in config.items():
        if key not in known:
            raise UsageError(_unknown_key(path, key, known))
        if known[key].path:
            _check_path(path, text.splitlines(), key, value)
        if key in here:
            option = here[key]
            values[option.dest] = _converted(path, key, value, option, Path(path).parent)
    return values


def _by_key(options: Iterable[Option]) -> dict[str, Option]:
    return {option.key: option for option in options if option.dest != "config"}


def _unknown_key(path: str | Path, key: str, known: dict[str, Option]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return (
        f"config file {path}: unknown key '{key}'{hint} "
        f"Keys are run's long options without '--': {', '.join(sorted(known))}"
    )


def _converted(path: str | Path, key: str, value: Any, option: Option, base: Path) -> Any:
    """The value as the command line would have produced it, or a UsageError naming the key."""
    where = f"config file {path}: {key}"
    if option.is_flag:
        if not isinstance(value, bool):
            raise UsageError(f"{where} must be true or false, not {value!r}")
        return value
    if option.is_list:
        items = value if isinstance(value, list) else [value]
        return [_converted_one(where, item, option, base) for item in items]
    return _converted_one(where, value, option, base)


def _converted_one(where: str, value: Any, option: Option, base: Path) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UsageError(f"{where} must be a string or a number, not {value!r}")
    text = str(value)
    if option.path and text != "-" and not is_s3(text):
        text = str(base / Path(text).expanduser())
    try:
        return option.type(text) if option.type is not None else text
    except (argparse.ArgumentTypeError, ValueError, TypeError) as problem:
        raise UsageError(f"{where}: {value!r} is not accepted: {problem}") from None
