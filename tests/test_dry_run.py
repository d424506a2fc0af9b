"""The dry run's use case: what a run would do with each row, from the journal alone (a real
journal in tmp_path, written as an earlier run would have; end to end:
test_cli_dry_run.py)."""

from __future__ import annotations

from pathlib import Path

from recording import Recorder
from spreadsheets import FLOW, INSTANCE, write_csv

from importer.dry_run import dry_run_inputs
from importer.exitcodes import ExitCode
from importer.journal import Journal, JournalStatus, request_digest
from importer.options import RunOptions
from importer.pipeline import open_batch


def options(tmp_path: Path) -> RunOptions:
    return RunOptions(instance_id=INSTANCE, contact_flow_id=FLOW, journal=tmp_path / "j.sqlite3")


def test_each_row_says_what_a_run_would_do_and_nothing_is_written(tmp_path: Path) -> None:
    table = [["Name", "Description"], ["done", ""], ["lost", ""], ["new", ""], ["", "no name"]]
    source = write_csv(tmp_path / "t.csv", table)
    batch = open_batch(source, options(tmp_path).prepare_options())
    rows = {row.number: row for row in batch.rows()}
    with Journal(tmp_path / "j.sqlite3") as journal:  # an earlier run of rows 2 and 3
        journal.start_run({"command": "run"})
        for number in (2, 3):
            row = rows[number]
            assert row.request is not None
            journal.mark_in_flight(
                row.client_token,
                row_number=number,
                batch_id="t.csv",
                request_sha256=request_digest(row.request),
            )
        journal.record(rows[2].client_token, JournalStatus.CREATED, attempts=1, contact_id="c-2")
    before = (tmp_path / "j.sqlite3").read_bytes()
    recorder = Recorder()

    dry_run = dry_run_inputs([str(source)], options(tmp_path), reporter=recorder)

    assert recorder.plans == {
        2: "already created, ContactId c-2",
        3: f"send {rows[3].client_token} again: an earlier send got no clear answer (the "
        "same ClientToken makes one task at most)",
        4: f"send {rows[4].client_token}",
        5: "invalid (Name): not sent",
    }
    assert "Dry run: 4 rows: 2 to send, 1 already created, 1 invalid, 0 not sent as edited " in (
        " ".join(recorder.said("info"))
    )
    assert dry_run.exit_code == ExitCode.ROWS_FAILED
    assert (tmp_path / "j.sqlite3").read_bytes() == before
    assert not list(tmp_path.glob("*results*"))


def test_a_dry_run_exits_as_the_run_would(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [["Name"], ["a"]])
    missing = str(tmp_path / "absent.csv")

    assert dry_run_inputs([str(good)], options(tmp_path)).exit_code == ExitCode.OK
    assert dry_run_inputs([missing], options(tmp_path)).exit_code == ExitCode.USAGE
    assert dry_run_inputs([str(good), missing], options(tmp_path)).exit_code == (
        ExitCode.ROWS_FAILED
    )
    assert not (tmp_path / "j.sqlite3").exists(), "no journal is made"
