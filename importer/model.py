"""Records passed between the layers: a row as read, a row made into a request, an outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """The `status` column of a results file (a public contract)."""

    VALID = "valid"
    INVALID = "invalid"
    CREATED = "created"
    ALREADY_CREATED = "already_created"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"
    STOPPED = "stopped"
    """The task was created, then ended by ``undo`` (StopContact)."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One thing wrong with a row: which column, what is wrong and how to fix it."""

    column: str
    message: str
    code: str = "Validation"

    def __str__(self) -> str:
        return f"{self.column}: {self.message}" if self.column else self.message


@dataclass(slots=True)
class SourceRow:
    """A spreadsheet row as read: its row number as Excel shows it, and its cells as text.

    ``overflow`` names the columns (letters) beyond the header that hold a value;
    ``problems`` are cells that could not be read as a value (e.g. an Excel error).
    """

    number: int
    values: dict[str, str]
    overflow: list[str] = field(default_factory=list)
    problems: list[RowError] = field(default_factory=list)


@dataclass(slots=True)
class PreparedRow:
    """A row turned into a StartTaskContact request (keyword arguments), or its errors.

    ``request`` is None when ``errors`` is not empty. ``request["ScheduledTime"]``, when
    present, is epoch seconds (int), which is what goes on the wire.
    """

    source: SourceRow
    request: dict[str, Any] | None
    client_token: str
    errors: list[RowError] = field(default_factory=list)
    own_token: bool = False
    """The row names its token (a ClientToken cell, or its key) rather than its content."""
    origin_token: str = ""
    """The token this row was sent as before an edit in its results file gave it another
    (set by retry; the journal keeps it, so a run of the unedited input finds the task)."""
    columns: dict[str, str] | None = None
    """Where the request's values came from (path -> column), kept for a row whose user
    name or attachments are resolved just before sending (importer.outbound), so that
    what is wrong with them names the column."""

    @property
    def number(self) -> int:
        return self.source.number

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_text(self) -> str:
        """The row's errors in one line."""
        return "; ".join(str(error) for error in self.errors)

    def outcome(self, status: Status, **details: Any) -> Outcome:
        """This row's results line; an invalid row carries its errors."""
        if self.errors and "error_message" not in details:
            codes = {error.code for error in self.errors}
            details["error_code"] = codes.pop() if len(codes) == 1 else "Validation"
            details["error_message"] = self.error_text
            details["errors"] = tuple(self.errors)
        return Outcome(self.number, status, self.client_token, self.source.values, **details)


@dataclass(slots=True)
class Outcome:
    """What happened to one row: a line of the results file.

    ``errors`` are an invalid row's validation errors, one by one, so the results workbook
    can put each on the cell it is about; ``error_message`` holds them joined.
    """

    row: int
    status: Status
    client_token: str
    values: dict[str, str]
    contact_id: str = ""
    error_code: str = ""
    error_message: str = ""
    attempts: int = 0
    errors: tuple[RowError, ...] = ()
