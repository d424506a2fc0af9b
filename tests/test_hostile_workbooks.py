"""Workbooks that would make calamine exhaust memory are refused, named, before it loads them.

A 2 KB .xlsx with one stray value at XFD1048576 used to abort the process (calamine asks for
17 billion cells); a small file could unpack into a gigabyte-long text. Each case goes
through the CLI; the ones that measure memory run it as a child process.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import cli_args
from spreadsheets import write_raw_xlsx

from importer.cli import main
from importer.reading.limits import MAX_SHEET_CHARS
from importer.sandbox import Sandbox

HEADER = {"A1": "Name", "B1": "Description"}
PEAK_RSS_BOUND = 150 * 1024 * 1024
"""The child's peak memory reading a workbook that holds a 50 MB text: about 60 MiB, what the
tool takes to start (before the check it peaked near 250 MiB; a 1 GiB text took 4.25 GB)."""
STRAY = (
    "cell XFD1048576 holds a value far outside the data: the sheet would be 1,048,576 rows by "
    "16,384 columns, more than the 20,000,000 cells read; delete it or clear the rows/columns "
    "beyond your table"
)
TOO_LONG = "holds more than 1,000,000 characters (a spreadsheet cell holds at most 32,767)"


def validate(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str]:
    code = main(["validate", str(path), "--instance-id", "i", "--contact-flow-id", "f"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def huge_text_workbook(path: Path) -> Path:
    """B2 uses a shared text of 50 million characters (the file stays small: it compresses)."""
    cells = {"A1": ("s", 0), "B1": ("s", 1), "A2": "Call back", "B2": ("s", 2)}
    return write_raw_xlsx(
        path, {"Tasks": cells}, shared=[b"Name", b"Description", b"x" * 50_000_000]
    )


def set_declared_size(path: Path, member: str, size: int) -> None:
    """Make the zip declare another uncompressed size for ``member`` (a forged file)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, size)  # local header
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


