"""The table of command-line options: one declaration makes the argparse argument, the
config key and the RunOptions field (config files end to end: test_cli_schedule.py)."""

from __future__ import annotations

import argparse
import dataclasses

from importer.cli import COMMANDS, build_parser
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
