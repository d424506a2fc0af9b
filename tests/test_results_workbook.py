"""The results workbook: coloured statuses, comments on the exact cells to fix, a Summary sheet.

Every test opens the produced .xlsx with openpyxl and looks at what a person would see.
"""

from __future__ import annotations

import gc
import shlex
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from cli_runs import cli_args
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook
from results_files import write_results
from spreadsheets import FLOW, INSTANCE, prepare, write_csv, write_xlsx

from importer.cli import main
from importer.mapping import MappingSpec
from importer.model import Outcome, RowError, Status
from importer.results import RESULT_COLUMNS, ResultsWriter, read_results
from importer.results import workbook as workbook_module
from importer.results.workbook import MAX_WIDTH, error_columns
from importer.sandbox import Sandbox

GREEN, GREY, RED, AMBER = "C6EFCE", "D9D9D9", "FFC7CE", "FFEB9C"


def validated_workbook(
    tmp_path: Path, rows: Sequence[Sequence[str]], mapping: MappingSpec | None = None
) -> Any:
    """Validate a CSV (first row the header) and write its results workbook; the sheet."""
    source = write_csv(tmp_path / "tasks.csv", rows)
    batch, prepared = prepare(source, mapping=mapping)
    outcomes = [row.outcome(Status.VALID if row.ok else Status.INVALID) for row in prepared]
    path = write_results(tmp_path / "tasks.results.xlsx", outcomes, batch.table.columns)
    return load_workbook(path)["Results"]


def cell(sheet: Any, column: str, row: int) -> Any:
    """The cell of a column (by header) on a spreadsheet row."""
    header = [c.value for c in sheet[1]]
    return sheet.cell(row, header.index(column) + 1)


def comments(sheet: Any) -> dict[str, str]:
    return {c.coordinate: c.comment.text for row in sheet.iter_rows() for c in row if c.comment}


def fill(c: Any) -> str | None:
    """A cell's fill colour as RRGGBB (writers differ in the alpha byte before it)."""
    return c.fill.fgColor.rgb[-6:] if c.fill.fill_type == "solid" else None


def red_cells(sheet: Any, first_column: int) -> set[str]:
    """Coordinates of the red cells from ``first_column`` on (1-based), header excluded."""
    return {
        c.coordinate
        for row in sheet.iter_rows(min_row=2, min_col=first_column)
        for c in row
        if fill(c) == RED
    }


INPUT_START = len(RESULT_COLUMNS) + 1


# --- comments on the cells to fix ----------------------------------------------------------


def test_each_offending_cell_is_red_with_a_comment_saying_what_to_fix(tmp_path: Path) -> None:
    sheet = validated_workbook(
        tmp_path,
        [
            ["InstanceId", "ContactFlowId", "Name", "ScheduledTime", "Notes"],
            [INSTANCE, FLOW, "Call back", "", "fine"],
            [INSTANCE, FLOW, "", "", "no name"],
            [INSTANCE, FLOW, "Too late", "2026-04-09 09:00", "=not a formula"],
        ],
    )

    name, late = cell(sheet, "Name", 3), cell(sheet, "ScheduledTime", 4)
    assert comments(sheet) == {
        name.coordinate: "Name: Name is required; give every row a Name (the task title "
        "agents see)",
        late.coordinate: "ScheduledTime: '2026-04-09 09:00' (2026-04-09 09:00 UTC) is more "
        "than 6 days ahead (latest allowed 2026-04-02 12:00 UTC)",
    }
    assert red_cells(sheet, INPUT_START) == {name.coordinate, late.coordinate}
    assert name.value is None  # the empty cell is flagged, not filled in
    assert late.value == "2026-04-09 09:00"
    assert [fill(cell(sheet, "status", row)) for row in (2, 3, 4)] == [GREEN, RED, RED]
    assert cell(sheet, "Notes", 4).value == "=not a formula"


