"""Process exit codes: a public contract that schedulers and scripts depend on."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Every row is valid (validate) or created / already created (run)."""
    ROWS_FAILED = 1
    """Some rows are invalid or failed; the results file says which and why."""
    USAGE = 2
    """Usage, configuration or input-file error; nothing was sent."""
    STOPPED = 3
    """The run stopped early (access denied, quota, no answer, journal error, interrupted);
    a re-run continues."""
    LOCKED = 4
    """Another run holds the journal."""
