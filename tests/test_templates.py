"""`task-importer template`: the blank spreadsheet ops fill in, and the copies in templates/."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runs import after_header, log_messages
from openpyxl import load_workbook
from spreadsheets import read_csv

from importer.blank_template import GUIDE, write_blank_template
from importer.cli import main
from importer.limits import limits
from importer.mapping import FIELDS, MappingSpec, RowMapper
from importer.reading import open_table
from importer.scheduled_time import zone

REPO_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HEADERS = [guide.column for guide in GUIDE]
TASK_TEMPLATE_SHEETS = "task-template-"
"""Sheets made from a task template (tests/test_cli_template_sheet.py checks those)."""


def xlsx_values(path: Path) -> dict[str, list[list[str]]]:
    workbook = load_workbook(path)
    return {
        sheet.title: [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        for sheet in workbook.worksheets
    }


def test_headers_cover_every_field() -> None:
    assert all(field in HEADERS for field in FIELDS)
    assert any(h.startswith("Attributes.") for h in HEADERS)
    assert any(h.startswith("References.") for h in HEADERS)


def test_template_xlsx_has_headers_an_example_row_and_a_column_guide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "blank.xlsx"
    assert main(["template", str(out)]) == 0
    assert str(out) in capsys.readouterr().err
    sheets = xlsx_values(out)
    assert list(sheets) == ["Tasks", "Columns"]
    header, example = sheets["Tasks"]
    assert header == HEADERS
    row = dict(zip(header, example, strict=True))
    assert row["Name"]
    assert row["Attributes.customer_id"] == "00042"  # stored as text: the zeros survive
    assert row["References.URL.Order page"].startswith("https://")
    guide_header, *guide = sheets["Columns"]
    assert guide_header == ["Column", "Required", "What it is", "Limit", "Example"]
    assert [line[0] for line in guide] == HEADERS
    limit_of = {line[0]: line[3] for line in guide}
    assert f"{limits().fields['Name'].maximum:,} characters" in limit_of["Name"]
    assert "6 days" in limit_of["ScheduledTime"]


def test_the_library_leaves_the_example_ids_to_its_caller(tmp_path: Path) -> None:
    blank = dict(zip(*read_csv(write_blank_template(tmp_path / "blank.csv")), strict=True))
    assert blank["InstanceId"] == blank["ContactFlowId"] == ""
    assert blank["Name"]
    given = write_blank_template(tmp_path / "given.csv", examples={"InstanceId": "i-1"})
    assert dict(zip(*read_csv(given), strict=True))["InstanceId"] == "i-1"


def test_template_csv_has_headers_and_an_example_row(tmp_path: Path) -> None:
    out = tmp_path / "blank.csv"
    assert main(["template", str(out)]) == 0
    header, example = read_csv(out)
    assert header == HEADERS
    assert dict(zip(header, example, strict=True))["Attributes.customer_id"] == "00042"


@pytest.mark.parametrize("name", ["blank.xlsx", "blank.csv"])
def test_blank_template_validates_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / name
    assert main(["template", str(out)]) == 0
    assert main(["validate", str(out), "--timezone", "UTC"]) == 0
    captured = capsys.readouterr()
    assert "1 row: 1 valid, 0 invalid" in captured.err
    assert "warning" not in captured.err  # every template column maps to a field


@pytest.mark.parametrize("name", ["mywork.xlsx", "mywork.csv"])
def test_template_never_replaces_an_existing_file_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / name
    out.write_bytes(b"50 rows someone filled in")
    capsys.readouterr()

    assert main(["template", str(out)]) == 2

    err = capsys.readouterr().err
    assert len(after_header(log_messages(err))) == 1
    assert "already exists" in err and "--force" in err
    assert out.read_bytes() == b"50 rows someone filled in"

    assert main(["template", str(out), "--force"]) == 0
    assert main(["validate", str(out), "--timezone", "UTC"]) == 0


def test_template_with_another_suffix_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["template", str(tmp_path / "blank.ods")]) == 2
    err = capsys.readouterr().err
    assert len(after_header(log_messages(err))) == 1
    assert ".csv or .xlsx" in err
    assert not (tmp_path / "blank.ods").exists()


def test_template_into_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["template", str(tmp_path / "no" / "such" / "blank.csv")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def _repo_templates() -> list[Path]:
    if not REPO_TEMPLATES.is_dir():
        return []
    return sorted(
        p
        for p in REPO_TEMPLATES.iterdir()
        if p.suffix.lower() in (".xlsx", ".csv") and not p.name.startswith(TASK_TEMPLATE_SHEETS)
    )


@pytest.mark.parametrize(
    "shipped", _repo_templates() or [None], ids=lambda p: p.name if p else "none"
)
def test_shipped_templates_match_what_template_generates(
    tmp_path: Path, shipped: Path | None
) -> None:
    if shipped is None:
        pytest.skip("templates/ holds no .xlsx or .csv file yet")
    fresh = tmp_path / f"fresh{shipped.suffix.lower()}"
    assert main(["template", str(fresh)]) == 0
    if shipped.suffix.lower() == ".xlsx":
        assert xlsx_values(shipped) == xlsx_values(fresh)
    else:
        assert read_csv(shipped) == read_csv(fresh)


def _repo_mappings() -> list[Path]:
    return sorted(REPO_TEMPLATES.glob("*.mapping.toml")) if REPO_TEMPLATES.is_dir() else []


@pytest.mark.parametrize(
    "shipped", _repo_mappings() or [None], ids=lambda p: p.name if p else "none"
)
def test_shipped_mapping_templates_load(shipped: Path | None) -> None:
    if shipped is None:
        pytest.skip("templates/ holds no mapping template yet")
    spec = MappingSpec.load(shipped)
    assert spec.fields or spec.attributes or spec.references
    if spec.timezone:
        zone(spec.timezone)
    # the sample it names (sample_data/<stem>.csv), when there is one, fits it
    sample = REPO_TEMPLATES.parent / "sample_data" / shipped.name.replace(".mapping.toml", ".csv")
    if sample.exists():
        columns = open_table(sample).columns
        RowMapper(spec, columns)  # raises UsageError for a column the template needs
