"""The preflight as a library call, against a sandbox: what the inputs and options name is
checked, unreadable inputs counted (the command: test_cli_check.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from recording import Recorder
from spreadsheets import FLOW, INSTANCE, write_csv

from importer.aws import make_client
from importer.checking import check_inputs
from importer.clients import Clients, Connector
from importer.exitcodes import ExitCode
from importer.options import RunOptions
from importer.sandbox import Sandbox, defaults


def sandbox_clients(sb: Sandbox) -> Connector:
    """Connect and STS clients of the sandbox (STS too: the options point Connect only)."""

    @contextlib.contextmanager
    def opened(concurrency: int) -> Iterator[Clients]:
        clients = (
            make_client(service=service, region="us-east-1", endpoint_url=sb.url)
            for service in ("connect", "sts")
        )
        yield Clients(*clients)

    return opened


def test_what_the_rows_and_options_name_is_checked_and_the_caller_named(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source = write_csv(tmp_path / "tasks.csv", [["Name", "ContactFlowId"], ["a", FLOW]])
    recorder = Recorder()

    result = check_inputs(
        [str(source)],
        RunOptions(instance_id=INSTANCE),
        connect=sandbox_clients(sb),
        reporter=recorder,
    )

    assert result.exit_code == ExitCode.OK and result.unreadable == 0
    assert result.report.caller_arn == defaults.CALLER_ARN
    assert len(result.report.checks) == 3
    assert recorder.said("info")[-1] == "Preflight passed: 3 checks. Nothing was sent."


def test_an_unknown_flow_or_an_unreadable_input_fails_the_check(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    options = RunOptions(instance_id=INSTANCE, contact_flow_id="no-such-flow")
    result = check_inputs([str(tmp_path / "absent.csv")], options, connect=sandbox_clients(sb))

    assert result.unreadable == 1 and not result.report.ok
    assert [check.ok for check in result.report.checks] == [True, True, False]
    assert result.exit_code == ExitCode.USAGE
