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
from pathlib import Path
from typing import Any

from importer.errors import UsageError
from importer.locations import is_s3

PATH_KEYS = frozenset(
    {
        "inputs",
        "mapping",
        "journal",
        "results",
        "results-dir",
        "archive-dir",
        "log-file",
        "summary-json",
    }
)
"""Keys whose values are paths: relative ones are taken from the config file's folder."""


def load(path: str | Path) -> dict[str, Any]:
    """The file's keys and values; a missing file or a TOML error is a UsageError."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as problem:
        raise UsageError(f"cannot read the config file {path}: {problem.strerror}") from None
    except tomllib.TOMLDecodeError as problem:
        raise UsageError(f"config file {path} is not valid TOML: {problem}") from None


def apply(
    path: str | Path,
    parser: argparse.ArgumentParser,
    schema: argparse.ArgumentParser,
) -> None:
    """Make the config file's values ``parser``'s defaults; ``schema`` (run) names the keys."""
    config = load(path)
    known = _options_by_key(schema)
    here = _options_by_key(parser)
    defaults: dict[str, Any] = {}
    for key, value in config.items():
        if key not in known:
            raise UsageError(_unknown_key(path, key, known))
        if key in here:
            action = here[key]
            defaults[action.dest] = _converted(path, key, value, action, Path(path).parent)
    parser.set_defaults(**defaults)


def _options_by_key(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    options: dict[str, argparse.Action] = {}
    for action in parser._actions:
        if action.dest in ("help", "config"):
            continue
        if not action.option_strings:
            options[action.dest] = action
        for option in action.option_strings:
            if option.startswith("--"):
                options[option[2:]] = action
    return options


def _unknown_key(path: str | Path, key: str, known: dict[str, argparse.Action]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return (
        f"config file {path}: unknown key '{key}'{hint} "
        f"Keys are run's long options without '--': {', '.join(sorted(known))}"
    )


def _converted(path: str | Path, key: str, value: Any, action: argparse.Action, base: Path) -> Any:
    """The value as the command line would have produced it, or a UsageError naming the key."""
    where = f"config file {path}: {key}"
    if action.nargs == 0:
        if not isinstance(value, bool):
            raise UsageError(f"{where} must be true or false, not {value!r}")
        return value if action.const is True else not value
    if action.nargs in ("*", "+"):
        items = value if isinstance(value, list) else [value]
        return [_converted_one(where, key, item, action, base) for item in items]
    return _converted_one(where, key, value, action, base)


def _converted_one(where: str, key: str, value: Any, action: argparse.Action, base: Path) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UsageError(f"{where} must be a string or a number, not {value!r}")
    text = str(value)
    if key in PATH_KEYS and text != "-" and not is_s3(text):
        text = str(base / Path(text).expanduser())
    try:
        converted = action.type(text) if callable(action.type) else text
    except (argparse.ArgumentTypeError, ValueError, TypeError) as problem:
        raise UsageError(f"{where}: {value!r} is not accepted: {problem}") from None
    if action.choices is not None and converted not in action.choices:
        choices = ", ".join(map(str, action.choices))
        raise UsageError(f"{where}: {value!r} is not one of {choices}")
    return converted
