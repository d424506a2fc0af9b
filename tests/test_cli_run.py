"""`task-importer run` end to end: the real CLI, real boto3, the local Connect sandbox.

Each test starts a sandbox that stays up across every CLI invocation of the test, so its
counters and tasks show what really reached "Amazon Connect". Most runs are in-process
(``importer.cli.main``); the kill and SIGTERM tests run the CLI as a child process. Nothing
here asserts on time: counts only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import (
    DONE,
    FLOW,
    HEADER,
    INSTANCE,
    WAIT_S,
    cli_args,
    journal_tokens,
    log_messages,
    planned_rows,
    results_of,
    start_child,
    statuses,
    task_rows,
    tasks_by_token,
    wait_until,
    write_input,
)
from spreadsheets import read_results, write_xlsx

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

from importer.cli import main
from importer.journal import Journal
from importer.sandbox import Sandbox

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and flock")

REPO = Path(__file__).resolve().parent.parent


# --- a clean run and re-runs ---------------------------------------------------------------


def test_run_creates_every_row_once_with_its_fields(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    rows = task_rows(300)
    source = write_input(tmp_path / "tasks.csv", rows)

    assert main(cli_args("run", source, sb, tmp_path)) == 0

    out = capsys.readouterr().err
    assert "300 rows: created 300, already_created 0" in out
    assert sb.counters()["created"] == 300
    by_token = tasks_by_token(sb)
    lines = results_of(source)
    assert [line["row"] for line in lines] == [str(n) for n in range(2, 302)]
    assert statuses(lines) == {"created": 300}
    for line, (name, description, customer, priority) in zip(lines, rows, strict=True):
        task = by_token[line["client_token"]]
        assert line["contact_id"] == task["ContactId"]
        assert (line["Name"], line["Attributes.customer_id"]) == (name, customer)
        request = task["request"]
        assert request["Name"] == name
        assert request["Description"] == description
        assert request["Attributes"] == {"customer_id": customer, "priority": priority}
        assert request["ContactFlowId"] == FLOW
        assert request["InstanceId"] == INSTANCE


def test_rerun_on_the_same_journal_sends_nothing(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(300))
    args = cli_args("run", source, sb, tmp_path)
    assert main(args) == 0
    first = {line["row"]: line["contact_id"] for line in results_of(source)}
    before = sb.counters()
    capsys.readouterr()

    assert main(args) == 0

    assert sb.counters() == before, "the re-run made API calls"
    assert "0 API calls" in capsys.readouterr().err
    lines = results_of(source)
    assert statuses(lines) == {"already_created": 300}
    assert {line["row"]: line["contact_id"] for line in lines} == first


def test_rerun_without_the_journal_creates_nothing_new(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(300))
    args = cli_args("run", source, sb, tmp_path)
    assert main(args) == 0
    first = {line["row"]: line["contact_id"] for line in results_of(source)}
    for path in tmp_path.glob("j.sqlite3*"):
        path.unlink()

    assert main(args) == 0

    counters = sb.counters()
    assert counters["created"] == 300
    assert counters["replays"] == 300
    assert counters["mismatches"] == 0
    tasks_by_token(sb)
    lines = results_of(source)
    assert set(statuses(lines)) <= DONE
    assert {line["row"]: line["contact_id"] for line in lines} == first


def test_identical_rows_are_distinct_tasks(sandbox: Callable[..., Sandbox], tmp_path: Path):
    sb = sandbox()
    row = ["Call the depot", "Same words on every row", "00042", "high"]
    source = write_xlsx(tmp_path / "same.xlsx", [HEADER, *([row] * 5)])
    args = cli_args("run", source, sb, tmp_path)

    assert main(args) == 0
    assert sb.counters()["created"] == 5
    by_token = tasks_by_token(sb)
    lines = results_of(source)
    assert statuses(lines) == {"created": 5}
    assert {line["client_token"] for line in lines} == set(by_token)
    assert len({line["contact_id"] for line in lines}) == 5

    assert main(args) == 0
    assert sb.counters()["requests"] == 5
    assert statuses(results_of(source)) == {"already_created": 5}


# --- faults, crashes, interruptions --------------------------------------------------------


@pytest.mark.parametrize(
    "faults",
    [
        {"fail_rate": 0.10, "drop_before_rate": 0.05, "drop_after_rate": 0.08, "seed": 11},
        {"bad_200_rate": 0.3, "seed": 4},  # a proxy's login page, an empty body, {}...
    ],
    ids=["errors-and-drops", "200s-without-a-contact-id"],
)
@pytest.mark.usefixtures("quick_backoff")
def test_faults_still_create_every_row_exactly_once(
    sandbox: Callable[..., Sandbox], tmp_path: Path, faults: dict[str, float]
) -> None:
    sb = sandbox(**faults)
    source = write_input(tmp_path / "tasks.csv", task_rows(200))

    assert main(cli_args("run", source, sb, tmp_path)) == 0

    counters = sb.counters()
    assert counters["faults"] > 0, "no fault was injected: the test proves nothing"
    assert counters["created"] == 200
    by_token = tasks_by_token(sb)
    lines = results_of(source)
    assert statuses(lines) == {"created": 200}
    assert {line["client_token"] for line in lines} == set(by_token)
    for line in lines:
        assert line["contact_id"] == by_token[line["client_token"]]["ContactId"]
    assert sum(int(line["attempts"]) for line in lines) > 200, "no row was retried"
    assert set(journal_tokens(tmp_path / "j.sqlite3").values()) == {"created"}


@pytest.mark.usefixtures("quick_backoff")
def test_200_answers_that_are_never_a_contact_id_fail_the_rows_and_a_later_run_creates_them(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(bad_200_rate=1.0, seed=1)
    source = write_input(tmp_path / "tasks.csv", task_rows(4))
    args = cli_args("run", source, sb, tmp_path, "--max-attempts", "3")

    assert main(args) == 1

    assert sb.counters()["bad_200"] == 12
    assert sb.tasks() == []
    lines = results_of(source)
    assert statuses(lines) == {"failed": 4}
    for line in lines:
        assert (line["error_code"], line["contact_id"], line["attempts"]) == (
            "NoContactId",
            "",
            "3",
        )
        assert "without a ContactId" in line["error_message"]
        assert "a task may have been created" in line["error_message"]
    journal = journal_tokens(tmp_path / "j.sqlite3")
    assert set(journal.values()) == {"failed"}  # never "created" without a ContactId
    capsys.readouterr()

    sb.configure(bad_200_rate=0.0)
    assert main(args) == 0

    assert sb.counters()["created"] == 4
    by_token = tasks_by_token(sb)
    lines = results_of(source)
    assert statuses(lines) == {"created": 4}
    assert {line["client_token"]: line["contact_id"] for line in lines} == {
        token: task["ContactId"] for token, task in by_token.items()
    }


def test_kill_9_mid_run_then_rerun_creates_every_row_exactly_once(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(latency_ms=(30, 60), seed=3)
    rows = 300
    source = write_input(tmp_path / "tasks.csv", task_rows(rows))
    journal = tmp_path / "j.sqlite3"
    process, log = start_child(cli_args("run", source, sb, tmp_path, rate="150"), tmp_path)
    wait_until(lambda: sb.counters()["created"] >= rows // 3, process, log)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=WAIT_S) == -signal.SIGKILL
    assert not source.with_name("tasks.results.csv").exists()

    at_kill = journal_tokens(journal)
    in_flight = {token for token, status in at_kill.items() if status == "in_flight"}
    recorded = {token for token, status in at_kill.items() if status == "created"}
    assert set(at_kill.values()) <= {"in_flight", "created"}
    assert in_flight, "nothing was in flight at the kill: nothing to reconcile"
    assert rows // 3 <= len(at_kill) < rows

    sb.configure(latency_ms=(0, 0))
    assert main(cli_args("run", source, sb, tmp_path)) == 0

    assert sb.counters()["created"] == rows
    by_token = tasks_by_token(sb)
    lines = results_of(source)
    assert len(lines) == rows
    assert {line["client_token"] for line in lines} == set(by_token)
    assert set(statuses(lines)) <= DONE
    for line in lines:
        assert line["contact_id"] == by_token[line["client_token"]]["ContactId"]
    reconciled = {line["client_token"] for line in lines if "reconciled" in line["error_message"]}
    assert reconciled == in_flight
    assert all(
        line["status"] == "already_created" for line in lines if line["client_token"] in reconciled
    )
    kept = {
        line["client_token"]
        for line in lines
        if line["status"] == "already_created" and line["client_token"] not in reconciled
    }
    assert kept == recorded
    fresh = [line for line in lines if line["status"] == "created"]
    assert len(fresh) == rows - len(at_kill)


def test_sigterm_stops_cleanly_with_complete_results_and_a_rerun_finishes(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(latency_ms=(30, 60), seed=5)
    rows = 240
    source = write_input(tmp_path / "tasks.csv", task_rows(rows))
    args = cli_args("run", source, sb, tmp_path, rate="150")
    process, log = start_child(args, tmp_path)
    wait_until(lambda: sb.counters()["created"] >= rows // 3, process, log)
    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=WAIT_S) == 3, log.read_text()
    output = log.read_text()
    assert "SIGTERM" in output
    assert "STOPPED EARLY" in output
    created_before = sb.counters()["created"]
    assert created_before < rows
    lines = results_of(source)
    assert [line["row"] for line in lines] == [str(n) for n in range(2, rows + 2)]
    counts = statuses(lines)
    assert set(counts) == {"created", "not_attempted"}
    assert counts["created"] == created_before
    for line in lines:
        if line["status"] == "not_attempted":
            assert line["contact_id"] == ""
            assert "SIGTERM" in line["error_message"]
    requests_before = sb.counters()["requests"]

    sb.configure(latency_ms=(0, 0))
    assert main(args) == 0

    counters = sb.counters()
    assert counters["created"] == rows
    assert counters["replays"] == 0
    assert counters["requests"] - requests_before == rows - created_before
    by_token = tasks_by_token(sb)
    after = results_of(source)
    assert statuses(after) == {"already_created": created_before, "created": rows - created_before}
    assert {line["client_token"] for line in after} == set(by_token)


def test_rows_sent_before_an_interrupt_say_a_task_may_exist_and_only_unsent_rows_are_not_attempted(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(fail_rate=1.0, latency_ms=(5, 10), seed=6)  # every attempt a 500: retried
    rows = 60
    source = write_input(tmp_path / "tasks.csv", task_rows(rows))
    args = cli_args("run", source, sb, tmp_path)
    process, log = start_child(args, tmp_path)
    wait_until(lambda: sb.counters()["requests"] >= 30, process, log)
    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=WAIT_S) == 3, log.read_text()
    output = log.read_text()
    assert "STOPPED EARLY: interrupted by SIGTERM" in output
    lines = results_of(source)
    counts = statuses(lines)
    assert set(counts) == {"failed", "not_attempted"}, counts
    for line in lines:
        if line["attempts"]:  # sent: a 500 may have created its task
            assert line["status"] == "failed"
            assert line["error_code"] == "InternalServiceException"
            assert "SIGTERM" in line["error_message"]
            assert "a task may have been created" in line["error_message"]
            assert "resends the same ClientToken and reconciles it" in line["error_message"]
        else:
            assert line["status"] == "not_attempted"
            assert line["error_message"].startswith("not sent: the run stopped")
    sent = {line["client_token"] for line in lines if line["attempts"]}
    journal = journal_tokens(tmp_path / "j.sqlite3")
    assert {token for token, status in journal.items() if status == "in_flight"} == sent

    sb.configure(fail_rate=0.0)
    assert main(args) == 0

    assert sb.counters()["created"] == rows
    by_token = tasks_by_token(sb)
    assert {line["client_token"] for line in results_of(source)} == set(by_token)


def test_a_second_interrupt_stops_waiting_for_requests_in_flight(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(latency_ms=(300_000, 300_000))  # answers come after 5 minutes
    rows = 6
    source = write_input(tmp_path / "tasks.csv", task_rows(rows))
    args = cli_args("run", source, sb, tmp_path)
    process, log = start_child(args, tmp_path)
    wait_until(lambda: sb.counters()["requests"] == rows, process, log)
    process.send_signal(signal.SIGINT)
    wait_until(lambda: "finishing requests in flight" in log.read_text(), process, log)
    process.send_signal(signal.SIGINT)

    assert process.wait(timeout=WAIT_S) == 3, log.read_text()
    output = log.read_text()
    assert "SIGINT again: not waiting for the requests in flight" in output
    assert "STOPPED EARLY: interrupted by SIGINT" in output
    assert "Traceback" not in output
    lines = results_of(source)
    assert statuses(lines) == {"failed": rows}
    for line in lines:
        assert (line["error_code"], line["attempts"]) == ("NoAnswer", "1")
        assert "before Amazon Connect answered" in line["error_message"]
        assert "a task may have been created" in line["error_message"]
    assert set(journal_tokens(tmp_path / "j.sqlite3").values()) == {"in_flight"}

    sb.configure(latency_ms=(0, 0))
    assert main(args) == 0

    assert sb.counters()["created"] == rows
    by_token = tasks_by_token(sb)
    after = results_of(source)
    assert statuses(after) == {"already_created": rows}
    assert all(line["error_message"].startswith("reconciled: ") for line in after)
    assert {line["client_token"] for line in after} == set(by_token)


# --- runs that must stop ---------------------------------------------------------------


def test_an_endpoint_that_never_answers_stops_the_run_after_the_first_requests(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(latency_ms=(5_000, 5_000))
    source = write_input(tmp_path / "tasks.csv", task_rows(40))
    args = cli_args("run", source, sb, tmp_path, "--read-timeout", "0.2", "--concurrency", "2")

    assert main(args) == 3

    out = capsys.readouterr().err
    assert "STOPPED EARLY: no answer came from the endpoint" in out
    assert "ReadTimeoutError" in out
    assert "--endpoint-url" in out
    requests = sb.counters()["requests"]
    assert 5 <= requests <= 5 + 2 - 1  # the first 5 (breaker rows), and one more in flight
    lines = results_of(source)
    assert sum(int(line["attempts"] or 0) for line in lines) == requests
    for line in lines:
        if line["attempts"]:
            assert (line["status"], line["error_code"]) == ("failed", "ReadTimeoutError")
            assert "a task may have been created" in line["error_message"]
        else:
            assert line["status"] == "not_attempted"


def test_access_denied_stops_at_once_and_a_rerun_continues(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(access_denied=True)
    source = write_input(tmp_path / "tasks.csv", task_rows(200))
    args = cli_args("run", source, sb, tmp_path)

    assert main(args) == 3

    out = capsys.readouterr().err
    assert "STOPPED EARLY" in out
    assert "connect:StartTaskContact" in out
    counters = sb.counters()
    assert 1 <= counters["requests"] <= 10
    assert counters["created"] == 0
    lines = results_of(source)
    assert len(lines) == 200
    counts = statuses(lines)
    assert set(counts) == {"failed", "not_attempted"}
    assert counts["failed"] == counters["requests"]
    for line in lines:
        if line["status"] == "failed":
            assert line["error_code"] == "AccessDeniedException"
            assert "not authorized" in line["error_message"]
        else:
            assert "access denied" in line["error_message"]

    sb.configure(access_denied=False)
    assert main(args) == 0
    assert sb.counters()["created"] == 200
    tasks_by_token(sb)
    assert statuses(results_of(source)) == {"created": 200}


def test_active_task_cap_stops_and_a_rerun_after_closing_tasks_finishes(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(active_task_cap=50)
    source = write_input(tmp_path / "tasks.csv", task_rows(120))
    args = cli_args("run", source, sb, tmp_path, "--quota-pause", "0.2")

    assert main(args) == 3

    out = capsys.readouterr().err
    assert "active tasks" in out
    assert "run the same command again to continue" in out
    assert sb.counters()["created"] == 50
    lines = results_of(source)
    counts = statuses(lines)
    assert counts["created"] == 50
    assert counts["failed"] + counts["not_attempted"] == 70
    assert 1 <= counts["failed"] <= sb.counters()["quota_exceeded"]
    for line in lines:
        if line["status"] in ("failed", "not_attempted"):
            assert line["contact_id"] == ""
            assert "active-task quota" in line["error_message"]
        if line["status"] == "failed":  # sent and refused: nothing was created
            assert line["error_code"] == "ServiceQuotaExceededException"
            assert "no task was created" in line["error_message"]
        if line["status"] == "not_attempted":
            assert line["attempts"] == ""

    assert sb.close_tasks() == 50
    assert main(args) == 3
    assert sb.counters()["created"] == 100
    counts = statuses(results_of(source))
    assert (counts["already_created"], counts["created"]) == (50, 50)
    assert counts["failed"] + counts["not_attempted"] == 20

    assert sb.close_tasks() == 50
    assert main(args) == 0

    assert sb.counters()["created"] == 120
    by_token = tasks_by_token(sb)
    after = results_of(source)
    assert statuses(after) == {"already_created": 100, "created": 20}
    assert {line["client_token"] for line in after} == set(by_token)


def test_a_second_run_on_a_held_journal_exits_4_naming_the_holder(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(10))
    args = cli_args("run", source, sb, tmp_path)

    with Journal(tmp_path / "j.sqlite3"):
        assert main(args) == 4
    err = capsys.readouterr().err
    host = socket.gethostname()
    assert f"in use by another run (pid {os.getpid()} on {host}, started " in err
    assert f"wait for it to finish: `ps -p {os.getpid()}` on {host} shows whether" in err
    assert "a process that has died is taken over automatically" in err
    assert "--journal" not in err  # two journals on one inbox would defeat the lock
    assert sb.counters()["requests"] == 0

    assert main(args) == 0
    assert sb.counters()["created"] == 10


# --- the journal ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_a_journal_that_cannot_be_opened_is_one_line_and_exit_2_and_nothing_is_sent(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    if where == "proc" and not Path("/proc/version").is_file():
        pytest.skip("no /proc/version on this system")
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(5))
    (tmp_path / "a-file").write_text("a file, not a folder")
    journal = {"under-a-file": str(tmp_path / "a-file" / "j.sqlite3"), "proc": "/proc/version"}
    args = cli_args("run", source, sb, tmp_path, "--journal", journal[where])

    assert main(args) == 2

    err = capsys.readouterr().err
    log_messages(err)  # every line a log line: no traceback
    errors = [line for line in err.splitlines() if " ERROR " in line]
    assert len(errors) == 1, err
    assert f"journal {journal[where]} cannot be opened" in errors[0]
    assert "give --journal" in errors[0]
    assert sb.counters()["requests"] == 0
    assert not source.with_name("tasks.results.csv").exists()


DISK_LIMIT = 200_000
"""Bytes a child run may write to one file: its journal's WAL (about 45 KB once opened, then
about 17 KB a row) passes it after about 9 rows; its results file (60 rows, under 20 KB)
never does."""


def limit_file_size() -> None:
    """In the child: files cannot grow past DISK_LIMIT, and a write past it fails with EFBIG
    (as on a full disk) instead of killing the process with SIGXFSZ."""
    assert resource is not None
    resource.setrlimit(resource.RLIMIT_FSIZE, (DISK_LIMIT, DISK_LIMIT))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


@pytest.mark.skipif(resource is None, reason="needs the resource module (POSIX)")
def test_a_journal_that_fills_its_disk_mid_run_stops_with_exit_3_and_complete_results(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox(latency_ms=(2, 5), seed=8)
    rows = 60
    source = write_input(tmp_path / "tasks.csv", task_rows(rows))
    args = cli_args("run", source, sb, tmp_path, rate="200")
    journal = tmp_path / "j.sqlite3"

    child = subprocess.run(
        [sys.executable, "-m", "importer", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        preexec_fn=limit_file_size,
    )

    assert child.returncode == 3, child.stderr
    assert "Traceback" not in child.stderr
    assert f"STOPPED EARLY: journal {journal} cannot be read or written" in child.stderr
    created = {task["ContactId"] for task in sb.tasks()}
    assert 0 < len(created) < rows
    lines = results_of(source)
    assert len(lines) == rows
    assert created == {line["contact_id"] for line in lines} - {""}
    unrecorded = [line for line in lines if "journal could not record it" in line["error_message"]]
    assert all(line["status"] == "created" and line["contact_id"] for line in unrecorded)
    assert set(statuses(lines)) <= {"created", "not_attempted"}
    requests_before = sb.counters()["requests"]

    assert main(args) == 0

    assert sb.counters()["created"] == rows
    by_token = tasks_by_token(sb)
    after = results_of(source)
    assert set(statuses(after)) <= DONE
    assert {line["client_token"]: line["contact_id"] for line in after} == {
        token: task["ContactId"] for token, task in by_token.items()
    }
    assert sb.counters()["requests"] - requests_before == rows - len(created) + len(unrecorded)


# --- sending nothing -----------------------------------------------------------------------


def test_dry_run_prints_the_tokens_a_run_sends_and_sends_nothing(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(10))
    args = cli_args("run", source, sb, tmp_path)

    assert main([*args, "--dry-run"]) == 0

    plans = planned_rows(capsys.readouterr().out)
    assert sorted(plans) == list(range(2, 12))
    assert all(plan.startswith("send cti1-") for plan in plans.values())
    printed = {str(row): plan.removeprefix("send ") for row, plan in plans.items()}
    assert sb.counters()["requests"] == 0
    assert not (tmp_path / "j.sqlite3").exists()
    assert not (tmp_path / "tasks.results.csv").exists(), "a dry run writes no results"

    assert main(args) == 0
    assert {line["row"]: line["client_token"] for line in results_of(source)} == printed
    assert set(tasks_by_token(sb)) == set(printed.values())


def test_run_sandbox_sends_the_sample_file_to_the_local_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = (REPO / "sample_data" / "tasks.csv").read_text(encoding="utf-8")
    source = tmp_path / "tasks.csv"
    source.write_text("".join(sample.splitlines(keepends=True)[:6]), encoding="utf-8")

    assert main(["run", str(source), "--sandbox", "--no-progress"]) == 0

    out = capsys.readouterr().err
    assert "SANDBOX:" in out
    assert "nothing is sent to AWS" in out
    lines = read_results(tmp_path / "tasks.sandbox.results.csv")
    assert statuses(lines) == {"created": 5}
    assert all(line["contact_id"] for line in lines)
    assert not (tmp_path / "default-journal.sqlite3").exists()
    assert not (tmp_path / "tasks.results.csv").exists()


def test_sandbox_and_endpoint_url_together_are_a_usage_error(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(3))

    assert main([*cli_args("run", source, sb, tmp_path), "--sandbox"]) == 2

    assert "--sandbox and --endpoint-url" in capsys.readouterr().err
    assert sb.counters()["requests"] == 0


@pytest.mark.parametrize("results", ["out.txt", "a-file/out.csv"])
def test_an_unwritable_results_path_is_refused_before_anything_is_sent(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    results: str,
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(10))
    (tmp_path / "a-file").write_text("a file, not a directory")

    args = cli_args("run", source, sb, tmp_path, "--results", str(tmp_path / results))
    assert main(args) == 2

    assert "results file" in capsys.readouterr().err
    assert sb.counters()["requests"] == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-file", "tasks.csv"]
