"""The journal of every ClientToken sent (see importer.journal.store), and a read-only look
at it (importer.journal.reader)."""

from importer.journal.lock import holder_alive, holder_pid, process_check, read_holder
from importer.journal.paths import APP_DIR, ENV_VAR, FILE_NAME, default_path, resolve_path
from importer.journal.queries import JournalQueries
from importer.journal.reader import JournalReader, RunRow, reading
from importer.journal.records import (
    CreatedTask,
    Entry,
    JournalStatus,
    RunInfo,
    StoppedTask,
    readable_time,
    request_digest,
)
from importer.journal.refusals import record_refused_run
from importer.journal.schema import SCHEMA_VERSION
from importer.journal.store import Journal

__all__ = [
    "APP_DIR",
    "ENV_VAR",
    "FILE_NAME",
    "SCHEMA_VERSION",
    "CreatedTask",
    "Entry",
    "Journal",
    "JournalQueries",
    "JournalReader",
    "JournalStatus",
    "RunInfo",
    "RunRow",
    "StoppedTask",
    "default_path",
    "holder_alive",
    "holder_pid",
    "process_check",
    "read_holder",
    "readable_time",
    "reading",
    "record_refused_run",
    "request_digest",
    "resolve_path",
]
