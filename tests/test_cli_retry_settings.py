"""`retry RESULTS` without options: it takes the settings of the run that wrote the file,
which the run records (effective, wherever they came from) in its summary and the journal.

Real CLI in-process, real boto3, the local Connect sandbox.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import INSTANCE, OTHER_FLOW, edit_results, statuses, tasks_by_token
from spreadsheets import read_results, write_csv

from importer.cli import main
from importer.sandbox import Sandbox, defaults

FLOW = defaults.CONTACT_FLOW_IDS[0]
MAPPING = """
[fields]
Name = "Call back {Customer}"
Description = "Order {Order}"
"""


def target(sb: Sandbox, tmp_path: Path, *extra: str) -> list[str]:
    """Where to send and the journal: what every command here is given, and no more."""
    journal = str(tmp_path / "j.sqlite3")
    return [
        *("--endpoint-url", sb.url, "--region", "us-east-1", "--journal", journal),
        *("--no-progress", "--rate", "500", "--burst", "50", *extra),
    ]


@pytest.fixture
def first_run(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Sandbox, Path, Path]:
    """A run with a mapping file, instance, flow, timezone and batch id given as options:
    row 3 has no customer, so it is invalid. Returns the sandbox, results and mapping."""
    sb = sandbox()
    mapping = tmp_path / "crm.mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    source = write_csv(
        tmp_path / "crm.csv", [["Customer", "Order"], ["Ann", "1"], ["", "2"], ["Bo", "3"]]
    )
    options = ["--mapping", str(mapping), "--instance-id", INSTANCE, "--contact-flow-id", FLOW]
    run = [
        "run",
        str(source),
        *options,
        "--timezone",
        "Europe/Berlin",
        "--batch-id",
        "crm-2026-11-28",
    ]
    assert main([*run, *target(sb, tmp_path)]) == 1
    results = tmp_path / "crm.results.csv"
    assert statuses(read_results(results)) == {"created": 2, "invalid": 1}
    edit_results(results, lambda line: {"Customer": "Cy"} if line["status"] == "invalid" else None)
    capsys.readouterr()
    return sb, results, mapping


def test_retry_without_options_sends_fixed_rows_with_the_run_s_settings(
    first_run: tuple[Sandbox, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb, results, mapping = first_run
    summary = tmp_path / "retry.json"

    assert main(["retry", str(results), *target(sb, tmp_path, "--summary-json", str(summary))]) == 0

    err = capsys.readouterr().err
    taken = (
        f"--mapping {mapping.absolute()}, --instance-id {INSTANCE}, --contact-flow-id {FLOW}, "
        "--timezone Europe/Berlin, --batch-id crm-2026-11-28"
    )
    assert "Settings of run 1 (run on " in err and f"which wrote crm.results.csv: {taken}" in err
    assert statuses(read_results(results)) == {"created": 3}
    assert sb.counters()["created"] == 3
    (task,) = [t for t in tasks_by_token(sb).values() if t["request"]["Name"] == "Call back Cy"]
    assert task["request"]["ContactFlowId"] == FLOW
    assert task["request"]["InstanceId"] == INSTANCE
    assert task["request"]["Description"] == "Order 2"
    settings = json.loads(summary.read_text(encoding="utf-8"))["audit"]["settings"]
    assert (settings["contact_flow_id"], settings["batch_id"]) == (FLOW, "crm-2026-11-28")
    assert settings["mapping"] == str(mapping.absolute())


def test_options_given_to_retry_win_over_the_run_s(
    first_run: tuple[Sandbox, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb, results, _mapping = first_run

    args = ["retry", str(results), "--contact-flow-id", OTHER_FLOW, *target(sb, tmp_path)]
    assert main(args) == 0

    err = capsys.readouterr().err
    assert "--contact-flow-id" not in err.split("which wrote crm.results.csv:")[1].splitlines()[0]
    (task,) = [t for t in tasks_by_token(sb).values() if t["request"]["Name"] == "Call back Cy"]
    assert task["request"]["ContactFlowId"] == OTHER_FLOW


def test_a_mapping_file_changed_since_the_run_is_used_with_a_warning_naming_it(
    first_run: tuple[Sandbox, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb, results, mapping = first_run
    mapping.write_text(MAPPING.replace("Order {Order}", "Order number {Order}"), encoding="utf-8")

    assert main(["retry", str(results), *target(sb, tmp_path)]) == 0

    err = capsys.readouterr().err
    assert f"WARNING mapping file {mapping.absolute()} changed since run 1" in err
    (task,) = [t for t in tasks_by_token(sb).values() if t["request"]["Name"] == "Call back Cy"]
    assert task["request"]["Description"] == "Order number 2"


def test_a_mapping_file_of_the_run_that_is_gone_stops_retry_before_sending(
    first_run: tuple[Sandbox, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb, results, mapping = first_run
    mapping.unlink()
    requests = sb.counters()["requests"]

    assert main(["retry", str(results), *target(sb, tmp_path)]) == 2

    err = capsys.readouterr().err
    assert f"ERROR mapping file {mapping.absolute()} of run 1 (run on " in err
    assert "restore it, or give the mapping for these rows with --mapping FILE" in err
    assert sb.counters()["requests"] == requests


def test_without_a_run_in_the_journal_retry_says_so_and_uses_only_its_options(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_csv(tmp_path / "t.csv", [["Name"], ["Call back"]])
    assert main(["validate", str(source), "--instance-id", INSTANCE]) == 1  # no flow
    capsys.readouterr()

    results = tmp_path / "t.results.csv"
    assert main(["retry", str(results), *target(sb, tmp_path)]) == 1

    err = capsys.readouterr().err
    assert "No run that wrote t.results.csv is in the journal, so only the options given" in err
    assert statuses(read_results(results)) == {"invalid": 1}
    assert sb.counters()["requests"] == 0


def test_the_audit_record_holds_what_the_mapping_set_and_retry_takes_it_with_the_mapping(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        f'key_column = "Order"\n[fields]\nInstanceId = "{INSTANCE}"\n'
        f'ContactFlowId = "{FLOW}"\nName = "{{Customer}}"\n',
        encoding="utf-8",
    )
    source = write_csv(tmp_path / "k.csv", [["Customer", "Order"], ["Ann", "1"], ["", "2"]])
    summary = tmp_path / "run.json"
    run = ["run", str(source), "--mapping", str(mapping), "--summary-json", str(summary)]

    assert main([*run, *target(sb, tmp_path)]) == 1

    settings = json.loads(summary.read_text(encoding="utf-8"))["audit"]["settings"]
    assert (settings["instance_id"], settings["key_column"]) == (INSTANCE, "Order")
    assert settings["contact_flow_id"] == FLOW
    assert settings["from_mapping"] == ["instance_id", "contact_flow_id", "key_column"]
    assert settings["mapping_sha256"] == hashlib.sha256(mapping.read_bytes()).hexdigest()

    results = tmp_path / "k.results.csv"
    edit_results(results, lambda line: {"Customer": "Bo"} if line["status"] == "invalid" else None)
    capsys.readouterr()
    assert main(["retry", str(results), *target(sb, tmp_path)]) == 0
    assert f"which wrote k.results.csv: --mapping {mapping.absolute()} (options" in (
        capsys.readouterr().err
    )
    created = {line["row"]: line["client_token"] for line in read_results(results)}
    # The key column came with the mapping: row 3's token follows its key, as run gives it.
    edited = source.read_text(encoding="utf-8").replace(",2", "Bo,2")
    source.write_text(edited, encoding="utf-8")
    assert main([*run, *target(sb, tmp_path)]) == 0
    assert {line["row"]: line["client_token"] for line in read_results(results)} == created
    assert statuses(read_results(results)) == {"already_created": 2}
