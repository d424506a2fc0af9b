"""Unattended runs: a config file, an inbox of files, archives, the summary JSON, the logs.

Everything goes through ``importer.cli.main`` (or a child process) against the sandbox.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import (
    FLOW,
    HEADER,
    INSTANCE,
    OTHER_FLOW,
    WAIT_S,
    cli_args,
    log_messages,
    results_of,
    start_child,
    statuses,
    task_rows,
    tasks_by_token,
    wait_until,
    write_input,
)
from spreadsheets import read_results

from importer.cli import main, parse, summary_json
from importer.sandbox import Sandbox, defaults


def write_config(path: Path, sb: Sandbox, **extra: object) -> Path:
    """A config file for the sandbox; values are TOML literals of ``extra``."""
    lines = [
        f'instance-id = "{INSTANCE}"',
        f'contact-flow-id = "{FLOW}"',
        f'endpoint-url = "{sb.url}"',
        'region = "us-east-1"',
        'journal = "state/journal.sqlite3"',
        "rate = 500",
        "burst = 50",
        "no-progress = true",
        "settle-seconds = 0",
        *(f"{key} = {json.dumps(value)}" for key, value in extra.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the config file -----------------------------------------------------------------------


def test_a_config_file_drives_a_run_and_the_command_line_overrides_it(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "monday.csv", task_rows(5))
    config = write_config(tmp_path / "importer.toml", sb, inputs=["inbox"])

    assert main(["run", "--config", str(config)]) == 0
    assert {task["request"]["ContactFlowId"] for task in sb.tasks()} == {FLOW}
    assert (tmp_path / "state" / "journal.sqlite3").exists(), "paths are read from its folder"

    tuesday = write_input(tmp_path / "tuesday.csv", task_rows(3, start=100))
    overrides = ["--contact-flow-id", OTHER_FLOW, "--results-dir", str(tmp_path / "out")]
    assert main(["run", str(tuesday), "--config", str(config), *overrides]) == 0
    flows = [task["request"]["ContactFlowId"] for task in sb.tasks()]
    assert flows.count(FLOW) == 5 and flows.count(OTHER_FLOW) == 3
    assert statuses(read_results(tmp_path / "out" / "tuesday.results.csv")) == {"created": 3}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("rat = 5", "unknown key 'rat'; did you mean 'rate'?"),
        ('rate = "fast"', "rate: 'fast' is not accepted"),
        ('no-progress = "yes"', "no-progress must be true or false"),
        ("read-timeout = 0", "read-timeout: 0 is not accepted: '0' is not a number of seconds"),
        ("rate = [", "is not valid TOML"),
    ],
)
def test_a_bad_config_file_is_one_clear_error_and_exit_2(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    line: str,
    expected: str,
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(2))
    config = tmp_path / "bad.toml"
    config.write_text(f'instance-id = "{INSTANCE}"\n{line}\n', encoding="utf-8")

    assert main(cli_args("run", source, sb, tmp_path, "--config", str(config))) == 2

    messages = log_messages(capsys.readouterr().err)
    assert len(messages) == 1 and expected in messages[0], messages
    assert str(config) in messages[0]
    assert sb.counters()["requests"] == 0


# --- an inbox ------------------------------------------------------------------------------


def test_an_inbox_archives_the_files_that_were_fully_created_and_keeps_the_rest(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    write_input(inbox / "a.csv", task_rows(4))
    write_input(inbox / "b.csv", task_rows(4, start=10))
    write_input(inbox / "c.csv", [*task_rows(3, start=20), ["", "no name", "1", "low"]])
    summary = tmp_path / "summary.json"

    args = cli_args("run", inbox, sb, tmp_path, "--archive-dir", str(archive))
    assert main([*args, "--settle-seconds", "0", "--summary-json", str(summary)]) == 1

    assert sorted(p.name for p in archive.iterdir()) == [
        "a.csv",
        "a.results.csv",
        "b.csv",
        "b.results.csv",
    ]
    assert sorted(p.name for p in inbox.iterdir()) == ["c.csv", "c.results.csv"]
    assert statuses(results_of(inbox / "c.csv")) == {"created": 3, "invalid": 1}
    assert len(tasks_by_token(sb)) == 11

    report = json.loads(summary.read_text(encoding="utf-8"))
    assert report["exit_code"] == 1
    assert report["counts"]["created"] == 11 and report["counts"]["invalid"] == 1
    archived = {Path(f["input"]).name: Path(f["archived_to"]).parent for f in report["files"]}
    assert archived == {"a.csv": archive, "b.csv": archive, "c.csv": Path(".")}

    # The next run picks up only what is left; nothing is sent twice.
    (inbox / "c.csv").write_text(
        (inbox / "c.csv").read_text(encoding="utf-8").replace(",no name,", "Fixed,no name,")
    )
    assert main([*args, "--settle-seconds", "0"]) == 0
    assert sorted(p.name for p in inbox.iterdir()) == []
    assert len(tasks_by_token(sb)) == 12
    assert "c.results.csv" in {p.name for p in archive.iterdir()}


def test_several_inputs_with_one_results_path_is_a_usage_error(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    first = write_input(tmp_path / "a.csv", task_rows(1))
    second = write_input(tmp_path / "b.csv", task_rows(1, start=5))
    args = cli_args("run", first, sb, tmp_path, "--results", str(tmp_path / "r.csv"))
    args.insert(2, str(second))

    assert main(args) == 2
    assert "use --results-dir" in capsys.readouterr().err
    assert sb.counters()["requests"] == 0


def test_an_unreadable_file_among_several_is_reported_and_the_others_are_sent(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    good = write_input(tmp_path / "good.csv", task_rows(3))
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    late = write_input(tmp_path / "late.csv", task_rows(3, start=10))
    with late.open("a", encoding="utf-8") as out:
        out.write('Task 99,"a quote that never closes,1,low\n')
    results = tmp_path / "results"

    args = cli_args("run", good, sb, tmp_path, "--results-dir", str(results))
    args[2:2] = [str(broken), str(late), str(tmp_path / "missing.csv")]
    assert main(args) == 1

    assert len(sb.tasks()) == 3, "only good.csv is sent; late.csv fails before sending"
    assert [p.name for p in results.iterdir()] == ["good.results.csv"]
    err = capsys.readouterr().err
    assert "broken.xlsx" in err and "late.csv" in err and "never closed" in err
    assert "missing.csv: no such file" in err

    mistyped = tmp_path / "typo" / "tasks.csv"
    assert main(cli_args("run", mistyped, sb, tmp_path)) == 2
    assert not (tmp_path / "typo").exists(), "the folder of a mistyped input is not created"


def test_archiving_keeps_the_input_and_a_results_file_of_another_name_side_by_side(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    source = write_input(inbox / "tasks.csv", task_rows(3))
    original = source.read_bytes()
    results = str(inbox / "tasks-out.csv")

    args = cli_args(
        "run", source, sb, tmp_path, "--results", results, "--archive-dir", str(archive)
    )
    assert main(args) == 0

    assert sorted(p.name for p in archive.iterdir()) == ["tasks-out.csv", "tasks.csv"]
    assert (archive / "tasks.csv").read_bytes() == original
    assert statuses(read_results(archive / "tasks-out.csv")) == {"created": 3}


def test_a_file_replaced_while_its_rows_are_sent_stays_for_the_next_run(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox(latency_ms=(100.0, 100.0))
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    source = write_input(inbox / "daily.csv", task_rows(5))

    def replace_once_sending() -> None:
        deadline = time.monotonic() + WAIT_S
        while sb.counters()["requests"] == 0 and time.monotonic() < deadline:
            time.sleep(0.002)
        write_input(inbox / "daily.tmp", task_rows(5, start=100)).replace(source)

    replacer = threading.Thread(target=replace_once_sending)
    replacer.start()
    args = cli_args(
        "run", inbox, sb, tmp_path, "--archive-dir", str(archive), "--settle-seconds", "0"
    )
    try:
        assert main([*args, "--concurrency", "1"]) == 0
    finally:
        replacer.join()

    assert not archive.exists()
    assert "daily.csv changed while its rows were sent, so it was not archived" in (
        capsys.readouterr().err
    )
    assert main(args) == 0
    assert sorted(p.name for p in archive.iterdir()) == ["daily.csv", "daily.results.csv"]
    assert len(tasks_by_token(sb)) == 10


def test_a_wrong_flow_stops_the_run_after_five_rows_however_the_rows_are_split_into_files(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    parts = [write_input(tmp_path / f"part{i}.csv", task_rows(3, start=10 * i)) for i in range(4)]
    args = cli_args("run", parts[0], sb, tmp_path, "--concurrency", "1")
    args[2:2] = [str(part) for part in parts[1:]]
    args[args.index(FLOW)] = "f10f10f1-0000-4000-8000-0000000000ff"

    assert main(args) == 3
    assert sb.counters()["requests"] <= 6, "the fifth failure stops it (one more may be sent)"
    assert not (tmp_path / "part2.results.csv").exists(), "later files are not started"


def test_a_summary_path_that_cannot_be_written_stops_the_run_before_sending(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(2))
    not_a_folder = tmp_path / "reports"
    not_a_folder.write_text("a file", encoding="utf-8")
    summary = str(not_a_folder / "summary.json")

    assert main(cli_args("run", source, sb, tmp_path, "--summary-json", summary)) == 2
    assert "cannot write the summary" in capsys.readouterr().err
    assert sb.counters()["requests"] == 0


def test_validate_and_a_dry_run_never_replace_the_results_of_a_run(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(3))
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    results = tmp_path / "tasks.results.csv"
    before = results.read_bytes()
    validate = ["validate", str(source), "--instance-id", INSTANCE, "--contact-flow-id", FLOW]

    assert main(cli_args("run", source, sb, tmp_path, "--dry-run")) == 0  # writes no results
    assert main(validate) == 2

    assert results.read_bytes() == before
    refused = "tasks.results.csv holds the results of a run (its line 2 records a row sent)"
    assert refused in capsys.readouterr().err
    assert main([*validate, "--results", str(tmp_path / "check.csv")]) == 0

    # A results file a person damaged (a word in a number column) is kept too.
    results.write_text(results.read_text(encoding="utf-8-sig").replace(",1,", ",1 (checked),"))
    damaged = results.read_bytes()
    assert main(validate) == 2
    assert results.read_bytes() == damaged
    assert "exists and cannot be read as results" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_while_the_inbox_settles_exits_3_with_a_summary_and_sends_nothing(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "a.csv", task_rows(2))
    summary = tmp_path / "summary.json"
    args = cli_args("run", inbox, sb, tmp_path, "--settle-seconds", "60")

    process, log = start_child([*args, "--summary-json", str(summary)], tmp_path)
    wait_until(lambda: "Watching 1 inbox files" in log.read_text(), process, log)
    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=WAIT_S) == 3, log.read_text()
    assert "interrupted by SIGTERM" in log.read_text()
    assert json.loads(summary.read_text(encoding="utf-8"))["exit_code"] == 3
    assert sb.counters()["requests"] == 0


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_once_every_row_is_sent_still_writes_the_summary_of_the_finished_run(
    sandbox: Callable[..., Sandbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(2))
    summary = tmp_path / "summary.json"
    write_json = summary_json.write_json

    def interrupted_write(data: dict[str, object], destination: Path) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        write_json(data, destination)

    monkeypatch.setattr(summary_json, "write_json", interrupted_write)
    assert main(cli_args("run", source, sb, tmp_path, "--summary-json", str(summary))) == 0

    assert json.loads(summary.read_text(encoding="utf-8"))["exit_code"] == 0
    assert statuses(results_of(source)) == {"created": 2}


# --- what the logs may show ----------------------------------------------------------------


def test_no_task_content_or_secret_appears_in_the_output_at_info(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETKEY"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    sb = sandbox(fail_rate=0.2, seed=3)
    names = [f"Ring Mrs Zyxwvut {i}" for i in range(8)]
    descriptions = [f"Parcel qwertyuiop {i} lost" for i in range(8)]
    values = [f"acct-{i}-plokmijn" for i in range(8)]
    links = [f"https://orders.example.com/mnbvcxz{i}" for i in range(8)]
    rows = [
        [n, d, v, "high", link]
        for n, d, v, link in zip(names, descriptions, values, links, strict=True)
    ]
    rows.append(["x" * 5000, "Too long a name: qazwsxedc", "acct-bad-plokmijn", "low", ""])
    rows.append(["Bad link", "A link that is not one", "acct-9", "low", "jane@lkjhgfdsa.example"])
    source = write_input(tmp_path / "tasks.csv", rows, [*HEADER, "References.URL.Order"])
    log_file = tmp_path / "run.log"

    code = main(cli_args("run", source, sb, tmp_path, "--log-file", str(log_file), "--rate", "50"))

    assert code == 1
    captured = capsys.readouterr()
    output = captured.out + captured.err + log_file.read_text(encoding="utf-8")
    assert "Results:" in output and "row 10" in output
    assert "row 11" in output, "the bad link's row is reported"
    for secret_or_content in [
        *(secret, "qazwsxedc", "x" * 50, "lkjhgfdsa"),
        *(*names, *descriptions, *values, *links),
    ]:
        assert secret_or_content not in output
    assert all(line[:4].isdigit() for line in log_file.read_text().splitlines())

    main([*cli_args("run", source, sb, tmp_path, "--log-file", str(log_file)), "-v"])
    assert secret not in log_file.read_text(encoding="utf-8") + capsys.readouterr().err


# --- never overlap -------------------------------------------------------------------------


@pytest.mark.early
def test_two_concurrent_runs_the_second_exits_4_and_nothing_is_duplicated(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    # 1 s answers, 8 at a time: the first run takes 15 s unless the sandbox speeds up, which
    # it does once the second run has ended
    sb = sandbox(latency_ms=(1000, 1000))
    source = write_input(tmp_path / "tasks.csv", task_rows(120))
    args = cli_args("run", source, sb, tmp_path)
    first, first_log = start_child(args, tmp_path)
    wait_until(lambda: sb.counters()["created"] >= 1, first, first_log)

    second_dir = tmp_path / "second"
    second_dir.mkdir()
    second, second_log = start_child([*args, "--results", str(second_dir / "r.csv")], second_dir)
    assert second.wait(timeout=WAIT_S) == 4
    assert first.poll() is None, "the first run ended before the second started"
    assert f"pid {first.pid}" in second_log.read_text()
    sb.configure(latency_ms=(0.0, 0.0))
    assert first.wait(timeout=WAIT_S) == 0, first_log.read_text()

    assert len(tasks_by_token(sb)) == 120
    assert sb.counters()["created"] == 120
    assert not (second_dir / "r.csv").exists()
    assert statuses(read_results(tmp_path / "tasks.results.csv")) == {"created": 120}


# --- run --check ---------------------------------------------------------------------------


def test_run_check_stops_before_sending_when_a_flow_is_missing(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sb = sandbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sb.url)
    source = write_input(tmp_path / "tasks.csv", task_rows(4))
    summary = tmp_path / "summary.json"
    missing_flow = "f10f10f1-0000-4000-8000-0000000000ff"
    args = cli_args("run", source, sb, tmp_path, "--check", "--summary-json", str(summary))
    args[args.index(FLOW)] = missing_flow

    assert main(args) == 2

    err = capsys.readouterr().err
    assert f"contact flow {missing_flow} not found" in err
    assert sb.counters()["requests"] == 0
    assert not (tmp_path / "tasks.results.csv").exists()
    assert json.loads(summary.read_text())["exit_code"] == 2


def test_run_check_passes_and_the_summary_names_the_caller(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sb = sandbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sb.url)
    source = write_input(tmp_path / "tasks.csv", task_rows(4))

    assert main(cli_args("run", source, sb, tmp_path, "--check", "--summary-json", "-")) == 0

    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["audit"]["caller_arn"] == defaults.CALLER_ARN
    assert report["counts"]["created"] == 4
    assert "Preflight passed" in captured.err


def test_the_shipped_config_template_names_only_known_options() -> None:
    template = Path(__file__).resolve().parent.parent / "templates" / "importer.config.toml"

    args = parse(["run", "--config", str(template)])

    assert args.inputs == ["/srv/task-drop/inbox"]
    assert (args.rate, args.no_progress, args.region) == (2.0, True, "eu-west-2")
    assert (args.connect_timeout, args.read_timeout) == (5.0, 30.0)
    assert parse(["validate", "--config", str(template)]).results_dir == "/srv/task-drop/results"
