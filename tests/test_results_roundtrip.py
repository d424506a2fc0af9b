"""A results file reads back exactly as written, so an unedited retry sends the same requests.

retry compares each row it reads back with what was sent: a cell that changed on the way
through the file gives the row a new ClientToken, and a task that was created already
(its answer lost) would be created twice.

What a file cannot hold, and so does not read back as written:

- .xlsx: lone surrogates, U+FFFE and U+FFFF become U+FFFD (no workbook can store them),
  and a cell over 32,767 characters is cut short (Excel's limit). Whitespace is kept, a
  cell of whitespace alone too (the workbook marks such text to be kept).
- .csv: lone surrogates become "?" (no UTF-8 for them).

None of these changes a task: a lone surrogate makes its row invalid (never sent), and the
importer strips every cell it maps.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from cli_runs import cli_args, statuses, tasks_by_token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spreadsheets import read_results as read_cells
from spreadsheets import write_csv

from importer.cli import main
from importer.model import Outcome, Status
from importer.results import ResultsWriter, protect, read_results, unprotect
from importer.sandbox import Sandbox

ROUND_TRIP_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=30)
"""Any code point: surrogates, NUL, CR, C0 controls, U+FFFE, emoji, right-to-left marks."""
OOXML_LIKE = st.lists(
    st.sampled_from(["_x", "_X", "_", "x", "0041", "005F", "000D", "D800", "_x000D_", "\r"]),
    max_size=8,
).map("".join)
"""Text built from pieces of OOXML's _xHHHH_ escapes, which random text seldom spells out."""
SEPARATED = st.lists(
    st.sampled_from([",", ";", "\t", "\r", "\n", "'", "''", '"', " ", "=", "+", "-", "@", "x"]),
    max_size=10,
).map("".join)
"""Text built from list separators, quotes, spaces and formula triggers (CSV injection)."""
CELL_TEXT = st.one_of(
    ANY_TEXT,
    OOXML_LIKE,
    SEPARATED,
    st.text(st.sampled_from(" \t\r\n\xa0"), max_size=4),
    st.sampled_from(["a\r\nb", "\x0b", "=1+2", "'x", "<r><t>x</t></r>", "<r><b></r>"]),
)
HEADER_NAME = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\ufffe\uffff"), min_size=1)
    .map(str.strip)
    .filter(bool),
    st.sampled_from(["Status", "row", "CLIENT_TOKEN", "=Total", "'quoted", "a;b;c;d;e;f;g;h;i"]),
    SEPARATED.map(str.strip).filter(bool),
)
"""A header as the importer reads one (stripped, not empty), results columns' names too."""
NOT_IN_XLSX = re.compile("[\ud800-\udfff\ufffe\uffff]")
NOT_IN_CSV = re.compile("[\ud800-\udfff]")


def as_read_back(text: str, suffix: str) -> str:
    """What a file holding ``text`` gives back: the exceptions in the module docstring."""
    if suffix == ".csv":
        return NOT_IN_CSV.sub("?", text)
    return NOT_IN_XLSX.sub("\ufffd", text)


@ROUND_TRIP_SETTINGS
@given(
    columns=st.lists(HEADER_NAME, min_size=1, max_size=4, unique_by=str.casefold),
    texts=st.lists(CELL_TEXT, min_size=6, max_size=6),
    suffix=st.sampled_from([".xlsx", ".csv"]),
)
def test_any_text_reads_back_as_written(columns: list[str], texts: list[str], suffix: str) -> None:
    values = dict(zip(columns, texts, strict=False))
    outcome = Outcome(
        7,
        Status.FAILED,
        "token",
        values,
        error_code=texts[-2],
        error_message=texts[-1],
        attempts=3,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"r{suffix}"
        with ResultsWriter(path, columns) as writer:
            writer.write(outcome)
        input_columns, (line,) = read_results(path)

    assert input_columns == [as_read_back(name, suffix) for name in columns]
    assert line.values == {
        as_read_back(name, suffix): as_read_back(values.get(name, ""), suffix) for name in columns
    }
    assert (line.row, line.status, line.attempts, line.client_token) == (7, "failed", 3, "token")
    assert line.error_code == as_read_back(texts[-2], suffix)
    assert line.error_message == as_read_back(texts[-1], suffix)


FIELD_STARTS_A_FORMULA = re.compile(r'[" ]*[=+\-@]')


@ROUND_TRIP_SETTINGS
@given(text=st.one_of(SEPARATED, ANY_TEXT))
def test_no_field_of_a_protected_csv_cell_starts_a_formula_whatever_the_separator(
    text: str,
) -> None:
    # A reader splitting at ';', ',', tab or a line break sees a field after each of them.
    protected = protect(text)
    first, *others = re.split("[,;\t\r\n]", protected)

    assert unprotect(protected) == text
    assert protected[:1] not in ("\t", "\r")
    assert not FIELD_STARTS_A_FORMULA.match(first)
    assert [field for field in others if FIELD_STARTS_A_FORMULA.match(field)] == []


def test_an_unedited_retry_of_a_workbook_creates_no_task_twice(
    sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    # The tasks are created but every answer is lost, so each row is failed with its
    # ClientToken in the journal; retrying the workbook as it is must send the same tokens.
    # The control characters (Word's line break, U+0001) make their rows invalid, and the
    # workbook gives them back as they were, so retry finds them invalid again.
    sb = sandbox(drop_after_rate=1.0)
    descriptions = ["two\r\nlines", "Word's line\x0bbreak", "_x0041_ stays", "plain", "\x01"]
    rows = [[f"Task {i}", text, "open", str(100 + i)] for i, text in enumerate(descriptions)]
    source = write_csv(tmp_path / "crm.csv", [["Name", "Description", "Status", "row"], *rows])
    results = tmp_path / "crm.results.xlsx"
    run = cli_args("run", source, sb, tmp_path, "--max-attempts", "1", "--results", str(results))
    expected = ["created", "invalid", "created", "created", "invalid"]

    assert main(run) != 0
    assert statuses(read_cells(results)) == {"failed": 3, "invalid": 2}
    assert sb.counters()["created"] == 3

    sb.configure(drop_after_rate=0.0)
    assert main(cli_args("retry", results, sb, tmp_path)) == 1

    assert sb.counters()["created"] == 3
    by_token = tasks_by_token(sb)
    _, lines = read_results(results)
    assert [line.status for line in lines] == expected
    assert [
        by_token[line.client_token]["request"]["Description"]
        for line in lines
        if line.status == "created"
    ] == [text for text, status in zip(descriptions, expected, strict=True) if status == "created"]
    assert [line.values["Description"] for line in lines] == descriptions
    assert [(line.values["Status"], line.values["row"]) for line in lines] == [
        ("open", str(100 + i)) for i in range(5)
    ]
