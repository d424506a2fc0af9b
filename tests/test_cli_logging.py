"""What the CLI logs: one record is one line, whatever a file name holds; its levels say what
happened (ERROR for every run that exited 2, 3 or 4); failed rows are listed."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import FLOW, INSTANCE, cli_args, log_messages, task_rows, write_input
from spreadsheets import write_csv

from importer import __version__
from importer.cli import main
from importer.journal import Journal
from importer.results import RESULT_COLUMNS
from importer.sandbox import Sandbox

FORGED = "2026-01-01T00:00:00Z ERROR forged"


@pytest.mark.skipif(sys.platform == "win32", reason="Windows file names cannot hold a line feed")
def test_a_file_name_with_a_line_feed_cannot_forge_a_log_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_input(tmp_path / f"tasks\n{FORGED}\x1b[2K.csv", task_rows(2))
    validate = ["validate", str(source), "--instance-id", INSTANCE, "--contact-flow-id", FLOW]
    capsys.readouterr()

    assert main(validate) == 0

    err = capsys.readouterr().err
    assert not [line for line in err.splitlines() if line.startswith(FORGED)]
    messages = log_messages(err)  # every line is a whole timestamped record
    assert f"Input: {tmp_path}/tasks\\n{FORGED}\\x1b[2K.csv" in messages


# --- log levels: what a cron log grepped for ERROR or WARNING finds ------------------------

UNKNOWN_FLOW = "f10f10f1-0000-4000-8000-0000000dead0"
SECRET = "Ms Secret Customer"
"""A task's Name: customer data, never in the log above DEBUG."""


def _tasks(tmp_path: Path, *extra: list[str]) -> Path:
    rows = [[f"{SECRET} {n}", "call back", FLOW] for n in range(4)]
    return write_csv(
        tmp_path / "tasks.csv", [["Name", "Description", "ContactFlowId"], *rows, *extra]
    )


def _case(case: str, sb: Sandbox, tmp_path: Path) -> list[str]:
    """The command line of one representative run of an exit code."""
    source = _tasks(tmp_path)
    if case == "created":
        return cli_args("run", source, sb, tmp_path)
    if case == "invalid rows":
        return cli_args("run", _tasks(tmp_path, ["", "no name", FLOW]), sb, tmp_path)
    if case == "failed rows":
        return cli_args("run", _tasks(tmp_path, [SECRET, "x", UNKNOWN_FLOW]), sb, tmp_path)
    if case == "missing input":
        return cli_args("run", tmp_path / "absent.csv", sb, tmp_path)
    if case == "unknown option":
        return [*cli_args("run", source, sb, tmp_path), "--colour", "red"]
    if case == "bad config":
        config = tmp_path / "importer.toml"
        config.write_text('colour = "red"\n', encoding="utf-8")
        return [*cli_args("run", source, sb, tmp_path), "--config", str(config)]
    if case == "results file as input":
        results = write_csv(tmp_path / "old.csv", [[*RESULT_COLUMNS, "Name"]])
        return cli_args("run", results, sb, tmp_path)
    if case == "preflight failed":
        return [*cli_args("run", source, sb, tmp_path), "--check", "--task-template-id", "nope"]
    if case == "access denied":
        sb.configure(access_denied=True)
        return cli_args("run", source, sb, tmp_path)
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("created", 0),
        ("invalid rows", 1),
        ("failed rows", 1),
        ("missing input", 2),
        ("unknown option", 2),
        ("bad config", 2),
        ("results file as input", 2),
        ("preflight failed", 2),
        ("access denied", 3),
        ("journal held", 4),
    ],
)
def test_grep_error_finds_every_run_that_exited_2_3_or_4_and_warning_its_rows(
    case: str,
    code: int,
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = sandbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sb.url)
    if case == "journal held":
        with Journal(tmp_path / "j.sqlite3"):
            assert main(cli_args("run", _tasks(tmp_path), sb, tmp_path)) == code
    elif case == "unknown option":  # argparse's error ends the process
        with pytest.raises(SystemExit) as exited:
            main(_case(case, sb, tmp_path))
        assert exited.value.code == code
    else:
        assert main(_case(case, sb, tmp_path)) == code

    err = capsys.readouterr().err
    levels = {line.split(" ")[1] for line in err.splitlines() if line[:4].isdigit()}
    assert ("ERROR" in levels) == (code in (2, 3, 4)), err
    if case in ("created", "invalid rows", "failed rows"):
        assert ("WARNING" in levels) == (code == 1), err
    assert SECRET not in err


