"""The importer's exception tree. Every error a user can cause is one of these.

    ImporterError              base; carries the exit code the CLI uses
    ├── UsageError             bad option, mapping template or config value (exit 2)
    ├── InputFileError         input file missing, unreadable, no header, bad sheet (exit 2)
    │   └── ResultsFileGiven   the input is a results file, which retry reads (exit 2)
    └── JournalError           the journal cannot be opened, read or written (exit 2: nothing
        │                      sent; a run that meets it while sending stops, exit 3)
        └── JournalLockedError another run holds the journal (exit 4)

    Interrupted                Ctrl-C or SIGTERM before sending started (exit 3); like
                               KeyboardInterrupt, a BaseException, so that no ``except
                               Exception`` around reading a file takes it for a bad file

The CLI prints ``str(error)`` as one line and exits with ``error.exit_code``; no traceback.
Per-row problems are not exceptions: they are ``RowError`` records on the row.
"""

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


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM arrived while a command was not sending (finding or reading files)."""

    exit_code = ExitCode.STOPPED
