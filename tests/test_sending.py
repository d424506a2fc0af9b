"""The one sequence run and retry send batches with: clients and journal opened, rows
reconciled, sent through ``submit``, results written in row order, the batch recorded, the
run finished. ``submit`` is plain Python here (boto3 and the sandbox: test_cli_run.py)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from recording import Recorder
from spreadsheets import FLOW, INSTANCE, read_results, write_csv

from importer.clients import Clients
from importer.errors import ApiError, ErrorKind, UsageError
from importer.exitcodes import ExitCode
from importer.journal import Journal
from importer.options import RunOptions
from importer.pipeline import open_batch
from importer.run_summary import FileSummary, RunSummary
from importer.sending import Sending, Stop, open_sending
from importer.staging import open_staging


@contextlib.contextmanager
def no_clients(_concurrency: int) -> Iterator[Clients]:
    yield Clients(connect=None, sts=None)


class Connect:
    """A submit that creates a task per request, refusing the Names in ``refused``."""

    def __init__(self, refused: tuple[str, ...] = ()) -> None:
        self.refused = refused
        self.sent: list[str] = []

    def __call__(self, request: Mapping[str, Any]) -> str:
        self.sent.append(request["Name"])
        if request["Name"] in self.refused:
            raise ApiError(ErrorKind.ROW_INVALID, "InvalidParameterException", "no")
        return f"c-{request['Name']}"


@contextlib.contextmanager
def sending(
    tmp_path: Path, recorder: Recorder, stop: Stop | None = None, **options: Any
) -> Iterator[Sending]:
    run_options = RunOptions(
        instance_id=INSTANCE,
        contact_flow_id=FLOW,
        timezone="UTC",
        journal=tmp_path / "journal.sqlite3",
        **options,
    )
    summary = RunSummary("run", run_options.audit_record())
    with (
        open_staging(run_options, recorder) as staging,
        open_sending(run_options, staging, summary, no_clients, recorder, stop) as opened,
    ):
        yield opened


def send_file(opened: Sending, source: Path, submit: Connect) -> FileSummary:
    """Send ``source`` as run does, its results beside it; the file's summary."""
    batch = open_batch(source, opened.options.prepare_options())
    rows = list(batch.rows())
    sent = opened.batch(batch.batch_id, submit)
    report = sent.send(rows, sent.reconcile(rows))
    file = FileSummary(str(source))
    results = tmp_results(source)
    sent.settle(report, file, str(results), results, batch.table.columns)
    opened.summary.files.append(file)
    return file


def tmp_results(source: Path) -> Path:
    return source.with_name(source.stem + ".results.csv")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    rows = [["Name", "Description"], ["a", "1"], ["", "2"], ["b", "3"], ["c", "4"]]
    return write_csv(tmp_path / "tasks.csv", rows)


def test_a_batch_is_sent_its_results_written_in_row_order_and_the_run_recorded(
    tmp_path: Path, source: Path
) -> None:
    recorder, submit = Recorder(), Connect(refused=("b",))
    with sending(tmp_path, recorder) as opened:
        file = send_file(opened, source, submit)
        assert opened.finish() == ExitCode.ROWS_FAILED

    lines = read_results(tmp_results(source))
    assert [(line["row"], line["status"]) for line in lines] == [
        ("2", "created"),
        ("3", "invalid"),
        ("4", "failed"),
        ("5", "created"),
    ]
    assert lines[0]["contact_id"] == "c-a" and sorted(submit.sent) == ["a", "b", "c"]
    assert (file.batch_id, file.exit_code, file.api_calls) == ("tasks.csv", 1, 3)
    assert file.reason == "rows not created: 1 invalid, 1 failed"
    assert file.results == str(tmp_results(source))
    assert f"Results: {tmp_results(source)}" in recorder.said("info")
    with Journal(tmp_path / "journal.sqlite3") as journal:
        (run,) = journal.runs()
    assert run["exit_code"] == 1
    assert json.loads(run["summary"])["counts"]["created"] == 2
    assert json.loads(run["settings"])["instance_id"] == INSTANCE


def test_a_second_run_sends_nothing_already_created(tmp_path: Path, source: Path) -> None:
    with sending(tmp_path, Recorder()) as opened:
        send_file(opened, source, Connect())
        opened.finish()
    again = Connect()
    with sending(tmp_path, Recorder()) as opened:
        file = send_file(opened, source, again)
        opened.finish()

    assert again.sent == []
    assert file.counts["already_created"] == 3 and file.api_calls == 0


def test_a_stop_asked_for_sends_nothing_more_and_the_run_exits_3(
    tmp_path: Path, source: Path
) -> None:
    stop, submit = Stop(), Connect()
    assert not stop.sending
    with sending(tmp_path, Recorder(), stop) as opened:
        assert stop.sending, "from here a signal is the run's stop"
        stop.request("told to stop")
        file = send_file(opened, source, submit)
        opened.summary.stop_reason = stop.reason
        assert opened.finish() == ExitCode.STOPPED

    assert submit.sent == []
    assert file.counts["not_attempted"] == 3
    assert file.reason.startswith("stopped early: told to stop;")
    assert opened.summary.reason == file.reason


def test_a_sandbox_keeps_its_journal_apart_from_real_runs(tmp_path: Path) -> None:
    with sending(tmp_path, Recorder()) as opened:
        opened.finish()
    refused = pytest.raises(UsageError, match="records 1 runs against Amazon Connect")
    with refused, sending(tmp_path, Recorder(), sandbox=True):
        pass


def test_a_sandbox_without_a_journal_uses_a_throwaway_one(tmp_path: Path) -> None:
    options = RunOptions(instance_id=INSTANCE, contact_flow_id=FLOW, sandbox=True)
    summary = RunSummary("run", options.audit_record())
    with (
        open_staging(options, Recorder()) as staging,
        open_sending(options, staging, summary, no_clients, Recorder()) as opened,
    ):
        journal_path = opened.journal.path
        opened.finish()

    assert not Path(journal_path).exists()
    assert not (tmp_path / "default-journal.sqlite3").exists()
