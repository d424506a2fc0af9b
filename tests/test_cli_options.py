"""The table of command-line options: one declaration makes the argparse argument, the
config key and the RunOptions field (config files end to end: test_cli_schedule.py)."""

from __future__ import annotations

import argparse
import dataclasses
import re

import pytest

from importer.cli import COMMANDS, build_parser, main
from importer.cli.options import INPUTS, Option, add_options, run_options
from importer.options import RunOptions

DERIVED = {"max_failure_fraction", "sandbox_instance_id", "audit", "now"}
"""RunOptions fields no option sets by name: from --max-failures, --sandbox, the whole
command line, and the clock."""


def test_an_option_is_named_for_argparse_and_config_files_alike() -> None:
    option = Option(("-v", "--log-level"), action="store_true")
    assert (option.dest, option.key, option.is_flag) == ("log_level", "log-level", True)
    assert (INPUTS.dest, INPUTS.key, INPUTS.is_list, INPUTS.positional) == (
        "inputs",
        "inputs",
        True,
        True,
    )


def test_options_are_added_in_order_each_in_its_group() -> None:
    parser = argparse.ArgumentParser(prog="p")
    add_options(
        parser,
        [Option(("--a",), group="one"), Option(("--b",)), Option(("--c",), group="one")],
    )
    assert parser.format_help().endswith("  --b B\n\none:\n  --a A\n  --c C\n")
    assert vars(parser.parse_args([])) == {"a": None, "b": None, "c": None}


def test_every_field_of_run_options_is_an_option_of_run() -> None:
    (run,) = [command for command in COMMANDS if command.name == "run"]
    dests = {option.dest for option in run.options}
    fields = {field.name for field in dataclasses.fields(RunOptions)}
    assert fields - DERIVED <= dests


def test_the_command_line_becomes_run_options_once_with_its_audit_record() -> None:
    args = build_parser().parse_args(
        ["run", "t.csv", "--rate", "5", "--max-failures", "10%", "--sandbox", "--no-progress"]
    )

    options = run_options(args)

    assert (options.rate, options.max_failures, options.max_failure_fraction) == (5.0, None, 0.1)
    assert options.sandbox and options.sandbox_instance_id
    assert options.settle_seconds == 2.0
    record = options.audit_record()
    assert record["max_failures"] == (None, 0.1) and record["no_progress"] is True
    assert list(record)[:3] == ["verbose", "log_file", "command"] and "func" not in record


def test_a_command_without_an_option_gets_the_field_s_default() -> None:
    options = run_options(build_parser().parse_args(["validate", "t.csv"]))
    assert (options.settle_seconds, options.sandbox, options.rate) == (0.0, False, 2.0)


EXIT_CODES = {
    "validate": "012",
    "check": "02",
    "run": "01234",
    "retry": "01234",
    "template": "02",
    "sandbox": "02",
    "history": "02",
}
"""The exit codes each command can end with."""


def command_help(name: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([name, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [command.name for command in COMMANDS])
def test_every_command_s_help_ends_with_what_its_exit_codes_mean(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = command_help(command, capsys)
    codes = text.split("\nexit codes:\n", 1)[1]
    listed = re.findall(r"^  (\d)  \S", codes, flags=re.MULTILINE)
    assert "".join(listed) == EXIT_CODES.get(command, "01234"), codes


def test_the_help_texts_say_what_each_command_really_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    retry = command_help("retry", capsys)
    results = retry.split("\n  --results PATH", 1)[1].split("\n  -", 1)[0]
    assert "default: RESULTS_FILE itself" in " ".join(results.split())
    assert "beside the input" not in results
    check = command_help("check", capsys)
    assert "results" not in check.split("INPUT ", 1)[1].split("\n\n", 1)[0]
    template = command_help("template", capsys)
    assert "Write OUT" in template and "the blank spreadsheet" in " ".join(template.split())
    assert "default 8000" in command_help("sandbox", capsys)
    for command in ("validate", "check", "run"):
        text = command_help(command, capsys)
        mapping = text.split("\nmapping:\n", 1)[1].split("\n\n", 1)[0]
        assert "--sheet" not in mapping and "--sheet NAME" in text.split("\ninput:\n", 1)[1]
