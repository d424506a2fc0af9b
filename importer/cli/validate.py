"""`task-importer validate INPUT...`: check every row before anything is sent
(importer.validating)."""

from __future__ import annotations

import argparse

from importer.cli.console import ConsoleReporter
from importer.cli.options import (
    FETCH_TEMPLATES,
    INPUT_OPTIONS,
    TARGET_OPTIONS,
    Command,
    Option,
    run_options,
)
from importer.cli.target import checking_against, connector
from importer.exitcodes import ExitCode
from importer.validating import validate_inputs


def run_validate(args: argparse.Namespace) -> ExitCode:
    options = run_options(args)
    validation = validate_inputs(
        args.inputs,
        options,
        reporter=ConsoleReporter(),
        show_tokens=args.show_tokens,
        connect=connector(options, checking_against),
    )
    return validation.exit_code


COMMAND = Command(
    "validate",
    help="check input files; write a results file of valid/invalid rows for each",
    description="Read each INPUT, map and validate every row, and write a results file "
    "with status valid or invalid per row. Nothing is sent to Amazon Connect.",
    handler=run_validate,
    options=(
        *INPUT_OPTIONS,
        Option(
            ("--show-tokens",),
            action="store_true",
            help="print each valid row's ClientToken (stdout)",
        ),
        FETCH_TEMPLATES,
        *TARGET_OPTIONS,
    ),
    exit_codes=(
        (0, "every row valid; also an empty inbox"),
        (1, "some rows invalid (the results files say which and why)"),
        (2, "usage, configuration or input-file error (no input could be read)"),
    ),
)
