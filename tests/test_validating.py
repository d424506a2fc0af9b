"""validate as a library call: counts and results per file, the exit code, tokens shown only
when asked, and nothing said unless a reporter listens (the command: test_cli_validate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from recording import Recorder
from spreadsheets import FLOW, INSTANCE, write_csv

from importer.exitcodes import ExitCode
from importer.options import RunOptions
from importer.validating import validate_inputs

OPTIONS = RunOptions(instance_id=INSTANCE, contact_flow_id=FLOW, timezone="UTC")


def test_each_file_is_counted_and_gets_its_results_file(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [["Name"], ["a"], ["b"]])
    bad = write_csv(tmp_path / "bad.csv", [["Name", "Description"], ["a", "1"], ["", "2"]])

    validation = validate_inputs([str(good), str(bad)], OPTIONS)

    assert [(f.input, f.valid, f.invalid) for f in validation.files] == [
        (str(good), 2, 0),
        (str(bad), 1, 1),
    ]
    assert validation.files[1].results == str(tmp_path / "bad.results.csv")
    assert (tmp_path / "good.results.csv").exists()
    assert validation.exit_code == ExitCode.ROWS_FAILED


def test_files_that_cannot_be_read_make_2_when_no_file_could_be_read(tmp_path: Path) -> None:
    recorder = Recorder()
    validation = validate_inputs([str(tmp_path / "absent.csv")], OPTIONS, reporter=recorder)
    assert validation.exit_code == ExitCode.USAGE and not validation.files[0].readable
    assert recorder.said("error") == [f"{tmp_path / 'absent.csv'}: no such file"]


def test_tokens_are_reported_only_when_asked_and_the_library_is_silent_by_default(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [["Name", "Description"], ["a", "1"], ["", "2"], ["c", "3"]]
    source = write_csv(tmp_path / "tasks.csv", rows)
    recorder = Recorder()

    validate_inputs([str(source)], OPTIONS, reporter=recorder)
    assert recorder.tokens == [] and "3 rows: 2 valid, 1 invalid" in recorder.said("info")
    validate_inputs([str(source)], OPTIONS, reporter=recorder, show_tokens=True)
    assert [row for row, _ in recorder.tokens] == [2, 4]
    assert all(token.startswith("cti1-") for _, token in recorder.tokens)

    with caplog.at_level("DEBUG"):
        validate_inputs([str(source)], OPTIONS)
    assert caplog.records == []
