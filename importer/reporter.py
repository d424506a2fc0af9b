"""How a use case tells its user what it does: messages, a progress display, and the
ClientTokens (or tasks) a dry run shows.

The library says nothing unless asked: :class:`Reporter` itself is silent (as NullProgress
is); :class:`LogReporter` sends the messages to a logger; the CLI's reporter logs them to
its console, shows a progress bar and prints the tokens on stdout. Messages never hold a
task's content: file names, row numbers, column names, counts and reasons only.
"""

from __future__ import annotations

import logging

from importer.progress import NullProgress, Progress


class Reporter:
    """Says nothing: the library's default. Subclasses choose what to show."""

    def info(self, message: str) -> None:
        """What is being done, and what came of it."""

    def warning(self, message: str) -> None:
        """Something the user should look at; the use case goes on."""

    def error(self, message: str) -> None:
        """Something failed (a file, an upload); the use case goes on with the rest."""

    def progress(self, total: int) -> Progress:
        """The display of ``total`` rows being sent."""
        return NullProgress()

    def row_token(self, row: int, token: str) -> None:
        """A valid row's ClientToken, reported when asked to show them (a dry run)."""

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
