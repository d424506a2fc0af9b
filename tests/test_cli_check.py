"""`task-importer check`: the preflight end to end, against the sandbox over HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_runs import log_messages
from spreadsheets import FLOW, INSTANCE, QUICK_CONNECT, TASK_TEMPLATE, write_csv

from importer.cli import main
from importer.sandbox import Sandbox, defaults

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "tasks.csv"
UNKNOWN_FLOW = "f10f10f1-dead-4000-8000-000000000099"
UNKNOWN_INSTANCE = "a1b2c3d4-dead-4000-8000-000000000099"
CALLER = f"ok: credentials work: {defaults.CALLER_ARN} (account {defaults.ACCOUNT_ID})"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = main(["check", *argv])
    _out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, log_messages(err)


@pytest.fixture
def target(sandbox, monkeypatch: pytest.MonkeyPatch):
    """Factory: a sandbox with both Connect (--endpoint-url) and STS (its variable) aimed at
    it; returns the sandbox and the options that point `check` at it."""

    def start(**config: object) -> tuple[Sandbox, list[str]]:
        emulator = sandbox(**config)
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", emulator.url)
        return emulator, ["--endpoint-url", emulator.url, "--region", "us-east-1"]

    return start


PHONE_COLUMN = "References.STRING.Customer phone"
"""The field the sandbox's default template requires."""


def tasks_file(path: Path, *flows: str, instance: str = INSTANCE) -> Path:
    header = ["InstanceId", "ContactFlowId", "Name"]
    return write_csv(
        path, [header, *([instance, flow, f"Task {n}"] for n, flow in enumerate(flows))]
    )


def test_the_sample_file_passes_against_the_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(shutil.copy(SAMPLE, tmp_path / "tasks.csv"))

    code, messages = run(capsys, str(sample), "--sandbox")

    assert code == 0
    assert f"Input: {sample}: 30 rows, 30 valid" in messages
    assert CALLER in messages
    assert f"ok: instance {INSTANCE} 'sandbox-1' found (ACTIVE)" in messages
    for number, flow in enumerate(defaults.CONTACT_FLOW_IDS, start=1):
        assert (
            f"ok: contact flow {flow} 'Sandbox task flow {number}' found "
            "(CONTACT_FLOW, ACTIVE, PUBLISHED)"
        ) in messages
    assert messages[-1] == "Preflight passed: 4 checks. Nothing was sent."
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tasks.csv"], "wrote a file"


def test_a_missing_flow_fails_naming_it_and_exits_2_without_sending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target
) -> None:
    emulator, options = target()
    source = tasks_file(tmp_path / "tasks.csv", FLOW, UNKNOWN_FLOW, UNKNOWN_FLOW)

    code, messages = run(capsys, str(source), *options)

    assert code == 2
    assert (
        f"FAILED: contact flow {UNKNOWN_FLOW} not found in instance {INSTANCE}: "
        "fix the ContactFlowId column or --contact-flow-id"
    ) in messages
    assert (
        f"ok: contact flow {FLOW} 'Sandbox task flow 1' found (CONTACT_FLOW, ACTIVE, PUBLISHED)"
        in messages
    )
    assert messages[-1] == "preflight failed: 1 of 4 checks; nothing was sent"
    assert emulator.counters()["requests"] == 0


def test_an_unknown_instance_fails_and_names_the_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target
) -> None:
    _emulator, options = target()
    source = write_csv(tmp_path / "tasks.csv", [["Name"], ["Call back"]])

    code, messages = run(
        capsys, str(source), *options, "--instance-id", UNKNOWN_INSTANCE, "--contact-flow-id", FLOW
    )

    assert code == 2
    assert (
        f"FAILED: instance {UNKNOWN_INSTANCE} not found in region us-east-1 (is it the "
        "instance's region?): fix the InstanceId column or --instance-id; the 1 flows, "
        "templates and quick connects named with it were not checked"
    ) in messages
    assert not any(FLOW in message for message in messages)


