"""Windows paths in a config file, and TOML files as Windows Notepad may save them.

A backslash in a TOML double-quoted string starts an escape, so "C:\\data\\x.csv" is not
TOML and "C:\\new\\tasks.csv" silently becomes a line feed and a tab. Either is one error
(exit 2) naming the file, the line and the fix; single quotes and forward slashes work, and
so does a byte order mark. Local paths are built with the OS's own path class, never by
splitting on '/', so a Windows path keeps its drive and backslashes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PureWindowsPath

import pytest
from cli_runs import cli_args, log_messages, task_rows, write_input

from importer import locations
from importer.cli import main, parse
from importer.errors import UsageError
from importer.mapping import MappingSpec
from importer.results import format as results_format
from importer.sandbox import Sandbox

BROKEN = {
    "not TOML (\\d is no escape)": (
        'results-dir = "C:\\data\\results"',
        "is not valid TOML",
        "('C:\\data\\results')",
        '("C:/data/results")',
    ),
    "not TOML (\\U wants 8 hex digits)": (
        'journal = "C:\\Users\\jane\\journal.sqlite3"',
        "is not valid TOML",
        "('C:\\Users\\jane\\journal.sqlite3')",
        '("C:/Users/jane/journal.sqlite3")',
    ),
    "silently changed (\\n and \\t)": (
        'inputs = ["C:\\new\\tasks.csv"]',
        "inputs holds a control character",
        "('C:\\new\\tasks.csv')",
        '("C:/new/tasks.csv")',
    ),
}


def _config(tmp_path: Path, *lines: str) -> Path:
    config = tmp_path / "importer.toml"
    config.write_text("\n".join(['region = "us-east-1"', "rate = 5", *lines]) + "\n", "utf-8")
    return config


@pytest.mark.parametrize("line,problem,quoted,slashed", BROKEN.values(), ids=list(BROKEN))
def test_a_windows_path_in_double_quotes_is_one_error_naming_the_line_and_the_fix(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    line: str,
    problem: str,
    quoted: str,
    slashed: str,
) -> None:
    sb = sandbox()
    source = write_input(tmp_path / "tasks.csv", task_rows(2))
    config = _config(tmp_path, line)

    assert main(cli_args("run", source, sb, tmp_path, "--config", str(config))) == 2

    messages = log_messages(capsys.readouterr().err)
    assert len(messages) == 1, messages
    message = messages[0]
    assert f"config file {config}" in message
    assert problem in message
    assert "line 3" in message
    assert "single quotes" in message and quoted in message
    assert "forward slashes" in message and slashed in message
    assert sb.counters()["requests"] == 0


def test_a_control_character_in_a_later_line_of_a_list_names_that_line(tmp_path: Path) -> None:
    config = _config(tmp_path, "inputs = [", '  "inbox",', '  "D:\\tasks\\b.csv",', "]")

    with pytest.raises(UsageError) as error:
        parse(["run", "--config", str(config)])

    assert "line 5: inputs holds a control character" in str(error.value)
    assert "('D:\\tasks\\b.csv')" in str(error.value)


def test_a_control_character_in_a_key_the_command_ignores_is_still_an_error(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, 'journal = "C:\\temp\\new.sqlite3"')

    with pytest.raises(UsageError) as error:
        parse(["validate", "--config", str(config)])

    assert "line 3: journal holds a control character" in str(error.value)


@pytest.mark.parametrize(
    "written",
    ["'C:\\new\\tasks.csv'", '"C:/new/tasks.csv"', '"C:\\\\new\\\\tasks.csv"'],
    ids=["single quotes", "forward slashes", "doubled backslashes"],
)
def test_a_windows_path_written_as_toml_wants_is_accepted(tmp_path: Path, written: str) -> None:
    config = _config(tmp_path, f"results-dir = {written}")

    args = parse(["run", "--config", str(config)])

    assert "\n" not in args.results_dir and "\t" not in args.results_dir
    assert args.results_dir.replace("\\", "/").endswith("C:/new/tasks.csv")


def test_a_config_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    config = tmp_path / "notepad.toml"
    config.write_text("rate = 7\n", encoding="utf-8-sig")

    assert parse(["run", "--config", str(config)]).rate == 7


def test_a_mapping_template_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    mapping = tmp_path / "crm.mapping.toml"
    mapping.write_text('timezone = "Europe/Berlin"\n', encoding="utf-8-sig")

    assert MappingSpec.load(mapping).timezone == "Europe/Berlin"


def test_results_and_archive_names_keep_a_windows_path_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(locations, "Path", PureWindowsPath)
    monkeypatch.setattr(results_format, "Path", PureWindowsPath)

    source = "C:\\Users\\jane\\Inbox\\tasks.v2.xlsx"
    assert locations.location_name(source) == "tasks.v2.xlsx"
    assert locations.sibling(source, "tasks.v2.results.xlsx") == (
        "C:\\Users\\jane\\Inbox\\tasks.v2.results.xlsx"
    )
    assert locations.inside("D:\\archive", "tasks.v2.xlsx") == "D:\\archive\\tasks.v2.xlsx"
    assert str(results_format.default_results_path(source)) == (
        "C:\\Users\\jane\\Inbox\\tasks.v2.results.xlsx"
    )
    assert str(results_format.default_results_path("\\\\server\\share\\t.csv", True)) == (
        "\\\\server\\share\\t.sandbox.results.csv"
    )
