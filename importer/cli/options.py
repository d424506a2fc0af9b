"""Command-line options shared by the commands that read an input file."""

from __future__ import annotations

import argparse

from importer.errors import UsageError
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
    parser.add_argument(
        "inputs",
        metavar="INPUT",
        nargs="*",
        help="a .csv, .xlsx, .xlsm, .xls or .ods file; several files, globs, folders and "
        "s3:// URLs are read one by one, each with its own results file",
    )
    group = add_mapping_options(parser)
    group.add_argument("--sheet", metavar="NAME", help="Excel sheet (default: the first one)")
    parser.add_argument(
        "--results-dir",
        metavar="DIR",
        help="write each input's results file into this folder (or s3:// prefix)",
    )


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
        help="results file, .csv or .xlsx, local or s3:// (default: beside the input, "
        "<input>.results.csv, or .results.xlsx for Excel input; with --sandbox "
        "<input>.sandbox.results.*)",
    )
    add_common_options(parser)
    return group


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """--config, -v and --log-file, accepted after any command that reads input."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML file of options (keys: long option names without '--'); the command "
        "line wins over it",
    )
    add_logging_options(parser)


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("logging")
    group.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="debug logging"
    )
    group.add_argument(
        "--log-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="also write the log, with timestamps, to this file",
    )


def input_locations(args: argparse.Namespace) -> list[str]:
    """The INPUTs given on the command line or as ``inputs`` in the config file."""
    if not args.inputs:
        raise UsageError(
            "no INPUT given: name a file, glob, folder or s3:// URL, or set inputs in --config"
        )
    return list(args.inputs)


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
