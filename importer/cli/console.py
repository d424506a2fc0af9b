"""What the CLI tells its user: log lines on stderr, timestamped unless stderr is a terminal.

Human messages go through the ``importer.cli`` logger at INFO, so ``--log-file`` gets them
too; stdout is kept for machine output (``--summary-json -``, ``validate --show-tokens``).
Every record is one line: control characters in a message (a file name may hold a line
feed) are escaped. The library's own loggers stay silent at INFO about task content: only
counts, rates, row numbers and column names. botocore and urllib3 are held at WARNING even
with ``-v``: their debug output carries request bodies and signed headers. A character
stdout's or stderr's encoding lacks (a Cyrillic file name on a cp1252 Windows console)
is written as '?' rather than raising ``UnicodeEncodeError``.
"""

from __future__ import annotations

import copy
import io
import logging
import re
import sys
import time
from collections.abc import Mapping

from importer.errors import UsageError
from importer.model import Status
from importer.progress import Mode, Progress, make_progress
from importer.reporter import LogReporter

log = logging.getLogger("importer.cli")

TIMESTAMPED = "%(asctime)s %(levelname)s %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_HANDLER_NAME = "task-importer"
"""Marks the handlers ``configure`` installed, so calling it again replaces them."""
_QUIET_LIBRARIES = ("botocore", "boto3", "urllib3", "s3transfer")


def say(message: str) -> None:
    log.info(message)


def warn(message: str) -> None:
    log.warning(message)


def error(message: str) -> None:
    log.error(message)


class ConsoleReporter(LogReporter):
    """What the use cases tell the CLI's user: messages as log lines (see the module), a
    progress bar or lines on stderr (none with ``no_progress``), tokens and a dry run's
    listing on stdout."""

    def __init__(self, no_progress: bool = False) -> None:
        super().__init__(log)
        self._progress: Mode = "none" if no_progress else "auto"

    def progress(self, total: int, done: Mapping[Status, int] | None = None) -> Progress:
        return make_progress(self._progress, total=total, done=done)

    def row_token(self, row: int, token: str) -> None:
        print(f"  row {row}: {token}")

    def item(self, text: str) -> None:
        print(f"  {text}")

    def planned_row(self, row: int, plan: str) -> None:
        print(f"  row {row}: {plan}")


_LINE_BREAKING = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
"""Control characters (all but tab), and the Unicode line and paragraph separators."""
_ESCAPES = {"\n": "\\n", "\r": "\\r"}


def _one_line(message: str) -> str:
    """``message`` with its line breaks and other control characters escaped (``\\n``,
    ``\\x1b``), so that a file name holding them can neither forge a log line nor drive
    the terminal."""
    return _LINE_BREAKING.sub(_escape, message)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return _ESCAPES.get(match.group(), f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


class _OneLineFormatter(logging.Formatter):
    """One log record, one line: the message's control characters are escaped (a
    traceback that follows it, from ``exc_info``, keeps its lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        escaped = copy.copy(record)
        escaped.message = _one_line(record.message)
        return super().formatMessage(escaped)


class _TerminalFormatter(_OneLineFormatter):
    """Plain messages on a terminal; warnings and errors say what they are."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"task-importer: error: {message}"
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message


def _timestamped() -> logging.Formatter:
    formatter = _OneLineFormatter(TIMESTAMPED, DATE_FORMAT)
    formatter.converter = time.gmtime
    return formatter


def replace_unencodable() -> None:
    """Make stdout and stderr write '?' for characters their encoding cannot hold, where
    they are text streams that can be reconfigured (under pythonw.exe they are None)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if isinstance(stream, io.TextIOBase) and callable(reconfigure):
            reconfigure(errors="replace")


def configure(verbose: bool = False, log_file: str | None = None) -> None:
    """stderr at INFO (DEBUG with ``verbose``), timestamped when not a terminal; and a file."""
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(_TerminalFormatter() if sys.stderr.isatty() else _timestamped())
    handlers: list[logging.Handler] = [stream]
    if log_file:
        try:
            to_file = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as problem:
            raise UsageError(f"cannot write the log file {log_file}: {problem.strerror}") from None
        to_file.setFormatter(_timestamped())
        handlers.append(to_file)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        handler.set_name(_HANDLER_NAME)
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
