"""`task-importer template OUT.xlsx|OUT.csv`: a blank spreadsheet for ops to fill in, or,
with --instance-id and --task-template-id, one made from that task template
(importer.templating)."""

from __future__ import annotations

import argparse

from importer.blank_template import write_blank_template
from importer.cli.console import ConsoleReporter, say
from importer.cli.options import TARGET_OPTIONS, Command, Option, run_options
from importer.cli.target import checking_against, connector
from importer.exitcodes import ExitCode
from importer.sandbox import defaults as sandbox_defaults
from importer.templating import make_template_sheet

SANDBOX_EXAMPLES = {
    "InstanceId": sandbox_defaults.INSTANCE_ID,
    "ContactFlowId": sandbox_defaults.CONTACT_FLOW_IDS[0],
}
"""The example row's ids: the sandbox's, so a blank template validates and runs there."""


def run_template(args: argparse.Namespace) -> ExitCode:
    if args.task_template_id or args.instance_id:
        options = run_options(args)
        make_template_sheet(
            args.output,
            options,
            replace=args.force,
            connect=connector(options, checking_against),
            reporter=ConsoleReporter(),
        )
        return ExitCode.OK
    path = write_blank_template(args.output, replace=args.force, examples=SANDBOX_EXAMPLES)
    say(f"Wrote {path}: fill in one row per task, then run 'task-importer validate {path}'.")
    return ExitCode.OK


COMMAND = Command(
    "template",
    help="write a spreadsheet to fill in: blank, or made from a task template",
    description="Write OUT (.xlsx or .csv): with --instance-id and --task-template-id, a "
    "sheet made from that task template (GetTaskTemplate): a column per field agents see, "
    "drop-downs of its choices, its defaults in the first row, a guide to each field; "
    "validate and run know the template from the sheet. Without them, the blank "
    "spreadsheet (headers, an example row, a column guide in xlsx). An existing OUT is "
    "never replaced unless --force.",
    handler=run_template,
    options=(
        Option(("output",), metavar="OUT", help="OUT.xlsx or OUT.csv"),
        Option(
            ("--force",), action="store_true", help="replace OUT if it exists (default: refuse)"
        ),
        Option(("--instance-id",), metavar="ID", help="the task template's instance"),
        Option(
            ("--task-template-id",),
            metavar="ID",
            help="make the sheet from this task template (GetTaskTemplate)",
        ),
        *TARGET_OPTIONS,
    ),
    exit_codes=(
        (0, "the spreadsheet was written"),
        (
            2,
            "OUT exists (and no --force), cannot be written, or is not .xlsx or .csv; or the "
            "task template cannot be read (not found, access denied, no credentials)",
        ),
    ),
)
