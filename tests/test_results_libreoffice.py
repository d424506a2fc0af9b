"""A CSV results file opened in LibreOffice Calc holds no formula, whatever the separator.

Much of Europe uses ';' as the list separator, and a tab-separated import is one click
away: such a reader splits each line at characters the comma-separated file keeps inside
cells. Calc is the judge: each file is imported headless with formula evaluation on, once
per separator, and converted to flat ODF, whose formula cells are counted. A control line
``=1+1`` at the top must be the one formula, which shows that evaluation was on.

Skipped when LibreOffice (``soffice``) is not installed; CI does not have it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from importer.model import Outcome, Status
from importer.results import ResultsWriter

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

CONVERT_TIMEOUT_S = 180
"""Guard against a hung soffice; a healthy conversion takes a few seconds."""
CONTROL = b"=1+1\r\n"
BOM = b"\xef\xbb\xbf"
NASTY = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1)",
    " =1+1",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",
    "x;=1+1",
    "x,=1+1",
    "x\t=1+1",
    "x\n=1+1",
    "x\r\n=1+1",
    "x\r=1+1",
    "x; =1+1",
    'x;"=1+1"',
    'x; "=1+1"',
    'x;""=1+1',
    'x;"a;=1+1',
    "x;'=1+1",
    "x;''=1+1",
    "x;+1+1",
    "x;-1+1",
    "x;@SUM(1)",
    "x;=1+1;=2+2",
    'a"b;=1+1',
    '"x;=1+1',
    "1,5;=1+1\t=2+2,=3+3",
]
"""Cell texts that start a formula at the start of the cell or after a separator."""


def formulas_in_calc(csv_file: Path, separator: str, workdir: Path, profile: str) -> list[str]:
    """The formulas Calc finds when it imports ``csv_file`` split at ``separator``."""
    # CSV filter tokens: separator, text delimiter ("), charset (76: UTF-8), first line,
    # column formats, language, quoted field as text, detect special numbers, (3 export
    # tokens), sheet, evaluate formulas.
    options = f"{ord(separator)},34,76,1,,1033,false,true,false,false,false,0,true"
    outdir = workdir / f"out-{ord(separator)}"
    done = subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={profile}",
            "--headless",
            f"--infilter=CSV:{options}",
            "--convert-to",
            "fods",
            "--outdir",
            str(outdir),
            str(csv_file),
        ],
        capture_output=True,
        text=True,
        timeout=CONVERT_TIMEOUT_S,
    )
    converted = outdir / f"{csv_file.stem}.fods"
    assert converted.exists(), f"soffice converted nothing: {done.stdout}{done.stderr}"
    return re.findall(r'table:formula="([^"]*)"', converted.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results file whose headers, input cells and error messages are all NASTY, with the
    control line after its BOM."""
    folder = tmp_path_factory.mktemp("calc")
    columns = [f"{text} ({index})" for index, text in enumerate(NASTY)]
    path = folder / "tasks.results.csv"
    with ResultsWriter(path, columns) as writer:
        for number, text in enumerate(NASTY, start=2):
            values = {column: text for column in columns}
            writer.write(Outcome(number, Status.INVALID, "tok", values, error_message=text))
    data = path.read_bytes()
    assert data.startswith(BOM)
    path.write_bytes(BOM + CONTROL + data[len(BOM) :])
    return path


@pytest.mark.parametrize("separator", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_calc_finds_no_formula_in_a_csv_results_file(
    results_csv: Path, separator: str, tmp_path: Path, soffice_profile: str
) -> None:
    formulas = formulas_in_calc(results_csv, separator, tmp_path, soffice_profile)

    assert formulas[:1] == ["of:=1+1"], "the control formula is missing: evaluation was off"
    assert formulas[1:] == []
