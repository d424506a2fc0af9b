"""`task-importer sandbox`: the foreground emulator, run as a real process."""

from __future__ import annotations

import argparse
import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_runs import after_header, log_messages

from importer.cli import build_parser, main
from importer.cli.sandbox import config_from_args
from importer.errors import UsageError
from importer.sandbox import defaults
from importer.sandbox.config import SandboxConfig
from importer.sandbox.server import SandboxHTTPServer
from importer.sandbox.service import ConnectService

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

URL_LINE = re.compile(r"listening on (http://127\.0\.0\.1:\d+)$")
WAIT_S = 20


class SandboxProcess:
    """``python -m importer sandbox ...`` with its output read in the background."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "importer", "sandbox", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def url(self) -> str:
        """Wait for the first line and return the endpoint URL it announces."""
        first = self._lines.get(timeout=WAIT_S)
        self.stdout.append(first)
        match = URL_LINE.search(first)
        assert match, first
        return match.group(1)

    def stop(self, signum: int) -> tuple[int, str, str]:
        """Send ``signum``; (exit code, all stdout, stderr) once the process has ended."""
        self.process.send_signal(signum)
        self.process.wait(timeout=WAIT_S)
        self._reader.join(timeout=WAIT_S)
        assert self.process.stderr is not None
        stderr = self.process.stderr.read()
        while not self._lines.empty():
            self.stdout.append(self._lines.get())
        return self.process.returncode, "\n".join(self.stdout), stderr


@pytest.fixture
def run_sandbox() -> Iterator[Callable[..., SandboxProcess]]:
    started: list[SandboxProcess] = []

    def start(*args: str) -> SandboxProcess:
        process = SandboxProcess(*args)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_command_serves_boto3_and_stops_cleanly_on_a_signal(
    run_sandbox, connect_client, tmp_path, signum
):
    ledger = tmp_path / "tasks.jsonl"
    sandbox = run_sandbox("--port", "0", "--rate", "100", "--burst", "100", "--ledger", str(ledger))
    url = sandbox.url()

    answer = connect_client(url).start_task_contact(
        InstanceId=defaults.INSTANCE_ID,
        ContactFlowId=defaults.CONTACT_FLOW_IDS[0],
        Name="From the CLI test",
        ClientToken="cli-1",
    )
    code, stdout, stderr = sandbox.stop(signum)

    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert stdout.splitlines()[-1] == (
        f"sandbox stopped by {signal.Signals(signum).name}: 1 requests, 1 tasks created"
    )
    assert [json.loads(line)["ContactId"] for line in ledger.read_text().splitlines()] == [
        answer["ContactId"]
    ]


def test_the_banner_shows_the_ids_and_how_to_point_the_importer_and_the_aws_cli(run_sandbox):
    sandbox = run_sandbox("--port", "0", "--contact-flow-id", "flow-a", "flow-b")
    url = sandbox.url()

    _, stdout, _ = sandbox.stop(signal.SIGINT)

    assert defaults.INSTANCE_ID in stdout
    assert "flow-a, flow-b" in stdout
    assert defaults.CONTACT_FLOW_IDS[0] not in stdout
    assert defaults.QUICK_CONNECT_IDS[0] in stdout
    assert defaults.TASK_TEMPLATE_IDS[0] in stdout
    assert f"AWS_ENDPOINT_URL_CONNECT={url} task-importer run" in stdout
    assert f"--endpoint-url {url}" in stdout
    assert f"AWS_ENDPOINT_URL_STS={url} task-importer check" in stdout
    assert f"aws connect start-task-contact --endpoint-url {url}" in stdout
    assert "AWS_ACCESS_KEY_ID=testing" in stdout
    assert "'Sandbox task template 1' (ACTIVE), fields:" in stdout
    assert "Customer phone* (TEXT)" in stdout
    assert "Priority (SINGLE_SELECT)" in stdout
    assert "jane.doe, alex.smith, maria.garcia" in stdout
    assert defaults.user_arn(defaults.INSTANCE_ID, defaults.USERS[0].id) in stdout
    assert "StopContact 2 requests/s, burst 5" in stdout


REFUND_TEMPLATE = {
    "Id": "refund-template",
    "Name": "Refund request",
    "ContactFlowId": defaults.CONTACT_FLOW_IDS[0],
    "Fields": [
        {"Id": {"Name": "Title"}, "Type": "NAME"},
        {"Id": {"Name": "Order"}, "Type": "NUMBER"},
    ],
    "Constraints": {"RequiredFields": [{"Id": {"Name": "Title"}}, {"Id": {"Name": "Order"}}]},
}


def test_a_template_file_is_served_listed_and_enforced_and_tasks_can_be_stopped(
    run_sandbox, connect_client, tmp_path
):
    path = tmp_path / "refund.json"
    path.write_text(json.dumps([REFUND_TEMPLATE]), encoding="utf-8")
    sandbox = run_sandbox(
        "--port", "0", "--rate", "100", "--burst", "100", "--task-template-file", str(path)
    )
    client = connect_client(sandbox.url())
    start = {"InstanceId": defaults.INSTANCE_ID, "TaskTemplateId": "refund-template"}

    answer = client.get_task_template(**start)
    with pytest.raises(client.exceptions.InvalidRequestException, match="'Order' is required"):
        client.start_task_contact(**start, Name="Refund")
    contact = client.start_task_contact(
        **start, Name="Refund", References={"Order": {"Type": "NUMBER", "Value": "1042"}}
    )["ContactId"]
    client.stop_contact(InstanceId=defaults.INSTANCE_ID, ContactId=contact)
    _, stdout, _ = sandbox.stop(signal.SIGINT)

    assert (answer["Name"], answer["Fields"]) == ("Refund request", REFUND_TEMPLATE["Fields"])
    assert "refund-template 'Refund request' (ACTIVE), fields:" in stdout
    assert "Title* (NAME), Order* (NUMBER)" in stdout
    assert defaults.TASK_TEMPLATE_IDS[0] in stdout


def test_a_bad_template_file_is_one_error_naming_it_and_exit_2(tmp_path, capsys):
    path = tmp_path / "refund.json"
    path.write_text(json.dumps({**REFUND_TEMPLATE, "Status": "DRAFT"}), encoding="utf-8")

    code = main(["sandbox", "--port", "0", "--task-template-file", str(path)])

    assert code == 2
    assert after_header(log_messages(capsys.readouterr().err)) == [
        f"sandbox: --task-template-file {path}: Status 'DRAFT' is not one of ACTIVE, INACTIVE"
    ]


def test_a_port_in_use_is_one_error_line_and_exit_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "importer", "sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=WAIT_S,
        )

    assert result.returncode == 2
    assert after_header(log_messages(result.stderr)) == [
        f"port {port} is already in use on 127.0.0.1; pick another with --port (0: any)"
    ]


@pytest.mark.parametrize(
    ("platform", "reuse"), [("linux", True), ("darwin", True), ("win32", False)]
)
def test_the_port_is_bound_without_so_reuseaddr_on_windows(
    monkeypatch: pytest.MonkeyPatch, platform: str, reuse: bool
) -> None:
    """On Windows SO_REUSEADDR lets a second server bind a port in use (and get none of its
    requests) instead of failing, so a taken port would go unnoticed there."""
    monkeypatch.setattr(sys, "platform", platform)
    server = SandboxHTTPServer(0, ConnectService(SandboxConfig()))
    try:
        assert bool(server.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)) is reuse
    finally:
        server.server_close()


def parse(*args: str) -> argparse.Namespace:
    return build_parser().parse_args(["sandbox", *args])


def test_options_become_the_sandbox_config():
    options = (
        "--rate 0.5 --burst 3 --stop-rate 1.5 --stop-burst 4 --active-task-cap 10 "
        "--latency-ms 50 150 --fail-rate 0.05 "
        "--drop-before-rate 0.01 --drop-after-rate 0.02 --bad-200-rate 0.03 --access-denied "
        "--seed 9 "
        "--ledger tasks.jsonl --instance-id inst --quick-connect-id qc-1 --quick-connect-id qc-2"
    )

    config = config_from_args(parse(*options.split()))

    assert (config.rate, config.burst, config.active_task_cap) == (0.5, 3, 10)
    assert (config.stop_rate, config.stop_burst) == (1.5, 4)
    assert config.latency_ms == (50.0, 150.0)
    assert (config.fail_rate, config.drop_before_rate, config.drop_after_rate) == (
        0.05,
        0.01,
        0.02,
    )
    assert config.bad_200_rate == 0.03
    assert config.access_denied
    assert config.seed == 9
    assert config.ledger_path == Path("tasks.jsonl")
    assert config.instance_ids == ("inst",)
    assert config.quick_connect_ids == ("qc-1", "qc-2")
    assert config.contact_flow_ids == defaults.CONTACT_FLOW_IDS


def test_the_defaults_are_the_documented_quota_and_ids():
    config = config_from_args(parse())

    assert (config.rate, config.burst, config.active_task_cap) == (2.0, 5, None)
    assert (config.stop_rate, config.stop_burst) == (2.0, 5)
    assert config.instance_ids == (defaults.INSTANCE_ID,)
    assert config.task_template_ids == defaults.TASK_TEMPLATE_IDS
    assert config.task_templates == ()
    assert parse().port == 8000


@pytest.mark.parametrize(
    "args",
    [
        ["--fail-rate", "1.5"],
        ["--bad-200-rate", "2"],
        ["--burst", "0"],
        ["--rate", "-1"],
        ["--stop-burst", "0"],
        ["--stop-rate", "-1"],
        ["--port", "-1"],
    ],
    ids=lambda args: " ".join(args),
)
def test_values_out_of_range_are_usage_errors(args, capsys):
    with pytest.raises(SystemExit) as exited:
        parse(*args)

    assert exited.value.code == 2
    assert args[0] in capsys.readouterr().err


def test_template_files_add_their_templates_and_ids(tmp_path):
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    one.write_text(json.dumps(REFUND_TEMPLATE), encoding="utf-8")
    two.write_text(json.dumps([{**REFUND_TEMPLATE, "Id": "second"}]), encoding="utf-8")

    config = config_from_args(
        parse("--task-template-file", str(one), "--task-template-file", str(two))
    )

    assert config.task_template_ids == (*defaults.TASK_TEMPLATE_IDS, "refund-template", "second")
    assert [template["Name"] for template in config.task_templates] == ["Refund request"] * 2


def test_latency_min_above_max_is_a_usage_error():
    with pytest.raises(UsageError, match="--latency-ms"):
        config_from_args(parse("--latency-ms", "200", "100"))
