"""`task-importer check INPUT...`: the preflight (importer.checking). Nothing is sent."""

from __future__ import annotations

import argparse
import dataclasses

from importer.checking import check_inputs
from importer.cli.console import ConsoleReporter
from importer.cli.options import INPUT_OPTIONS, INPUTS, TARGET_OPTIONS, Command, run_options
from importer.cli.target import checking_against, connector
from importer.exitcodes import ExitCode

_UNUSED = ("results", "results_dir")
"""Input options `check` accepts (a --config shared with run may set them) but never uses."""


CHECK_INPUTS = dataclasses.replace(
    INPUTS,
    help="a .csv, .xlsx, .xlsm, .xls or .ods file; several files, globs, folders and s3:// "
    "URLs are read one by one",
)


def run_check(args: argparse.Namespace) -> ExitCode:
    options = run_options(args)
    connect = connector(options, checking_against)
    return check_inputs(args.inputs, options, connect=connect, reporter=ConsoleReporter()).exit_code


COMMAND = Command(
    "check",
    help="preflight: credentials, instance, flows, templates, quick connects exist",
    description="Read each INPUT and check, with one read call each, that the AWS "
    "credentials work (STS GetCallerIdentity) and that every instance, contact flow, task "
    "template and quick connect its valid rows name exists (DescribeInstance, "
    "DescribeContactFlow, GetTaskTemplate, DescribeQuickConnect), that each CreatedByUser "
    "user name is an agent (SearchUsers) and each s3:// attachment exists (HeadObject); "
    "invalid rows are skipped. With no INPUT (an empty inbox) the ids the options, --config "
    "and the mapping name are checked. Nothing is sent and no results file is written.",
    handler=run_check,
    options=(
        CHECK_INPUTS,
        *(option.hidden() if option.dest in _UNUSED else option for option in INPUT_OPTIONS[1:]),
        *TARGET_OPTIONS,
    ),
    exit_codes=(
        (0, "every check passed and every input could be read"),
        (2, "a check failed, an input could not be read, or a usage or configuration error"),
    ),
)
