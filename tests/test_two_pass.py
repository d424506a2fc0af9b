"""run reads a file twice so that its prepared rows are never all held: the second read must
be the file the first read, and a row resent under an earlier send's token gets it again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import cli_args, results_of, task_rows, write_input
from spreadsheets import FLOW, INSTANCE, prepare, write_csv

from importer import two_pass
from importer.cli import main
from importer.errors import InputFileError
from importer.journal import Entry, JournalStatus
from importer.pipeline import Batch, PrepareOptions, open_batch
from importer.reconcile import Plan
from importer.sandbox import Sandbox
from importer.two_pass import first_pass, read_again, rows_to_send

HEADER = ["InstanceId", "ContactFlowId", "Name"]


def tasks_file(path: Path, *names: str) -> Path:
    return write_csv(path, [HEADER, *([INSTANCE, FLOW, name] for name in names)])


def plan() -> Plan:
    return Plan("t.csv", 0, False, 0, 0)


def test_only_rows_sent_from_before_are_kept_whole(tmp_path: Path) -> None:
    _, rows = prepare(tasks_file(tmp_path / "t.csv", "a", "b", "c"))
    read = first_pass(iter(rows), sent_from={3})
    keys = [read.key(index) for index in range(len(read))]
    assert [key.number for key in keys] == [2, 3, 4]
    assert [key.client_token for key in keys] == [row.client_token for row in rows]
    assert list(read.whole) == [3]
    kinds = [type(row).__name__ for row in read.rows()]
    assert kinds == ["RowKey", "PreparedRow", "RowKey"]


def test_the_same_file_read_again_gives_its_rows(tmp_path: Path) -> None:
    path = tasks_file(tmp_path / "t.csv", "a", "b")
    _, first = prepare(path)
    read = first_pass(iter(first), ())
    _, again = prepare(path)
    assert [row.client_token for row in read_again(iter(again), read, plan(), "t.csv")] == [
        row.client_token for row in first
    ]


@pytest.mark.parametrize(
    "names", [("a", "B"), ("a",), ("a", "b", "c")], ids=["edited", "shorter", "longer"]
)
def test_a_file_changed_between_the_reads_stops_the_batch(
    tmp_path: Path, names: tuple[str, ...]
) -> None:
    path = tasks_file(tmp_path / "t.csv", "a", "b")
    _, first = prepare(path)
    read = first_pass(iter(first), ())
    _, changed = prepare(tasks_file(path, *names))
    with pytest.raises(InputFileError) as raised:
        list(read_again(iter(changed), read, plan(), "t.csv"))
    assert "t.csv: the file changed while its rows were sent" in str(raised.value)
    assert "run it again" in str(raised.value)


def test_a_row_resent_gets_the_earlier_token_again(tmp_path: Path) -> None:
    path = tasks_file(tmp_path / "t.csv", "a")
    _, (row,) = prepare(path)
    own_token, resending = row.client_token, plan()
    resending.resent[2] = Entry(
        "old-token", JournalStatus.FAILED, "", 1, "", "", "t.csv", 2, "digest", "", ""
    )
    (again,) = read_again(iter([row]), first_pass([row], ()), resending, "t.csv")
    assert again.client_token == again.request["ClientToken"] == "old-token"
    assert again.origin_token == own_token


def test_a_file_edited_while_it_is_run_stops_the_run_and_the_next_run_finishes_it(
    sandbox: Callable[..., Sandbox],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = sandbox()
    rows = task_rows(30)
    source = write_input(tmp_path / "tasks.csv", rows)
    edited = [list(row) for row in rows]
    edited[20][0] = "Edited between the reads"

    def edit_then_open(path: Path, prepare: PrepareOptions) -> Batch:
        write_input(source, edited)  # between the first read and the second
        return open_batch(path, prepare)

    monkeypatch.setattr(two_pass, "open_batch", edit_then_open)
    assert main(cli_args("run", source, sb, tmp_path)) == 3
    assert "STOPPED EARLY: " in (err := capsys.readouterr().err)
    assert "tasks.csv: the file changed while its rows were sent (row 22 " in err
    created = sb.counters()["created"]
    assert created <= 20
    stopped = results_of(source)
    assert [line["row"] for line in stopped] == [str(n) for n in range(2, 32)], "every row"
    with_ids = [line for line in stopped if line["contact_id"]]
    assert len(with_ids) == created, "each task created is in the results with its ContactId"
    assert {line["status"] for line in stopped if not line["contact_id"]} == {"not_attempted"}

    monkeypatch.setattr(two_pass, "open_batch", open_batch)
    assert main(cli_args("run", source, sb, tmp_path)) == 0
    assert sb.counters()["created"] == 30
    lines = results_of(source)
    assert [line["row"] for line in lines] == [str(n) for n in range(2, 32)]
    assert lines[20]["Name"] == "Edited between the reads"
    assert {line["status"] for line in lines} <= {"created", "already_created"}


def test_a_re_run_sends_the_rows_it_kept_without_reading_the_file_again(tmp_path: Path) -> None:
    path = tasks_file(tmp_path / "t.csv", "a", "b")
    batch, rows = prepare(path)
    read = first_pass(iter(rows), sent_from={2, 3})
    path.unlink()  # not read again: every row was kept
    assert list(rows_to_send(read, batch, path, PrepareOptions(), plan(), "t.csv")) == rows
    assert not read.whole
