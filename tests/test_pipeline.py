"""The pipeline: a file becomes prepared rows (mapped, validated, given their token), and a
results file given as input is known by its content."""

from __future__ import annotations

from pathlib import Path

import pytest
from spreadsheets import FLOW, INSTANCE, only_error, prepare, task_rows, write_csv, write_xlsx

from importer.errors import ResultsFileGiven
from importer.limits import TASKS_PER_PREVIOUS_CONTACT
from importer.mapping import MappingSpec
from importer.pipeline import PrepareOptions, open_batch
from importer.results import RESULT_COLUMNS

TASK = [INSTANCE, FLOW, "Call back"]
HEADER = ["InstanceId", "ContactFlowId", "Name"]


def test_thirteenth_row_sharing_a_previous_contact_is_invalid(tmp_path: Path) -> None:
    shared = [["T", "prev-1"] for _ in range(TASKS_PER_PREVIOUS_CONTACT + 1)]
    others = [["T", "prev-2"] for _ in range(3)]
    rows = task_rows(tmp_path / "t.csv", ["Name", "PreviousContactId"], *shared, *others)
    assert all(row.ok for row in rows[:TASKS_PER_PREVIOUS_CONTACT])
    thirteenth = rows[TASKS_PER_PREVIOUS_CONTACT]
    assert thirteenth.number == TASKS_PER_PREVIOUS_CONTACT + 2
    column, message = only_error(thirteenth)
    assert column == "PreviousContactId"
    assert "prev-1" in message
    assert all(row.ok for row in rows[TASKS_PER_PREVIOUS_CONTACT + 1 :])


def test_stray_value_without_a_header_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        f"InstanceId,ContactFlowId,Name\n{INSTANCE},{FLOW},ok\n{INSTANCE},{FLOW},Smith, John\n",
        encoding="utf-8",
    )
    _, (ok, ragged) = prepare(path)
    assert ok.ok
    assert ragged.number == 3
    column, message = only_error(ragged)
    assert column == "Column D"
    assert "delimiter" in message


def test_a_results_file_is_refused_whatever_it_is_called(tmp_path: Path) -> None:
    header = [" Row", "STATUS", *RESULT_COLUMNS[2:], *HEADER]
    path = write_csv(tmp_path / "tasks.csv", [header, ["2", "created", "c-1", *[""] * 4, *TASK]])
    with pytest.raises(ResultsFileGiven) as refused:
        open_batch(path, PrepareOptions())
    assert refused.value.location == str(path)


def test_a_workbook_is_a_results_file_by_its_results_sheet_wherever_it_was_moved(
    tmp_path: Path,
) -> None:
    lines = [list(RESULT_COLUMNS), ["2", "created", "c-1"]]
    moved = write_xlsx(tmp_path / "moved.xlsx", [HEADER, TASK], more_sheets={"results": lines})
    with pytest.raises(ResultsFileGiven):
        open_batch(moved, PrepareOptions())
    named = write_xlsx(tmp_path / "named.xlsx", [HEADER, TASK], more_sheets={"Results": [HEADER]})
    assert open_batch(named, PrepareOptions()).table.columns == HEADER


def test_a_batch_is_named_after_its_file_and_read_in_the_local_timezone_unless_told(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path / "tasks.csv", [HEADER, TASK])
    default = open_batch(path, PrepareOptions())
    assert (default.batch_id, default.timezone_is_default) == ("tasks.csv", True)
    told = open_batch(path, PrepareOptions(mapping=MappingSpec(timezone="UTC"), batch_id="b7"))
    assert (told.batch_id, told.timezone_name, told.timezone_is_default) == ("b7", "UTC", False)


def test_a_batch_warns_of_the_file_and_of_columns_that_map_to_nothing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "w.csv", [[*HEADER, "Nmae"], [*TASK, "café"]], encoding="cp1252")
    warnings = open_batch(path, PrepareOptions()).warnings
    assert len(warnings) == 2
    assert "Windows-1252" in warnings[0]
    assert "'Nmae'" in warnings[1]
