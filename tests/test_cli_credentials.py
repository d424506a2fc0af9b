"""No AWS credentials: run, retry and check say so and how to provide them; nothing is sent.

botocore finds no credentials here: the environment variables are removed, the AWS config
files point at nothing (conftest), and the instance-metadata lookup is off (it would wait
for an endpoint that is not there).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import FLOW, INSTANCE, check_args, cli_args, task_rows, write_input

from importer.cli import main
from importer.sandbox import Sandbox

CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def command_line(command: str, source: Path, sb: Sandbox, tmp_path: Path) -> list[str]:
    if command == "check":
        return check_args(source, sb)
    if command == "retry":
        validate = ["validate", str(source), "--instance-id", INSTANCE, "--contact-flow-id", FLOW]
        assert main(validate) == 0
        return cli_args("retry", tmp_path / "tasks.results.csv", sb, tmp_path)
    return cli_args("run", source, sb, tmp_path)


@pytest.mark.parametrize("command", ["run", "retry", "check"])
@pytest.mark.usefixtures("no_credentials")
def test_without_credentials_the_command_says_how_to_provide_them_and_sends_nothing(
    command: str,
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(3))
    args = command_line(command, source, sb, tmp_path)
    capsys.readouterr()

    assert main(args) == 2

    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if " ERROR " in line]
    assert len(errors) == 1, err
    assert "no AWS credentials found" in errors[0]
    for way in ("AWS_ACCESS_KEY_ID", "--profile", "AWS_PROFILE", "aws configure", "role"):
        assert way in errors[0]
    assert "Amazon Connect refused" not in err
    assert "Traceback" not in err
    assert sb.counters()["requests"] == 0


@pytest.mark.usefixtures("no_credentials")
def test_the_message_names_the_profile_that_has_none(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = sandbox()
    config = tmp_path / "aws-config"
    config.write_text("[profile ops]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    source = write_input(tmp_path / "tasks.csv", task_rows(1))

    assert main(cli_args("run", source, sb, tmp_path, "--profile", "ops")) == 2

    assert "no AWS credentials found for the profile 'ops'" in capsys.readouterr().err
    assert sb.counters()["requests"] == 0
