"""``--config FILE``: the options of a run in a TOML file, so a scheduled command stays short.

Keys are the long option names without their dashes (``instance-id``, ``rate``,
``journal``, ``results-dir``, ``no-progress = true``...) plus ``inputs``: a list of files,
globs, folders or s3:// URLs. Relative paths are read from the config file's folder.
Options given on the command line win over the file. A key that no ``run`` option has is an
error naming it; a key the current command has no use for (``rate`` for ``validate``) is
ignored, so one file serves every command.
"""

from __future__ import annotations

import argparse
import difflib
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from importer.cli.options import Option
from importer.errors import UsageError
from importer.locations import is_s3


def load(path: str | Path) -> dict[str, Any]:
    """The file's keys and values; a missing file or a TOML error is a UsageError."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as problem:
        raise UsageError(f"cannot read the config file {path}: {problem.strerror}") from None
    except tomllib.TOMLDecodeError as problem:
        raise UsageError(f"config file {path} is not valid TOML: {problem}") from None


def defaults(
    path: str | Path, options: Iterable[Option], schema: Iterable[Option]
) -> dict[str, Any]:
    """The config file's values as defaults of a command with ``options``, by destination;
    ``schema`` (run's options) names the keys a config file may have."""
    config = load(path)
    known = _by_key(schema)
    here = _by_key(options)
    values: dict[str, Any] = {}
    for key, value in config.items():
        if key not in known:
            raise UsageError(_unknown_key(path, key, known))
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