def test_access_denied_says_which_iam_actions_are_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target
) -> None:
    _emulator, options = target(access_denied=True)
    source = tasks_file(tmp_path / "tasks.csv", FLOW)

    code, messages = run(capsys, str(source), *options)

    assert code == 2
    assert CALLER in messages
    failures = [message for message in messages if message.startswith("FAILED: ")]
    assert len(failures) == 2
    assert "the IAM policy must allow connect:DescribeInstance" in failures[0]
    assert "the IAM policy must allow connect:DescribeContactFlow" in failures[1]


def test_sts_is_reached_through_aws_endpoint_url_sts_not_endpoint_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sandbox, monkeypatch
) -> None:
    connect = sandbox()
    sts = sandbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
    source = tasks_file(tmp_path / "tasks.csv", FLOW)

    code, messages = run(capsys, str(source), "--endpoint-url", connect.url)

    assert code == 0
    assert CALLER in messages
    assert (connect.counters()["reads"], sts.counters()["reads"]) == (2, 1)


def test_every_routing_kind_and_several_inputs_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target
) -> None:
    emulator, options = target()
    first = tasks_file(tmp_path / "first.csv", FLOW, FLOW)
    second = write_csv(
        tmp_path / "second.csv",
        [
            ["InstanceId", "TaskTemplateId", "QuickConnectId", "Name", PHONE_COLUMN],
            [INSTANCE, TASK_TEMPLATE, "", "From a template", "+12065550100"],
            [INSTANCE, "", QUICK_CONNECT, "To a quick connect", ""],
        ],
    )

    code, messages = run(capsys, str(first), str(second), *options)

    assert code == 0
    checked = [message.split(" '")[0] for message in messages if message.startswith("ok: ")]
    assert checked[1:] == [
        f"ok: instance {INSTANCE}",
        f"ok: contact flow {FLOW}",
        f"ok: task template {TASK_TEMPLATE}",
        f"ok: quick connect {QUICK_CONNECT}",
    ]
    assert emulator.counters()["reads"] == 5


def test_invalid_rows_are_skipped_and_their_ids_are_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target
) -> None:
    _emulator, options = target()
    source = write_csv(
        tmp_path / "tasks.csv",
        [
            ["InstanceId", "ContactFlowId", "Name"],
            [INSTANCE, FLOW, "Fine"],
            [INSTANCE, UNKNOWN_FLOW, ""],
        ],
    )

    code, messages = run(capsys, str(source), *options)

    assert code == 0
    assert (
        f"Input: {source}: 2 rows, 1 valid; 1 invalid rows skipped (validate shows why)" in messages
    )
    assert not any(UNKNOWN_FLOW in message for message in messages)


def test_an_unreadable_input_is_reported_the_others_are_checked_and_it_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target
) -> None:
    _emulator, options = target()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    source = tasks_file(tmp_path / "tasks.csv", FLOW)

    code, messages = run(capsys, str(empty), str(source), *options)

    assert code == 2
    assert any(str(empty) in message for message in messages)
    assert messages[-1] == "Preflight passed: 3 checks. Nothing was sent."


def test_an_unreachable_endpoint_is_one_clear_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sandbox, monkeypatch
) -> None:
    sts = sandbox()
    gone = sandbox()
    gone.stop()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
    source = tasks_file(tmp_path / "tasks.csv", FLOW)

    code, messages = run(capsys, str(source), "--endpoint-url", gone.url)

    assert code == 2
    failures = [message for message in messages if message.startswith("FAILED: ")]
    assert len(failures) == 1
    assert failures[0].startswith(f"FAILED: cannot reach {gone.url}")
    assert "2 instances, flows, templates or quick connects not checked" not in messages
    assert "1 instances, flows, templates or quick connects not checked" in messages


