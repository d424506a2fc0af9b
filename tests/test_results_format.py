"""What every results file shares: its columns, and where it goes beside its input."""

from __future__ import annotations

from pathlib import Path

import pytest

from importer.errors import UsageError
from importer.results import RESULT_COLUMNS, default_results_path, results_path_for
from importer.results.format import is_sandbox_results


def test_result_columns_then_input_columns() -> None:
    assert RESULT_COLUMNS == (
        "row",
        "status",
        "contact_id",
        "error_code",
        "error_message",
        "attempts",
        "client_token",
    )


def test_default_results_path_is_beside_the_input(tmp_path: Path) -> None:
    assert (
        default_results_path(tmp_path / "in" / "tasks.csv") == tmp_path / "in" / "tasks.results.csv"
    )
    assert default_results_path("march.tasks.csv") == Path("march.tasks.results.csv")


@pytest.mark.parametrize("name", ["tasks.xlsx", "tasks.XLSM", "tasks.xls", "tasks.ods"])
def test_spreadsheet_input_gets_a_results_workbook(tmp_path: Path, name: str) -> None:
    assert default_results_path(tmp_path / name) == tmp_path / "tasks.results.xlsx"


def test_results_path_never_replaces_the_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "tasks.csv"
    assert results_path_for(source, None) == tmp_path / "tasks.results.csv"
    assert results_path_for(source, tmp_path / "out.xlsx") == tmp_path / "out.xlsx"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="is the input file"):
        results_path_for(source, "tasks.csv")  # the same file, named relatively


@pytest.mark.parametrize(
    ("name", "sandbox"),
    [
        ("tasks.sandbox.results.xlsx", True),
        ("tasks.sandbox.results (1).xlsx", True),
        ("tasks.results.xlsx", False),
        ("tasks.results (1).xlsx", False),
        ("sandbox.results.notes.csv", False),
    ],
)
def test_a_sandbox_results_file_is_known_by_its_name(name: str, sandbox: bool) -> None:
    assert is_sandbox_results(name) is sandbox
