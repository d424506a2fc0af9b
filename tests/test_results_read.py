"""Reading a results file back: the results columns by position, input columns as input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from results_files import write_results as write
from spreadsheets import read_csv

from importer.errors import InputFileError
from importer.model import Outcome, Status
from importer.results import RESULT_COLUMNS
from importer.results import read_results as read_back

CRM_COLUMNS = ["Name", "Status", "row", "Contact_ID", "attempts"]


def crm_outcomes() -> list[Outcome]:
    """A CRM export's rows: its own Status, row and contact id columns."""
    values = {"Name": "a", "Status": "open", "row": "17", "Contact_ID": "crm-1", "attempts": "4"}
    return [
        Outcome(5, Status.FAILED, "tok-5", values, error_code="X", error_message="boom"),
        Outcome(
            6,
            Status.CREATED,
            "tok-6",
            {**values, "Status": "closed", "row": ""},
            contact_id="cid-6",
            attempts=1,
        ),
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_input_columns_named_like_results_columns_are_read_as_input(
    tmp_path: Path, suffix: str
) -> None:
    items = crm_outcomes()
    path = write(tmp_path / f"r{suffix}", items, CRM_COLUMNS)

    input_columns, lines = read_back(path)

    assert input_columns == CRM_COLUMNS
    assert [
        (line.row, line.status, line.contact_id, line.attempts, line.client_token) for line in lines
    ] == [(5, "failed", "", 0, "tok-5"), (6, "created", "cid-6", 1, "tok-6")]
    assert [line.values for line in lines] == [item.values for item in items]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_edited_input_status_cell_is_input_not_the_rows_status(
    tmp_path: Path, suffix: str
) -> None:
    path = write(tmp_path / f"r{suffix}", crm_outcomes(), CRM_COLUMNS)
    input_status = len(RESULT_COLUMNS) + CRM_COLUMNS.index("Status")
    if suffix == ".xlsx":
        workbook = load_workbook(path)
        workbook["Results"].cell(2, input_status + 1).value = "escalated"
        workbook.save(path)
    else:
        header, *lines = read_csv(path)
        lines[0][input_status] = "escalated"
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            csv.writer(stream).writerows([header, *lines])

    _, (edited, _) = read_back(path)

    assert edited.status == "failed"
    assert edited.values["Status"] == "escalated"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_two_input_columns_with_one_name_are_still_refused(tmp_path: Path, suffix: str) -> None:
    item = Outcome(2, Status.FAILED, "t", {"Name": "a", "NAME": "b"})
    path = write(tmp_path / f"r{suffix}", [item], ["Name", "NAME"])

    with pytest.raises(InputFileError, match="columns H and I both have the header 'NAME'"):
        read_back(path)
