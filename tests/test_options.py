"""A run's typed options: the PrepareOptions, executor settings, preflight ids and audit
record they make."""

from __future__ import annotations

import datetime as dt
import hashlib
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


def test_the_preflight_checks_the_ids_the_mapping_template_gives_too(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[fields]\nInstanceId = "i-map"\nContactFlowId = "f-map"\nName = "{Title}"\n',
        encoding="utf-8",
    )
    assert RunOptions(mapping=mapping, quick_connect_id="q").option_ids() == {
        "InstanceId": "i-map",
        "ContactFlowId": "f-map",
        "TaskTemplateId": None,
        "QuickConnectId": "q",
    }
    assert RunOptions(mapping=mapping, instance_id="i").option_ids()["InstanceId"] == "i"


def test_the_audit_record_is_the_caller_s_or_every_option_then_the_effective_settings() -> None:
    given = RunOptions(rate=3.0, audit={"command": "run", "rate": 3.0})
    record = given.audit_record()
    assert {key: record[key] for key in ("command", "rate")} == {"command": "run", "rate": 3.0}
    assert record["instance_id"] is None and record["from_mapping"] == []

    record = RunOptions(journal=Path("j.sqlite3"), sandbox=True).audit_record()
    assert (record["journal"], record["sandbox"], record["rate"]) == ("j.sqlite3", True, 2.0)
    assert "audit" not in record
    json.dumps(record)


def test_the_effective_settings_say_what_the_mapping_set_and_hash_it(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'key_column = "Order"\ntimezone = "Europe/Berlin"\n'
        '[fields]\nInstanceId = "i-map"\nContactFlowId = "f-map"\nQuickConnectId = "{Q}"\n',
        encoding="utf-8",
    )
    options = RunOptions(
        mapping=mapping, contact_flow_id="f", audit={"instance_id": None, "key_column": None}
    )

    record = options.audit_record()

    assert record["instance_id"] == "i-map" and record["key_column"] == "Order"
    assert (record["contact_flow_id"], record["timezone"]) == ("f", "Europe/Berlin")
    assert record["quick_connect_id"] is None, "a format string over a column is no one id"
    assert record["from_mapping"] == ["instance_id", "timezone", "key_column"]
    assert record["mapping"] == str(mapping.absolute())
    assert record["mapping_sha256"] == hashlib.sha256(mapping.read_bytes()).hexdigest()


def test_the_effective_settings_of_a_mapping_that_cannot_be_read_are_the_options() -> None:
    record = RunOptions(mapping="absent.toml", instance_id="i").audit_record()
    assert (record["instance_id"], record["mapping_sha256"]) == ("i", None)
    assert record["mapping"] == str(Path("absent.toml").absolute())


def test_a_sandbox_s_instance_is_the_effective_one_where_nothing_names_one() -> None:
    options = RunOptions(sandbox=True, sandbox_instance_id="sandbox-instance")
    assert options.effective_settings()["instance_id"] == "sandbox-instance"


def test_the_journal_is_the_option_s_else_the_environment_s_and_a_sandbox_s_is_thrown_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASK_IMPORTER_JOURNAL", str(tmp_path / "env.sqlite3"))
    assert RunOptions(journal=tmp_path / "j.sqlite3").journal_path() == tmp_path / "j.sqlite3"
    assert RunOptions().journal_path() == tmp_path / "env.sqlite3"
    assert RunOptions(sandbox=True).journal_path() is None
    assert RunOptions(sandbox=True, journal="j").journal_path() == Path("j")
