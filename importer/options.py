"""The options of a run, typed: how rows become requests, where the results go, how rows
are sent and where to.

The CLI builds one :class:`RunOptions` from its arguments and ``--config``; a notebook
builds one directly. Every field has the command line's default (``settle_seconds``: 0,
as for validate and check; ``run`` on the command line waits 2 seconds).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from importer.aws import CONNECT_TIMEOUT, READ_TIMEOUT
from importer.errors import InputFileError, UsageError
from importer.executor import ExecutorSettings
from importer.journal import resolve_path
from importer.mapping import MappingSpec
from importer.pipeline import PrepareOptions
from importer.run_summary import file_sha256

CONSTANT_FIELDS = {
    "instance_id": "InstanceId",
    "contact_flow_id": "ContactFlowId",
    "task_template_id": "TaskTemplateId",
    "quick_connect_id": "QuickConnectId",
}
"""The options that set a request field for rows that leave it empty."""
REMEMBERED = ("mapping", *CONSTANT_FIELDS, "timezone", "batch_id", "key_column")
"""How a run's rows became requests: the settings a retry of its results file takes from
the run that wrote it (importer.remembered), unless they are given."""


@dataclass(frozen=True)
class RunOptions:
    """Everything a use case needs besides its files; see the CLI's --help for each."""

    # How rows become requests (every command).
    mapping: str | Path | None = None
    """A mapping template (TOML); the constants below replace its fields."""
    instance_id: str | None = None
    contact_flow_id: str | None = None
    task_template_id: str | None = None
    quick_connect_id: str | None = None
    timezone: str | None = None
    """IANA zone of ScheduledTime values without an offset (None: this machine's)."""
    batch_id: str | None = None
    """The batch of the ClientTokens (None: the input file's name)."""
    key_column: str | None = None
    sheet: str | None = None
    now: dt.datetime | None = None
    """The time ScheduledTime windows are checked against (None: the clock's)."""

    # Where the results go.
    results: str | Path | None = None
    results_dir: str | Path | None = None
    archive_dir: str | Path | None = None
    settle_seconds: float = 0.0
    """How long files found in a folder or by a glob are watched for growth."""

    # How rows are sent (run, retry).
    rate: float = 2.0
    burst: int = 5
    concurrency: int = 4
    max_attempts: int = 8
    max_failures: int | None = None
    max_failure_fraction: float | None = None
    quota_pause: float = 30.0
    journal: str | Path | None = None
    """The journal (None: $TASK_IMPORTER_JOURNAL, else the user's state folder; a throwaway
    one for a sandbox)."""
    send_edited: bool = False
    check: bool = False
    """Run the preflight before sending; a failed check sends nothing."""
    attachment_url_hours: float = 24.0
    """How long the links signed for s3:// attachments live (at most 168: 7 days)."""

    # Where the requests go.
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    sandbox: bool = False
    """The requests go to an emulator: its results and journal are kept apart from real
    ones, and inputs are never archived."""
    fetch_templates: bool = False
    """validate: fetch each task template the rows name and check them against it (run,
    retry and check always do)."""
    sandbox_instance_id: str | None = None
    """With ``sandbox``, the InstanceId of rows that no option or mapping gives one."""

    audit: Mapping[str, Any] | None = field(default=None, compare=False)
    """The settings recorded in the summary and the journal (the CLI: the command's options
    as parsed); None: these options' own."""

    def prepare_options(self) -> PrepareOptions:
        """How rows become requests: the mapping template first, then the constants."""
        spec = MappingSpec.load(self.mapping) if self.mapping else MappingSpec()
        for name, field_name in CONSTANT_FIELDS.items():
            spec.set_constant(field_name, getattr(self, name), "--" + name.replace("_", "-"))
        if self.sandbox and "InstanceId" not in spec.fields:
            spec.set_constant("InstanceId", self.sandbox_instance_id, "--sandbox")
        if self.timezone:
            spec.timezone = self.timezone
        if self.key_column:
            spec.key_column = self.key_column
        return PrepareOptions(mapping=spec, sheet=self.sheet, batch_id=self.batch_id, now=self.now)

    def option_ids(self) -> dict[str, str | None]:
        """The ids the options and the mapping template give every row, as a request names
        them (for the preflight); a UsageError for a mapping that cannot be read."""
        spec = self.prepare_options().mapping
        return {field: spec.constant(field) or None for field in CONSTANT_FIELDS.values()}

    def journal_path(self) -> Path | None:
        """The journal a run keeps; None for a throwaway one (a sandbox run without one)."""
        if self.sandbox and self.journal is None:
            return None
        return resolve_path(self.journal)

    def executor_settings(self) -> ExecutorSettings:
        """How fast and how persistently rows are sent; a UsageError for a bad value."""
        return ExecutorSettings(
            concurrency=self.concurrency,
            rate=self.rate,
            burst=self.burst,
            max_attempts=self.max_attempts,
            max_failures=self.max_failures,
            max_failure_fraction=self.max_failure_fraction,
            quota_pause_seconds=self.quota_pause,
        )

    def audit_record(self) -> dict[str, Any]:
        """The settings to record: ``audit``, else every field, then the effective settings
        over them (no secrets: options carry none; credentials come from the AWS
        configuration)."""
        if self.audit is not None:
            given = dict(self.audit)
        else:
            given = {
                option.name: _plain(getattr(self, option.name))
                for option in dataclasses.fields(self)
                if option.name != "audit"
            }
        return {**given, **self.effective_settings()}

    def effective_settings(self) -> dict[str, Any]:
        """How rows become requests, wherever each setting came from: an option, else the
        mapping template (``from_mapping`` names those), else the sandbox's instance. The
        mapping is an absolute path, with its ``mapping_sha256`` (None if it cannot be
        read: the command says why)."""
        settings: dict[str, Any] = {name: getattr(self, name) for name in REMEMBERED}
        from_mapping = []
        spec, settings["mapping_sha256"] = None, None
        if self.mapping:
            path = Path(self.mapping).absolute()
            settings["mapping"] = str(path)
            with contextlib.suppress(UsageError, InputFileError):
                spec = MappingSpec.load(path)
                settings["mapping_sha256"] = file_sha256(path)
        spec_fields = spec.fields if spec is not None else {}
        if spec is not None:
            mapped = {name: spec.constant(field) for name, field in CONSTANT_FIELDS.items()}
            mapped.update(timezone=spec.timezone, key_column=spec.key_column)
            for name, value in mapped.items():
                if settings[name] is None and value is not None:
                    settings[name] = value
                    from_mapping.append(name)
        if settings["instance_id"] is None and self.sandbox and "InstanceId" not in spec_fields:
            settings["instance_id"] = self.sandbox_instance_id
        settings["from_mapping"] = from_mapping
        return settings


def _plain(value: Any) -> Any:
    """A value as JSON holds it."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