def test_failed_rows_are_listed_with_their_code_and_the_first_20_point_at_the_results(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    bad = [[f"{SECRET} {n}", "x", UNKNOWN_FLOW] for n in range(22)]
    source = _tasks(tmp_path, *bad)

    assert main(cli_args("run", source, sb, tmp_path, "--concurrency", "1")) == 1

    messages = log_messages(capsys.readouterr().err)
    results = tmp_path / "tasks.results.csv"
    start = messages.index(f"First 20 of 22 failed rows (all of them are in {results}):")
    listed = messages[start + 1 : start + 21]
    assert listed == [
        f"  row {row}: ResourceNotFoundException: the instance, flow, task template or quick "
        "connect it names was not found"
        for row in range(6, 26)
    ]
    assert not [m for m in messages[start + 21 :] if m.startswith("  row ")]
    assert SECRET not in "\n".join(messages)


# --- a header line per command, a total line per run of several files ----------------------


def test_every_command_says_first_its_version_pid_config_and_journal(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(2))
    config = tmp_path / "importer.toml"
    config.write_text(f'contact-flow-id = "{FLOW}"\n', encoding="utf-8")
    log_file = tmp_path / "run.log"
    run = cli_args("run", source, sb, tmp_path, "--config", str(config))

    assert main(["--log-file", str(log_file), *run]) == 0
    validate = ["validate", str(source), "--results", str(tmp_path / "v.csv")]
    assert main([*validate, "--instance-id", INSTANCE, "--contact-flow-id", FLOW]) == 0
    sandboxed = ["run", str(source), "--sandbox", "--no-progress"]
    assert main([*sandboxed, "--results", str(tmp_path / "s.csv")]) == 1  # no flow

    headers = [m for m in log_messages(capsys.readouterr().err) if m.startswith("task-importer ")]
    pid = os.getpid()
    assert headers == [
        f"task-importer {__version__} run, pid {pid}, config {config}, "
        f"journal {tmp_path / 'j.sqlite3'}",
        f"task-importer {__version__} validate, pid {pid}, config none",
        f"task-importer {__version__} run, pid {pid}, config none, "
        "journal a throwaway one (--sandbox)",
    ]
    assert headers[0] in log_file.read_text(encoding="utf-8").splitlines()[0]


def test_a_run_of_several_files_ends_with_a_total_line(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "a.csv", task_rows(2))
    write_input(inbox / "b.csv", [*task_rows(3, start=10), ["", "no name", "1", "low"]])

    assert main(cli_args("run", inbox, sb, tmp_path, "--settle-seconds", "0")) == 1

    messages = log_messages(capsys.readouterr().err)
    assert messages[-1].startswith(
        "Total of 2 files: 6 rows: created 5, already_created 0, invalid 1, failed 0, "
        "not_attempted 0; 5 API calls in "
    )
    assert sum(1 for m in messages if m.startswith("Total of")) == 1
    assert main(cli_args("run", inbox / "a.csv", sb, tmp_path)) == 0
    assert not [m for m in log_messages(capsys.readouterr().err) if m.startswith("Total of")]


# --- progress agrees with the figures ---------------------------------------------------------


def test_the_last_progress_line_counts_every_row_as_the_figures_do(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", [*task_rows(5), ["", "no name", "1", "low"]])
    with_progress = [a for a in cli_args("run", source, sb, tmp_path) if a != "--no-progress"]
    assert main(with_progress) == 1
    write_input(source, [*task_rows(5), *task_rows(2, start=20), ["", "no name", "1", "low"]])
    capsys.readouterr()

    assert main(with_progress) == 1

    messages = log_messages(capsys.readouterr().err)
    (last,) = [m for m in messages if m.startswith("progress: ")]
    (figures,) = [m for m in messages if m.startswith("8 rows: ")]
    counts = figures.removeprefix("8 rows: ")
    assert counts == "created 2, already_created 5, invalid 1, failed 0, not_attempted 0"
    assert last == f"progress: 8 of 8 rows done ({counts}, 2 API calls)", "no rate for 2 calls"
    (calls,) = [m for m in messages if " API calls in " in m]
    assert calls.startswith("2 API calls in ") and "requests/s" not in calls