def test_a_config_file_with_an_empty_inbox_checks_the_ids_it_configures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target
) -> None:
    emulator, _options = target()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = tmp_path / "importer.toml"
    config.write_text(
        f'inputs = ["inbox"]\ninstance-id = "{INSTANCE}"\ncontact-flow-id = "{FLOW}"\n'
        f'endpoint-url = "{emulator.url}"\nregion = "us-east-1"\nrate = 5\n',
        encoding="utf-8",
    )

    code, messages = run(capsys, "--config", str(config))

    assert code == 0
    assert (
        "No input files to read: checking the ids the options, --config and the mapping name."
        in messages
    )
    assert f"ok: instance {INSTANCE} 'sandbox-1' found (ACTIVE)" in messages
    assert messages[-1] == "Preflight passed: 3 checks. Nothing was sent."


def test_an_empty_inbox_checks_the_ids_the_config_and_the_mapping_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target
) -> None:
    emulator, _options = target()
    (tmp_path / "inbox").mkdir()
    mapping = tmp_path / "crm.mapping.toml"
    mapping.write_text(
        f'[fields]\nContactFlowId = "{UNKNOWN_FLOW}"\nTaskTemplateId = "{TASK_TEMPLATE}"\n'
        'Name = "{Customer}"\n',
        encoding="utf-8",
    )
    config = tmp_path / "importer.toml"
    config.write_text(
        f'inputs = ["inbox"]\ninstance-id = "{INSTANCE}"\nmapping = "crm.mapping.toml"\n'
        f'endpoint-url = "{emulator.url}"\nregion = "us-east-1"\n',
        encoding="utf-8",
    )

    code, messages = run(capsys, "--config", str(config))

    assert code == 2
    assert f"ok: instance {INSTANCE} 'sandbox-1' found (ACTIVE)" in messages
    assert any(m.startswith(f"FAILED: contact flow {UNKNOWN_FLOW} not found") for m in messages)
    assert any(m.startswith(f"ok: task template {TASK_TEMPLATE} ") for m in messages)
    assert messages[-1] == "preflight failed: 1 of 4 checks; nothing was sent"


def test_with_only_endpoint_url_sts_still_goes_to_aws_and_the_failure_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sandbox, monkeypatch
) -> None:
    connect = sandbox()
    closed = sandbox()
    closed.stop()
    # Anything bound for AWS goes to a proxy that is not there: nothing leaves this machine.
    monkeypatch.setenv("HTTPS_PROXY", closed.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    source = tasks_file(tmp_path / "tasks.csv", FLOW)

    code, messages = run(capsys, str(source), "--endpoint-url", connect.url)

    assert code == 2
    assert any(
        message.startswith("FAILED: cannot reach https://sts.us-east-1.amazonaws.com")
        for message in messages
    )
    assert (
        "(--endpoint-url points Amazon Connect only; STS was called at "
        "https://sts.us-east-1.amazonaws.com: set AWS_ENDPOINT_URL_STS to call it elsewhere)"
    ) in messages
    assert connect.counters()["reads"] == 0


def test_with_no_instance_named_only_the_credentials_are_checked_and_it_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target
) -> None:
    _emulator, options = target()
    source = write_csv(tmp_path / "tasks.csv", [["Name"], ["Call back"]])

    code, messages = run(capsys, str(source), *options)

    assert code == 0
    assert (
        f"Input: {source}: 1 rows, 0 valid; 1 invalid rows skipped (validate shows why)" in messages
    )
    assert (
        "no valid row, option or mapping names an instance: only the credentials are checked"
        in messages
    )
    assert CALLER in messages


def test_sandbox_and_endpoint_url_together_are_one_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tasks_file(tmp_path / "tasks.csv", FLOW)

    code, messages = run(capsys, str(source), "--sandbox", "--endpoint-url", "http://127.0.0.1:9")

    assert code == 2
    assert messages[-1] == "--sandbox and --endpoint-url cannot be combined"
