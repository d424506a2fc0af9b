"""`task-importer check INPUT...`: the preflight (importer.checking). Nothing is sent."""

from __future__ import annotations

import argparse

from importer.checking import check_inputs
from importer.cli.console import ConsoleReporter
from importer.cli.options import INPUT_OPTIONS, TARGET_OPTIONS, Command, run_options
from importer.cli.target import checking_against, connector
from importer.exitcodes import ExitCode

_UNUSED = ("results", "results_dir")
"""Input options `check` accepts (a --config shared with run may set them) but never uses."""


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
    "invalid rows are skipped. Nothing is sent and no results file is written. Exit 0: "
    "every check passed; 2: a check failed, an input could not be read, or the options are "
    "wrong.",
    handler=run_check,
    options=(
        *(option.hidden() if option.dest in _UNUSED else option for option in INPUT_OPTIONS),
        *TARGET_OPTIONS,
    ),
)
