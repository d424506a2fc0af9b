"""Command-line options shared by the commands that read an input file."""

from __future__ import annotations

import argparse

from importer.mapping import MappingSpec
from importer.pipeline import PrepareOptions
from importer.sandbox import defaults as sandbox_defaults

_CONSTANT_OPTIONS = {
    "instance_id": "InstanceId",
    "contact_flow_id": "ContactFlowId",
    "task_template_id": "TaskTemplateId",
    "quick_connect_id": "QuickConnectId",
}


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """INPUT plus the options that decide how its rows become requests."""
    parser.add_argument("input", metavar="INPUT", help="a .csv, .xlsx or .xlsm file")
    group = add_mapping_options(parser)
    group.add_argument("--sheet", metavar="NAME", help="Excel sheet (default: the first one)")


def add_mapping_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The options that decide how rows become requests (and --results)."""
    group = parser.add_argument_group("mapping")
    group.add_argument("--mapping", metavar="FILE", help="mapping template (TOML)")
    group.add_argument("--instance-id", metavar="ID", help="Amazon Connect instance id")
    group.add_argument("--contact-flow-id", metavar="ID", help="flow for rows that name none")
    group.add_argument(
        "--task-template-id", metavar="ID", help="task template for rows that name none"
    )
    group.add_argument(
        "--quick-connect-id", metavar="ID", help="quick connect for rows that name none"
    )
    group.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA zone for ScheduledTime values without an offset (default: this machine's)",
    )
    group.add_argument(
        "--batch-id",
        metavar="ID",
        help="batch identity for ClientTokens (default: the input file's name)",
    )
    group.add_argument(
        "--key-column",
        metavar="COLUMN",
        help="a column that identifies each task; its value alone decides the ClientToken",
    )
    parser.add_argument(
        "--results",
        metavar="PATH",
        help="results file, .csv or .xlsx (default: <input>.results.csv)",
    )
    return group


def prepare_options(args: argparse.Namespace) -> PrepareOptions:
    """PrepareOptions from the parsed options: the mapping file first, then the options."""
    spec = MappingSpec.load(args.mapping) if args.mapping else MappingSpec()
    for option, field_name in _CONSTANT_OPTIONS.items():
        spec.set_constant(field_name, getattr(args, option), "--" + option.replace("_", "-"))
    if getattr(args, "sandbox", False) and "InstanceId" not in spec.fields:
        spec.set_constant("InstanceId", sandbox_defaults.INSTANCE_ID, "--sandbox")
    if args.timezone:
        spec.timezone = args.timezone
    if args.key_column:
        spec.key_column = args.key_column
    return PrepareOptions(mapping=spec, sheet=getattr(args, "sheet", None), batch_id=args.batch_id)
