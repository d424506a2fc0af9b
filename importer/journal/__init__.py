"""The journal of every ClientToken sent (see importer.journal.store)."""

from importer.journal.paths import APP_DIR, ENV_VAR, FILE_NAME, default_path, resolve_path
from importer.journal.records import CreatedTask, Entry, JournalStatus, RunInfo, request_digest
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
    "JournalStatus",
    "RunInfo",
    "default_path",
    "request_digest",
    "resolve_path",
]
