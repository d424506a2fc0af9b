"""The importer's exception tree. Every error a user can cause is one of these.

    ImporterError              base; carries the exit code the CLI uses
    ├── UsageError             bad option, mapping template or config value (exit 2)
    ├── InputFileError         input file missing, unreadable, no header, bad sheet (exit 2)
    │   └── ResultsFileGiven   the input is a results file, which retry reads (exit 2)
    ├── JournalError           the journal cannot be opened, read or written (exit 2: nothing
    │   │                      sent; a run that meets it while sending stops, exit 3)
    │   └── JournalLockedError another run holds the journal (exit 4)
    └── ApiError               one call to AWS failed: its ErrorKind, code and message
                               (importer.aws classifies botocore's exceptions). The executor
                               makes it a row's outcome, preflight a failed check: no command
                               ends on one (one that escaped would exit 3)

    Interrupted                Ctrl-C, Ctrl-Break or SIGTERM before sending (exit 3); like
                               KeyboardInterrupt, a BaseException, so that no ``except
                               Exception`` around reading a file takes it for a bad file

The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``; no traceback.
Per-row problems are not exceptions: they are ``RowError`` records on the row.
"""

from enum import StrEnum

from importer.exitcodes import ExitCode


class ImporterError(Exception):
    """Base of every error the importer reports to a user."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(ImporterError):
    """A command-line option, mapping template or config value is wrong."""


class InputFileError(ImporterError):
    """The input file cannot be read as a spreadsheet of tasks."""


class ResultsFileGiven(InputFileError):
    """An input file is a results file (known by its content, whatever its name).

    Sending its rows again as new tasks would create each task a second time; ``retry``
    is what reads a results file.
    """

    def __init__(self, location: str) -> None:
        self.location = location
        self.reason = (
            f"this is a results file: use `task-importer retry {location}` to send its failed "
            "rows again (read as input, each of its rows would be a second task)"
        )
        super().__init__(f"{location}: {self.reason}")


class JournalError(ImporterError):
    """The journal cannot be opened, read or written (a folder that cannot be created or
    written, a file that is no journal, a full disk)."""


class JournalLockedError(JournalError):
    """Another run holds the journal."""

    exit_code = ExitCode.LOCKED


class ErrorKind(StrEnum):
    """What an AWS error means for the row and for the run."""

    THROTTLE = "throttle"
    """Over the request-rate quota: slow down and retry."""
    TRANSIENT = "transient"
    """A service or network fault: retry with the same ClientToken."""
    QUOTA = "quota"
    """Too many active tasks (or 12 tasks on one PreviousContactId): pause, then stop."""
    ACCESS_DENIED = "access_denied"
    """Credentials or IAM refuse the call: stop the run, nothing else will pass."""
    CONFIG_NOT_FOUND = "config_not_found"
    """The instance, flow, template or quick connect does not exist."""
    ROW_INVALID = "row_invalid"
    """The service rejected this row's content: report it, never retry."""
    MISMATCH = "mismatch"
    """The ClientToken was used before with a different request body."""


RETRYABLE = frozenset({ErrorKind.THROTTLE, ErrorKind.TRANSIENT})


class ApiError(ImporterError):
    """One call to AWS failed, classified: what it means (``kind``), the service's error
    code and message, and whether a task may exist all the same."""

    exit_code = ExitCode.STOPPED

    def __init__(
        self,
        kind: ErrorKind,
        code: str,
        message: str,
        http_status: int | None = None,
        *,
        maybe_created: bool = False,
        no_answer: bool = False,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.kind = kind
        self.code = code
        self.message = message
        self.http_status = http_status
        self.maybe_created = maybe_created
        """True when the service may have created the task without us seeing the answer."""
        self.no_answer = no_answer
        """True when nothing came back from the endpoint: no connection, or no answer in
        time."""

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


class Interrupted(BaseException):
    """Ctrl-C, Ctrl-Break or SIGTERM arrived while a command was not sending (finding or
    reading files)."""

    exit_code = ExitCode.STOPPED
