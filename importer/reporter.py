"""How a use case tells its user what it does: messages, a progress display, the
ClientTokens (or tasks) validate and undo show and what a dry run would do with each row.

The library says nothing unless asked: :class:`Reporter` itself is silent (as NullProgress
is); :class:`LogReporter` sends the messages to a logger; the CLI's reporter logs them to
its console, shows a progress bar and prints the tokens on stdout. Messages never hold a
task's content: file names, row numbers, column names, counts and reasons only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from importer.model import Status
from importer.progress import NullProgress, Progress


class Reporter:
    """Says nothing: the library's default. Subclasses choose what to show."""

    def info(self, message: str) -> None:
        """What is being done, and what came of it."""

    def warning(self, message: str) -> None:
        """Something the user should look at; the use case goes on."""

    def error(self, message: str) -> None:
        """Something failed (a file, an upload); the use case goes on with the rest."""

    def progress(self, total: int, done: Mapping[Status, int] | None = None) -> Progress:
        """The display of ``total`` rows being sent, ``done`` of them settled already."""
        return NullProgress()

    def row_token(self, row: int, token: str) -> None:
        """A valid row's ClientToken, reported when asked to show them (validate)."""

    def planned_row(self, row: int, plan: str) -> None:
        """What a run would do with a row (a dry run): 'send cti1-...', 'already created'."""

    def item(self, text: str) -> None:
        """One line of a listing the user asked for (what undo --dry-run would stop)."""


class LogReporter(Reporter):
    """Messages to a logger (``importer`` unless told), at INFO, WARNING and ERROR."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.log = logger if logger is not None else logging.getLogger("importer")

    def info(self, message: str) -> None:
        self.log.info(message)

    def warning(self, message: str) -> None:
        self.log.warning(message)

    def error(self, message: str) -> None:
        self.log.error(message)
