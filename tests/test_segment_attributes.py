"""SegmentAttributes end to end: ExpiryMinutes, CreatedByUser (an ARN, or a user name looked
up with SearchUsers) and SegmentAttributes.<key> columns, through the CLI and the sandbox,
which checks the request's shape as the model and documentation give it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import (
    check_args,
    cli_args,
    results_of,
    statuses,
    tasks_by_token,
    validate_args,
    write_input,
)
from spreadsheets import write_xlsx

from importer.cli import main
from importer.limits import EXPIRY_MINUTES
from importer.mapping import MappingSpec
from importer.sandbox import Sandbox, defaults
from importer.sandbox.rules import EXPIRY_MINUTES as SANDBOX_EXPIRY_MINUTES

JANE = defaults.USERS[0]
ALEX = defaults.USERS[1]


def arn(user: defaults.User) -> str:
    return defaults.user_arn(defaults.INSTANCE_ID, user.id)


def checking(source: Path, sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`check` of ``source`` against the sandbox, STS included."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sb.url)
    return check_args(source, sb)


def segments_by_name(sb: Sandbox) -> dict[str, dict]:
    return {
        task["request"]["Name"]: task["request"].get("SegmentAttributes") for task in sb.tasks()
    }


def test_expiry_created_by_and_other_keys_reach_connect_in_the_documented_form(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    header = ["Name", "ExpiryMinutes", "CreatedByUser", "SegmentAttributes.region-code"]
    source = write_input(
        tmp_path / "tasks.csv",
        [
            ["by name", "135", JANE.username, "EU_west"],
            ["by ARN", "10080", arn(ALEX), ""],
            ["same name again", "1", JANE.username, ""],
            ["nothing set", "", "", ""],
        ],
        header,
    )

    assert main(cli_args("run", source, sb, tmp_path)) == 0

    assert statuses(results_of(source)) == {"created": 4}
    segments = segments_by_name(sb)
    assert segments["by name"] == {
        "connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 135}}},
        "connect:CreatedByUser": {"ValueString": arn(JANE)},
        "region-code": {"ValueString": "EU_west"},
    }
    assert segments["by ARN"] == {
        "connect:ContactExpiry": {"ValueMap": {"ExpiryDuration": {"ValueInteger": 10080}}},
        "connect:CreatedByUser": {"ValueString": arn(ALEX)},
    }
    assert segments["same name again"]["connect:CreatedByUser"] == {"ValueString": arn(JANE)}
    assert segments["nothing set"] is None  # empty cells send nothing
    assert sb.counters()["reads"] == 1  # one SearchUsers for the one distinct name
    assert "jane.doe" not in capsys.readouterr().err  # no row value in the log


def test_a_name_that_is_no_agent_is_invalid_and_nothing_of_it_is_sent(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source = write_input(
        tmp_path / "tasks.csv",
        [["ok", JANE.username], ["typo", "jane.do"], ["case", "Jane.Doe"]],
        ["Name", "Owner"],
    )
    mapping = tmp_path / "map.toml"
    mapping.write_text('[fields]\nCreatedByUser = "{Owner}"\n', encoding="utf-8")

    assert main(cli_args("run", source, sb, tmp_path, "--mapping", str(mapping))) == 1

    lines = {line["Name"]: line for line in results_of(source)}
    assert lines["ok"]["status"] == "created"
    for name in ("typo", "case"):  # the sandbox compares user names exactly
        assert lines[name]["status"] == "invalid"
        assert lines[name]["error_message"].startswith("Owner: no agent has the user name")
        assert "or the agent's ARN" in lines[name]["error_message"]
    assert [task["request"]["Name"] for task in sb.tasks()] == ["ok"]


def test_expiry_bounds_are_the_sandbox_s(sandbox: Callable[..., Sandbox]) -> None:
    assert EXPIRY_MINUTES == SANDBOX_EXPIRY_MINUTES == (1, 10_080)


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("ExpiryMinutes", "0", "ExpiryMinutes: 0 minutes is out of range: write 1 to 10,080"),
        ("ExpiryMinutes", "10081", "10,081 minutes is out of range"),
        ("ExpiryMinutes", "1.5", "'1.5' is not a whole number of minutes"),
        ("ExpiryMinutes", "-5", "'-5' is not a whole number of minutes"),
        ("ExpiryMinutes", "1,440", "e.g. 1440 for one day"),
        ("CreatedByUser", "arn:aws:connect:us-east-1:123:agent/x", "is not an agent ARN"),
        ("CreatedByUser", "Jane Doe", "is neither an agent ARN"),
        (
            "CreatedByUser",
            "arn:aws:connect:us-east-1:123456789012:instance/other-instance/agent/a1",
            "names instance other-instance, but the task goes to instance",
        ),
        ("SegmentAttributes.connect:Subtype", "x", "'connect:Subtype' is a system key"),
        ("SegmentAttributes.bad key", "x", "key 'bad key' may hold only letters"),
        ("SegmentAttributes.k", "x" * 1025, "1,025 characters, more than the 1,024 allowed"),
        ("SegmentAttributes." + "k" * 129, "x", "129 characters, more than the 128 allowed"),
        ("SegmentAttributes.note", "bell\x07", "invisible control character (U+0007"),
    ],
)
def test_bad_values_are_row_errors_naming_the_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str, value: str, expected: str
) -> None:
    source = write_input(tmp_path / "tasks.csv", [["T", value]], ["Name", header])

    assert main(validate_args(source)) == 1

    (line,) = results_of(source)
    assert line["status"] == "invalid"
    assert line["error_message"].startswith(f"{header}: ")
    assert expected in line["error_message"]


def test_excel_number_cells_and_a_mapping_constant_give_the_expiry(tmp_path: Path) -> None:
    workbook = write_xlsx(tmp_path / "tasks.xlsx", [["Name", "ExpiryMinutes"], ["T", 135]])
    assert main(validate_args(workbook)) == 0
    spec = MappingSpec.from_dict({"expiry_minutes": 1440})
    assert spec.fields["ExpiryMinutes"].text == "1440"
    source = write_input(tmp_path / "constant.csv", [["T"]], ["Name"])
    mapping = tmp_path / "map.toml"
    mapping.write_text("expiry_minutes = 20000\n", encoding="utf-8")
    assert main([*validate_args(source), "--mapping", str(mapping)]) == 1
    (line,) = results_of(source)
    assert line["error_message"].startswith("ExpiryMinutes (from mapping file")
    assert "20,000 minutes is out of range" in line["error_message"]


def test_validate_checks_names_offline_and_says_run_and_check_look_them_up(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = sandbox()
    source = write_input(
        tmp_path / "tasks.csv",
        [["a", "nobody.here"], ["b", arn(JANE)]],
        ["Name", "CreatedByUser"],
    )

    assert main(validate_args(source)) == 0  # a name's form is all validate knows

    assert "1 valid rows name the agent by user name" in capsys.readouterr().err
    assert main(checking(source, sb, monkeypatch)) == 2
    err = capsys.readouterr().err
    assert "FAILED: CreatedByUser in row 2: no agent has the user name 'nobody.here'" in err
    assert sb.tasks() == []


def test_check_finds_every_name_once(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = sandbox()
    names = [JANE.username, ALEX.username, JANE.username]
    source = write_input(
        tmp_path / "tasks.csv",
        [[f"T{i}", n] for i, n in enumerate(names)],
        ["Name", "CreatedByUser"],
    )
    reads = sb.counters()["reads"]

    assert main(checking(source, sb, monkeypatch)) == 0

    assert "ok: CreatedByUser: 2 user names found as agents" in capsys.readouterr().err
    # GetCallerIdentity, DescribeInstance, DescribeContactFlow, 2 SearchUsers
    assert sb.counters()["reads"] - reads == 5


def test_run_with_check_looks_each_name_up_once_for_the_check_and_the_send(
    sandbox: Callable[..., Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sb.url)
    source = write_input(
        tmp_path / "tasks.csv",
        [["a", JANE.username], ["b", JANE.username]],
        ["Name", "CreatedByUser"],
    )

    assert main(cli_args("run", source, sb, tmp_path, "--check")) == 0

    assert len(tasks_by_token(sb)) == 2
    # GetCallerIdentity, DescribeInstance, DescribeContactFlow, one SearchUsers
    assert sb.counters()["reads"] == 4
