"""A run's typed options: the PrepareOptions, executor settings, preflight ids and audit
record they make."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from importer.errors import UsageError
from importer.options import RunOptions


def test_the_constants_replace_the_mapping_template_s_fields(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[fields]\nInstanceId = "from-template"\nContactFlowId = "flow-from-template"\n',
        encoding="utf-8",
    )
    now = dt.datetime(2026, 3, 27, tzinfo=dt.UTC)
    options = RunOptions(
        mapping=mapping, instance_id="i", timezone="UTC", key_column="Key", sheet="S", now=now
    )

    prepare = options.prepare_options()

    spec = prepare.mapping
    assert spec.origins["InstanceId"] == "--instance-id"
    assert "ContactFlowId" not in spec.origins, "the template's flow stays"
    assert (spec.timezone, spec.key_column) == ("UTC", "Key")
    assert (prepare.sheet, prepare.batch_id, prepare.now) == ("S", None, now)


def test_a_sandbox_s_instance_fills_in_only_where_nothing_else_names_one() -> None:
    sandbox = RunOptions(sandbox=True, sandbox_instance_id="sandbox-instance")
    spec = sandbox.prepare_options().mapping
    assert spec.origins["InstanceId"] == "--sandbox"
    assert sandbox.option_ids()["InstanceId"] == "sandbox-instance"

    given = RunOptions(sandbox=True, sandbox_instance_id="sandbox-instance", instance_id="i")
    assert given.prepare_options().mapping.origins["InstanceId"] == "--instance-id"
    assert given.option_ids()["InstanceId"] == "i"

    real = RunOptions(sandbox_instance_id="sandbox-instance")
    assert "InstanceId" not in real.prepare_options().mapping.fields
    assert real.option_ids()["InstanceId"] is None


def test_the_preflight_checks_the_ids_the_options_give() -> None:
    options = RunOptions(instance_id="i", contact_flow_id="f", quick_connect_id="q")
    assert options.option_ids() == {
        "InstanceId": "i",
        "ContactFlowId": "f",
        "TaskTemplateId": None,
        "QuickConnectId": "q",
    }


def test_executor_settings_follow_the_options_and_refuse_a_bad_value() -> None:
    settings = RunOptions(
        rate=5, burst=10, concurrency=2, max_attempts=3, max_failure_fraction=0.1, quota_pause=1
    ).executor_settings()
    assert (settings.rate, settings.burst, settings.concurrency) == (5, 10, 2)
    assert (settings.max_attempts, settings.max_failures) == (3, None)
    assert (settings.max_failure_fraction, settings.quota_pause_seconds) == (0.1, 1)
    with pytest.raises(UsageError, match="concurrency must be at least 1"):
        RunOptions(concurrency=0).executor_settings()


def test_the_audit_record_is_the_caller_s_or_every_option_as_json_holds_it() -> None:
    given = RunOptions(rate=3.0, audit={"command": "run", "rate": 3.0})
    assert given.audit_record() == {"command": "run", "rate": 3.0}

    record = RunOptions(journal=Path("j.sqlite3"), sandbox=True).audit_record()
    assert (record["journal"], record["sandbox"], record["rate"]) == ("j.sqlite3", True, 2.0)
    assert "audit" not in record
    json.dumps(record)
