"""The notes calamine does not give, read from a sheet's XML as it streams: numbers read as
their format shows them, Excel errors and formulas without a saved result."""

from __future__ import annotations

from pathlib import Path

import pytest
from spreadsheets import MAIN_NS, write_xlsx_parts

from importer.errors import InputFileError
from importer.reading import xlsx_package
from importer.reading.xlsx_notes import CellNotes, Shown, cell_notes
from importer.reading.xlsx_package import Package, open_package

STYLES = (
    f'<styleSheet xmlns="{MAIN_NS}">'
    '<numFmts count="2"><numFmt numFmtId="165" formatCode="0000000"/>'
    '<numFmt numFmtId="166" formatCode="&quot;ID-&quot;00000"/></numFmts>'
    '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="9" applyNumberFormat="1"/>'
    '<xf numFmtId="165" applyNumberFormat="1"/><xf numFmtId="166" applyNumberFormat="1"/>'
    "</cellXfs></styleSheet>"
)
CELLS = (
    '<c r="A1" s="1"><v>0.15</v></c>'
    '<c r="B1" s="2"><v>100455</v></c>'
    '<c r="C1" s="3"/>'
    '<c r="D1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    '<c r="E1"><f>SUM(A1:B1)</f><v/></c>'
    '<c r="F1" t="str"><f>""</f><v></v></c>'
    '<c r="G1"><f>1+1</f><v>2</v></c>'
    '<c r="H1" t="e"/>'
    '<c r="I1"><f>NOW()</f></c>'
    '<c r="J1"><v>7</v></c>'
)
EXPECTED = CellNotes(
    problems={
        (0, 3): "cell D1 shows the Excel error #DIV/0!; fix the formula or type the value",
        (0, 4): "cell E1 holds a formula whose result is not saved in the file; open the file "
        "in Excel and save it (Excel saves the results), or type the value",
        (0, 7): "cell H1 shows the Excel error (error); fix the formula or type the value",
        (0, 8): "cell I1 holds a formula whose result is not saved in the file; open the file "
        "in Excel and save it (Excel saves the results), or type the value",
    },
    shown={
        (0, 0): Shown(percent=True),
        (0, 1): Shown(digits=7),
        (0, 2): Shown(digits=5, prefix="ID-"),
    },
)


def notes_of(path: Path, sheet: str = "Tasks") -> CellNotes:
    package = open_package(path)
    assert package is not None
    with package:
        return cell_notes(package, sheet)


def sheet(rows: str, prefix: str = "") -> str:
    declare = f'xmlns:{prefix[:-1]}="{MAIN_NS}"' if prefix else f'xmlns="{MAIN_NS}"'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{prefix}worksheet {declare}>'
        f"<{prefix}sheetData>{rows}</{prefix}sheetData></{prefix}worksheet>"
    )


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A workbook whose sheet holds CELLS, one of each kind."""
    return write_xlsx_parts(
        tmp_path / "notes.xlsx", {"Tasks": sheet(f'<row r="1">{CELLS}</row>')}, styles=STYLES
    )


def test_percent_padded_error_and_unsaved_formula_cells_are_noted(workbook: Path) -> None:
    assert notes_of(workbook) == EXPECTED


def test_cells_written_with_a_namespace_prefix_are_noted_the_same(tmp_path: Path) -> None:
    prefixed = CELLS.replace("<", "<x:").replace("<x:/", "</x:")
    path = write_xlsx_parts(
        tmp_path / "prefixed.xlsx",
        {"Tasks": sheet(f'<x:row r="1">{prefixed}</x:row>', prefix="x:")},
        styles=STYLES,
    )
    assert notes_of(path) == EXPECTED


def test_tags_cut_across_chunks_are_still_noted(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_package, "CHUNK_BYTES", 3)  # every tag is cut somewhere
    assert notes_of(workbook) == EXPECTED


def test_the_sheet_is_streamed_never_read_whole(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_whole = Package.read

    def read(package: Package, member: str, *limit: int | None) -> bytearray:
        assert "worksheets" not in member, "a sheet read into memory whole"
        return read_whole(package, member, *limit)

    monkeypatch.setattr(Package, "read", read)
    assert notes_of(workbook) == EXPECTED


def test_a_sheet_without_such_cells_has_no_notes(tmp_path: Path) -> None:
    rows = '<row r="1"><c r="A1" s="0"><v>0.15</v></c><c r="B1" t="str"><v>=1</v></c></row>'
    path = write_xlsx_parts(tmp_path / "plain.xlsx", {"Tasks": sheet(rows)}, styles=STYLES)
    assert notes_of(path) == CellNotes()


def test_a_sheet_with_a_formula_that_is_not_well_formed_xml_is_refused(tmp_path: Path) -> None:
    rows = '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></rowx>'
    path = write_xlsx_parts(tmp_path / "broken.xlsx", {"Tasks": sheet(rows)}, styles=STYLES)
    with pytest.raises(InputFileError, match="is not well-formed XML"):
        notes_of(path)
