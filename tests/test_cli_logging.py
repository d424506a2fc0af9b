"""What the CLI logs: one record is one line, whatever a file name holds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cli_runs import FLOW, INSTANCE, log_messages, task_rows, write_input

from importer.cli import main

FORGED = "2026-01-01T00:00:00Z ERROR forged"


@pytest.mark.skipif(sys.platform == "win32", reason="Windows file names cannot hold a line feed")
def test_a_file_name_with_a_line_feed_cannot_forge_a_log_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_input(tmp_path / f"tasks\n{FORGED}\x1b[2K.csv", task_rows(2))
    validate = ["validate", str(source), "--instance-id", INSTANCE, "--contact-flow-id", FLOW]
    capsys.readouterr()

    assert main(validate) == 0

    err = capsys.readouterr().err
    assert not [line for line in err.splitlines() if line.startswith(FORGED)]
    messages = log_messages(err)  # every line is a whole timestamped record
    assert f"Input: {tmp_path}/tasks\\n{FORGED}\\x1b[2K.csv" in messages
