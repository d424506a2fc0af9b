"""`task-importer template OUT.xlsx|OUT.csv`: a blank spreadsheet for ops to fill in."""

from __future__ import annotations

import argparse

from importer.blank_template import write_blank_template
from importer.cli.console import say
from importer.cli.options import Command, Option
from importer.exitcodes import ExitCode
from importer.sandbox import defaults as sandbox_defaults

SANDBOX_EXAMPLES = {
    "InstanceId": sandbox_defaults.INSTANCE_ID,
    "ContactFlowId": sandbox_defaults.CONTACT_FLOW_IDS[0],
}
"""The example row's ids: the sandbox's, so a blank template validates and runs there."""


def run_template(args: argparse.Namespace) -> ExitCode:
    path = write_blank_template(args.output, replace=args.force, examples=SANDBOX_EXAMPLES)
    say(f"Wrote {path}: fill in one row per task, then run 'task-importer validate {path}'.")
    return ExitCode.OK


COMMAND = Command(
    "template",
    help="write a blank spreadsheet (headers, an example row, a column guide in xlsx)",
    description="Write a blank spreadsheet for ops to fill in, one row per task: the headers "
    "that map to StartTaskContact's fields by name, and an example row whose ids are the "
    "sandbox's (so it validates and runs with --sandbox). An .xlsx also gets a second sheet "
    "that explains each column and its limits. An existing OUT is never replaced (it may "
    "be a sheet someone filled in) unless --force.",
    handler=run_template,
    options=(
        Option(("output",), metavar="OUT", help="OUT.xlsx or OUT.csv"),
        Option(
            ("--force",), action="store_true", help="replace OUT if it exists (default: refuse)"
        ),
    ),
    exit_codes=(
        (0, "the spreadsheet was written"),
        (2, "OUT exists (and no --force), cannot be written, or is not .xlsx or .csv"),
    ),
)