_CHILD = """
import resource, sys
from importer.cli import main
code = main(sys.argv[1:])
print("PEAK", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""
"""The CLI, printing its own peak RSS. A child forked and exec'd inherits its parent's RSS
as the floor of ru_maxrss (Linux keeps the old address space's high-water mark across
exec), so the child is started by a small shell rather than by this large test process."""


def child_validate(path: Path, tmp_path: Path) -> tuple[int, str, int]:
    """`validate` in a child process: exit code, stderr, its own peak RSS in bytes."""
    argv = [sys.executable, "-c", _CHILD, "validate", str(path), "--instance-id", "i"]
    done = subprocess.run(
        ["/bin/sh", "-c", '"$@"; exit $?', "sh", *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    peak = int(done.stdout.split("PEAK")[-1])
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return done.returncode, done.stderr, peak * scale


def test_a_stray_cell_far_away_is_named_and_nothing_is_sent(
    sandbox: Callable[..., Sandbox], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    sb = sandbox()
    book = Workbook()
    sheet = book.active
    sheet.title = "Tasks"
    sheet.append(["Name", "Description"])
    sheet.append(["Call back", "soon"])
    sheet["XFD1048576"] = "x"
    path = tmp_path / "stray.xlsx"
    book.save(path)
    assert path.stat().st_size < 10_000

    code, err = validate(capsys, path)
    assert code == 2
    assert f"{path}, sheet 'Tasks': {STRAY}" in err

    assert main(cli_args("run", path, sb, tmp_path)) == 2
    assert STRAY in capsys.readouterr().err
    assert sb.counters()["requests"] == 0


def test_a_stray_cell_through_shared_strings_or_unusual_xml_is_found_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = {**HEADER, "A2": ("s", 0), "XFD1048576": ("s", 0)}
    plain = write_raw_xlsx(tmp_path / "plain.xlsx", {"Tasks": cells}, shared=[b"x"])
    # Namespace prefixes and a comment: the quick byte search cannot read them, expat does.
    prefixed = write_raw_xlsx(
        tmp_path / "prefixed.xlsx",
        {"Tasks": cells},
        shared=[b"x"],
        sheet_xml=lambda xml: (
            xml.replace("<worksheet xmlns=", "<x:worksheet xmlns:x=")
            .replace("</worksheet>", "</x:worksheet>")
            .replace("<sheetData>", "<!-- a comment --><x:sheetData>")
            .replace("</sheetData>", "</x:sheetData>")
            .replace("<row ", "<x:row ")
            .replace("</row>", "</x:row>")
            .replace("<c ", "<x:c ")
            .replace("</c>", "</x:c>")
            .replace("<v>", "<x:v>")
            .replace("</v>", "</x:v>")
            .replace("<is>", "<x:is>")
            .replace("</is>", "</x:is>")
            .replace("<t>", "<x:t>")
            .replace("</t>", "</x:t>")
        ),
    )
    for path in (plain, prefixed):
        code, err = validate(capsys, path)
        assert code == 2, err
        assert STRAY in err

    fine = write_raw_xlsx(
        tmp_path / "fine.xlsx",
        {"Tasks": {**HEADER, "A2": "Call back", "B2": ("s", 0)}},
        shared=[b"x"],
        sheet_xml=lambda xml: xml.replace("<sheetData>", "<!-- ok --><sheetData>"),
    )
    code, err = validate(capsys, fine)
    assert code == 0, err


def test_a_lying_dimension_and_a_far_but_sane_cell_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = {**HEADER, "A2": "Call back", "B2": "soon", "C100000": "a note far down"}
    path = write_raw_xlsx(
        tmp_path / "tasks.xlsx",
        {"Tasks": cells},
        sheet_xml=lambda xml: xml.replace(
            "<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>'
        ),
    )
    code, err = validate(capsys, path)
    assert code == 1  # the far note has no header: its row is invalid, not the file
    assert "1 valid, 1 invalid" in err


@pytest.mark.skipif(sys.platform == "win32", reason="resource and /bin/sh are POSIX")
@pytest.mark.parametrize("forged", ["as written", "declared 4 GB"])
def test_a_huge_shared_text_is_refused_naming_its_cell_in_bounded_memory(
    tmp_path: Path, forged: str
) -> None:
    path = huge_text_workbook(tmp_path / "tasks.xlsx")
    assert path.stat().st_size < 200_000
    if forged != "as written":
        set_declared_size(path, "xl/sharedStrings.xml", 0xFFFF_FF00)

    code, err, peak = child_validate(path, tmp_path)

    assert code == 2, err
    assert f"{path}: cell B2 of sheet 'Tasks' {TOO_LONG}" in err
    assert peak < PEAK_RSS_BOUND, f"peak RSS {peak / 2**20:.0f} MiB"


def test_a_zip_declaring_less_than_it_holds_is_refused_as_damaged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = huge_text_workbook(tmp_path / "tasks.xlsx")
    set_declared_size(path, "xl/sharedStrings.xml", 300)

    code, err = validate(capsys, path)

    assert code == 2
    assert f"{path}: cannot be read as an Excel workbook (xl/sharedStrings.xml: " in err
    assert "open it in Excel and save it again as .xlsx" in err


def test_a_long_inline_text_is_refused_naming_its_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_raw_xlsx(
        tmp_path / "tasks.xlsx", {"Tasks": {**HEADER, "A2": "Call back", "B2": "y" * 1_500_000}}
    )
    code, err = validate(capsys, path)
    assert code == 2
    assert f"{path}, sheet 'Tasks': cell B2 holds a text of more than 1,000,000 characters" in err


def test_one_long_text_used_by_many_cells_is_refused_before_it_is_copied_into_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 900,000 characters in 300 cells: 270 million characters once calamine copies them.
    cells = {**HEADER, **{f"B{row}": ("s", 0) for row in range(2, 302)}}
    path = write_raw_xlsx(tmp_path / "tasks.xlsx", {"Tasks": cells}, shared=[b"y" * 900_000])

    code, err = validate(capsys, path)

    assert code == 2
    assert f"its cells hold more than {MAX_SHEET_CHARS:,} characters" in err


def test_forged_packages_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_raw_xlsx(tmp_path / "good.xlsx", {"Tasks": {**HEADER, "A2": "Call back"}})
    with zipfile.ZipFile(good) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}

    twice = tmp_path / "twice.xlsx"  # a second sheet part calamine would take for the first
    with zipfile.ZipFile(twice, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        archive.writestr("XL/Worksheets/Sheet1.xml", parts["xl/worksheets/sheet1.xml"])
    escaped = tmp_path / "escaped.xlsx"  # calamine reads the target literally: another part
    with zipfile.ZipFile(escaped, "w") as archive:
        for name, data in parts.items():
            if name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"sheet1.xml", b"sheet&#49;.xml")
            archive.writestr(name, data)
    declares = tmp_path / "declares.xlsx"  # calamine reserves room for what it declares
    with zipfile.ZipFile(declares, "w") as archive:
        for name, data in parts.items():
            if name == "xl/sharedStrings.xml":
                data = data.replace(b'uniqueCount="0"', b'uniqueCount="99999999999999"')
            archive.writestr(name, data)

    for path, expected in [
        (twice, "holds two parts named 'XL/Worksheets/Sheet1.xml'"),
        (escaped, "a part name in xl/_rels/workbook.xml.rels is written with XML escapes"),
        (declares, "xl/sharedStrings.xml declares 99,999,999,999,999 shared texts"),
    ]:
        code, err = validate(capsys, path)
        assert code == 2, err
        assert f"{path}: {expected}" in err