def test_an_error_no_input_cell_caused_is_commented_on_the_status_cell(tmp_path: Path) -> None:
    mapping = MappingSpec(timezone="UTC")
    mapping.set_constant("ContactFlowId", "f" * 501, "--contact-flow-id")
    sheet = validated_workbook(
        tmp_path, [["InstanceId", "Description"], [INSTANCE, "no Name column at all"]], mapping
    )

    status = cell(sheet, "status", 2)
    assert list(comments(sheet)) == [status.coordinate]
    lines = status.comment.text.splitlines()
    assert lines[0].startswith("Name: Name is required")
    assert lines[1].startswith("ContactFlowId (from --contact-flow-id): 501 characters")
    assert red_cells(sheet, INPUT_START) == set()


def test_a_format_string_error_flags_every_column_it_reads(tmp_path: Path) -> None:
    mapping = MappingSpec.from_dict({"fields": {"Name": "{First} {Last}"}, "timezone": "UTC"})
    mapping.set_constant("ContactFlowId", FLOW, "--contact-flow-id")
    sheet = validated_workbook(
        tmp_path,
        [["InstanceId", "First", "Last", "Other"], [INSTANCE, "a" * 600, "b" * 600, "c"]],
        mapping,
    )

    first, last = cell(sheet, "First", 2), cell(sheet, "Last", 2)
    assert red_cells(sheet, INPUT_START) == {first.coordinate, last.coordinate}
    texts = comments(sheet)
    assert set(texts) == {first.coordinate, last.coordinate}
    assert texts[first.coordinate] == texts[last.coordinate]
    assert "1,201 characters, more than the 1,024 allowed" in texts[first.coordinate]


def test_a_header_in_other_case_still_gets_the_comment(tmp_path: Path) -> None:
    sheet = validated_workbook(
        tmp_path, [["instanceid", "contactflowid", "name"], [INSTANCE, FLOW, ""]]
    )

    assert list(comments(sheet)) == [cell(sheet, "name", 2).coordinate]


def test_a_comment_holds_only_what_a_workbook_can_store(tmp_path: Path) -> None:
    error = RowError("Notes", "'\x01" + "x" * 5000 + "' is not allowed")
    invalid = Outcome(2, Status.INVALID, "t", {"Notes": "\x01"}, errors=(error,))
    path = write_results(tmp_path / "r.xlsx", [invalid], ["Notes"])
    sheet = load_workbook(path)["Results"]

    (text,) = comments(sheet).values()
    assert text.startswith("Notes: '\ufffdxxx")
    assert len(text) == 2_000
    assert text.endswith("…")
    assert cell(sheet, "Notes", 2).value == "_x0001_"  # OOXML's escape, which Excel decodes
    assert read_results(path)[1][0].values == {"Notes": "\x01"}


def test_ordinary_text_is_stored_as_is_and_a_carriage_return_as_excel_escapes_it(
    tmp_path: Path,
) -> None:
    values = {"Plain": "two\nlines\tand a tab", "Windows": "two\r\nlines", "Code": "_x0041_"}
    path = write_results(tmp_path / "r.xlsx", [Outcome(2, Status.VALID, "t", values)], list(values))
    sheet = load_workbook(path)["Results"]

    assert cell(sheet, "Plain", 2).value == "two\nlines\tand a tab"
    # XML would read a bare CR as a line feed; Excel and LibreOffice show the line break
    assert cell(sheet, "Windows", 2).value == "two_x000D_\nlines"
    assert cell(sheet, "Code", 2).value == "_x005F_x0041_"  # else Excel would show "A"
    assert read_results(path)[1][0].values == values


