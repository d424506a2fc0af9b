"""first_sent_line: the first line of a results file that records a row sent, read only
that far (what keeps validate from replacing a run's results)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from results_files import write_results

from importer.errors import InputFileError
from importer.model import Outcome, Status
from importer.results import RESULT_COLUMNS, first_sent_line


def checked(count: int) -> list[Outcome]:
    """``count`` lines as validate writes them: valid and invalid, no ContactId."""
    return [
        Outcome(
            number,
            Status.VALID if number % 3 else Status.INVALID,
            f"tok-{number}",
            {"Name": f"task {number}", "Zip": "00042", "Notes": "valid & <invalid>"},
        )
        for number in range(2, count + 2)
    ]


def sent(number: int, status: Status = Status.CREATED, contact_id: str = "cid-9") -> Outcome:
    return Outcome(number, status, f"tok-{number}", {"Name": "x"}, contact_id, attempts=1)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_file_validate_wrote_records_no_row_sent(tmp_path: Path, suffix: str) -> None:
    results = write_results(tmp_path / f"t.results{suffix}", checked(300))
    assert first_sent_line(results) is None


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize(
    "line", [sent(302), sent(302, Status.FAILED, ""), sent(302, Status.VALID, "cid-9")]
)
def test_the_first_line_that_records_a_row_sent_is_found(
    tmp_path: Path, suffix: str, line: Outcome
) -> None:
    lines = [*checked(300), line, sent(303)]
    results = write_results(tmp_path / f"t.results{suffix}", lines)
    # Lines are numbered as Excel shows them: the header is line 1.
    assert first_sent_line(results) == 302


def test_reading_stops_at_the_first_line_that_records_a_row_sent(tmp_path: Path) -> None:
    results = write_results(tmp_path / "t.results.csv", [*checked(5), sent(7)])
    with results.open("a", encoding="utf-8") as stream:
        stream.write("not a number,created,,,,x,tok,a,b,c\n")  # damaged, after the sent line
    assert first_sent_line(results) == 7


def results_sheet(path: Path, rows: list[list[str]]) -> Path:
    """A Results sheet written by openpyxl's ordinary workbook (shared strings)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Results"
    sheet.append([*RESULT_COLUMNS, "Name"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_a_workbook_with_shared_strings_is_read_too(tmp_path: Path) -> None:
    line = ["", "", "", "", "", "0", "", "a"]
    rows = [["2", "valid", *line[2:]], ["3", " invalid ", *line[2:]]]
    assert first_sent_line(results_sheet(tmp_path / "a.results.xlsx", rows)) is None
    rows.append(["4", "stopped", *line[2:]])
    assert first_sent_line(results_sheet(tmp_path / "b.results.xlsx", rows)) == 4


def test_a_formula_in_a_results_column_is_read_cell_by_cell(tmp_path: Path) -> None:
    rows = [["2", "valid"], ["3", '=CONCAT("cre", "ated")']]  # a formula, its result not saved
    with pytest.raises(InputFileError, match="formula whose result is not saved"):
        first_sent_line(results_sheet(tmp_path / "f.results.xlsx", rows))


def test_a_workbook_that_is_not_a_results_file_is_an_error(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.title = "Results"
    workbook.active.append(["Name", "Description"])
    workbook.save(tmp_path / "t.results.xlsx")
    with pytest.raises(InputFileError, match="not a results file"):
        first_sent_line(tmp_path / "t.results.xlsx")


def test_lines_before_a_sent_one_are_read_whole_and_a_damaged_one_is_an_error(
    tmp_path: Path,
) -> None:
    results = write_results(tmp_path / "t.results.csv", [*checked(3), sent(5)])
    text = results.read_text(encoding="utf-8-sig").replace("\n3,", "\nthree,", 1)
    results.write_text(text, encoding="utf-8-sig")
    with pytest.raises(InputFileError, match="'three' is not a whole number"):
        first_sent_line(results)


def test_a_file_that_records_no_row_sent_is_not_read_whole(tmp_path: Path) -> None:
    # Nothing in it can be lost: a damaged 'row' cell does not keep validate from replacing it.
    results = write_results(tmp_path / "t.results.csv", checked(3))
    text = results.read_text(encoding="utf-8-sig").replace("\n3,", "\nthree,", 1)
    results.write_text(text, encoding="utf-8-sig")
    assert first_sent_line(results) is None