@pytest.mark.parametrize(
    "value",
    # Excel counts UTF-16 units: 20,000 emoji are 40,000 of them.
    ["x" * 40_000, "two\r\nlines " * 3_000, "\r" * 4_682, "\U0001f600" * 20_000],
)
def test_a_cell_too_long_for_excel_is_cut_short_saying_so_never_inside_an_escape(
    tmp_path: Path, value: str
) -> None:
    item = Outcome(2, Status.VALID, "t", {"Notes": value, "After": "kept"})
    path = write_results(tmp_path / "r.xlsx", [item], ["Notes", "After"])

    assert len(cell(load_workbook(path)["Results"], "Notes", 2).value) <= 32_767
    (line,) = read_results(path)[1]
    kept, note, rest = line.values["Notes"].partition(" [truncated: Excel holds at most 32,767")
    assert (note, rest) == (" [truncated: Excel holds at most 32,767", " characters per cell]")
    assert value.startswith(kept)
    assert len(kept) > 4_000  # as much as fits (7 stored characters per CR)
    assert line.values["After"] == "kept"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("ScheduledTime", ["ScheduledTime"]),
        ("scheduledtime", ["ScheduledTime"]),
        ("Customer Name, Order ID", ["Customer Name", "Order ID"]),
        ("Name, with comma", ["Name, with comma"]),
        ("ContactFlowId (from --contact-flow-id)", []),
        ("Customer Name, Nope", []),
        ("Column F", []),
        ("", []),
    ],
)
def test_error_columns(where: str, expected: list[str]) -> None:
    columns = ["ScheduledTime", "Customer Name", "Order ID", "Name, with comma"]
    assert error_columns(where, columns) == expected


# --- statuses, API errors, layout ------------------------------------------------------------


def sent_outcomes() -> list[Outcome]:
    values = {"Name": "n", "Notes": ""}
    return [
        Outcome(2, Status.CREATED, "t2", values, contact_id="00000000-0000-4000-8000-0000000000c1"),
        Outcome(3, Status.ALREADY_CREATED, "t3", values, contact_id="0042"),
        Outcome(
            4,
            Status.FAILED,
            "t4",
            values,
            error_code="ResourceNotFoundException",
            error_message="Contact flow not found",
            attempts=1,
        ),
        Outcome(5, Status.NOT_ATTEMPTED, "t5", values, error_message="not sent: the run stopped"),
    ]


def test_statuses_are_coloured_and_api_errors_are_comments_on_the_status(tmp_path: Path) -> None:
    path = write_results(tmp_path / "r.xlsx", sent_outcomes(), ["Name", "Notes"])
    sheet = load_workbook(path)["Results"]

    assert [fill(cell(sheet, "status", row)) for row in range(2, 6)] == [GREEN, GREY, RED, AMBER]
    assert comments(sheet) == {
        "B4": "ResourceNotFoundException: Contact flow not found",
        "B5": "not sent: the run stopped",
    }
    assert cell(sheet, "contact_id", 3).value == "0042"
    assert cell(sheet, "contact_id", 3).data_type in ("s", "inlineStr")
    assert red_cells(sheet, INPUT_START) == set()


def test_header_frozen_filter_on_widths_fitted_and_capped(tmp_path: Path) -> None:
    values = [{"Short": "ab", "Long": "x" * 500, "Lines": "one\nthe longest line\nthree"}]
    outcomes = [Outcome(n, Status.VALID, f"t{n}", values[0]) for n in range(2, 12)]
    path = write_results(tmp_path / "r.xlsx", outcomes, ["Short", "Long", "Lines"])
    sheet = load_workbook(path)["Results"]

    assert sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref == "A1:J11"
    widths = {  # in characters, as Excel shows them (the file adds a fraction for padding)
        name: round(sheet.column_dimensions[get_column_letter(index)].width)
        for index, name in enumerate([c.value for c in sheet[1]], start=1)
    }
    assert widths["Long"] == MAX_WIDTH + 1
    assert widths["Short"] < widths["Lines"] < widths["Long"]
    assert widths["Lines"] == len("the longest line") + 1
    assert all(fill(c) is not None and c.font.b for c in sheet[1])


def test_comments_stop_at_the_cap_but_every_problem_cell_stays_red(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook_module, "MAX_COMMENTS", 2)
    rows = [["InstanceId", "ContactFlowId", "Name"], *([[INSTANCE, FLOW, ""]] * 4)]
    sheet = validated_workbook(tmp_path, rows)

    assert len(comments(sheet)) == 2
    assert len(red_cells(sheet, INPUT_START)) == 4
    summary = dict(load_workbook(tmp_path / "tasks.results.xlsx")["Summary"].values)
    assert "only the first 2 problem cells have a comment" in summary["Comments"]


def test_a_failure_while_building_the_workbook_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object, sheet: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(workbook_module.ResultsWorkbook, "_write_summary", broken)
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    results = tmp_path / "results"
    results.mkdir()
    path = results / "r.xlsx"
    path.write_bytes(b"previous results")

    with pytest.raises(RuntimeError, match="disk full"):
        write_results(path, sent_outcomes(), ["Name", "Notes"])

    gc.collect()
    assert path.read_bytes() == b"previous results"
    assert [p.name for p in results.iterdir()] == ["r.xlsx"]
    assert list(scratch.iterdir()) == []
    assert unraisable == []


# --- Summary sheet ---------------------------------------------------------------------------


def summary_rows(path: Path) -> list[tuple[Any, ...]]:
    return list(load_workbook(path)["Summary"].iter_rows(values_only=True))


def test_summary_counts_each_status_then_the_given_lines_in_order(tmp_path: Path) -> None:
    pairs = [("Started", "2026-03-27T12:00:00+00:00"), ("Note", "=1+2"), ("Retry with", "x")]
    path = write_results(tmp_path / "r.xlsx", sent_outcomes(), ["Name", "Notes"], pairs)

    assert load_workbook(path).sheetnames == ["Results", "Summary"]
    assert summary_rows(path) == [
        ("Rows", 4),
        ("created", 1),
        ("already_created", 1),
        ("failed", 1),
        ("not_attempted", 1),
        (None, None),
        *pairs,
    ]
    for sheet in load_workbook(path):
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_csv_results_ignore_the_summary(tmp_path: Path) -> None:
    path = write_results(tmp_path / "r.csv", sent_outcomes(), ["Name"], [("Started", "now")])
    assert "Started" not in path.read_text(encoding="utf-8-sig")


def test_validate_of_a_workbook_writes_a_workbook_with_counts_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_xlsx(
        tmp_path / "tasks.xlsx",
        [["InstanceId", "ContactFlowId", "Name"], [INSTANCE, FLOW, "a"], [INSTANCE, FLOW, ""]],
    )

    assert main(["validate", str(source), "--timezone", "UTC"]) == 1

    path = tmp_path / "tasks.results.xlsx"
    assert summary_rows(path) == [("Rows", 2), ("valid", 1), ("invalid", 1)]
    sheet = load_workbook(path)["Results"]
    assert list(comments(sheet)) == [cell(sheet, "Name", 3).coordinate]


def test_a_run_summary_has_its_figures_and_a_retry_command_that_works(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = sandbox()
    rows = [["Name", "Description"], ["a", "1"], ["", "2"], ["c", "3"]]
    source = write_csv(tmp_path / "tasks.csv", rows)
    results = tmp_path / "tasks.results.xlsx"
    assert main(cli_args("run", source, sb, tmp_path, "--results", str(results))) == 1

    summary = dict(summary_rows(results))
    assert (summary["created"], summary["invalid"]) == (2, 1)
    assert {"Started", "Finished", "Throttled calls"} <= set(summary)
    assert "Achieved rate" not in summary, "2 calls in a blink make no rate"
    assert summary["Setting: rate"] == "500.0"
    assert summary["API calls"] == "2"
    command = shlex.split(summary["Retry with"])
    assert command[:3] == ["task-importer", "retry", str(results)]

    workbook = load_workbook(results)
    cell(workbook["Results"], "Name", 3).value = "fixed"
    workbook.save(results)
    assert main(command[1:]) == 0
    assert sb.counters()["created"] == 3


def test_summary_text_reads_back_as_given(tmp_path: Path) -> None:
    """The Summary sheet is escaped once, as the Results sheet is: a path holding '_x0041_'
    or a control character was escaped twice, and '<r>...</r>' would be raw rich text."""
    path = tmp_path / "r.xlsx"
    pairs = [("Input", "C:/in_x0041_/t.xlsx"), ("Note", "a\x01b"), ("Odd", "<r><t>y</t></r>")]
    with ResultsWriter(path, ["A"]) as writer:
        writer.write(Outcome(2, Status.VALID, "t", {"A": "x"}))
        writer.add_summary(pairs)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Summary").to_python()
    assert [tuple(row[:2]) for row in rows[-3:]] == pairs
