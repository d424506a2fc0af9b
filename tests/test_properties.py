"""Property-based tests (hypothesis) over reading -> mapping -> validation -> token.

- Any text in any cell (emoji, right-to-left, NUL, lone surrogates, control characters)
  never raises out of its row: the row is either a request the sandbox accepts or a row error.
- Reading a CSV gives back every cell exactly as written, whatever the delimiter or encoding.
- A row's ClientToken depends on the batch and what is sent, and on nothing else.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from conftest import FAST
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from spreadsheets import FLOW, INSTANCE, prepare, write_csv

from importer.mapping import MappingSpec
from importer.model import SourceRow
from importer.pipeline import PrepareOptions, batch_for_table
from importer.reading import Table, open_table
from importer.sandbox import Sandbox, SandboxConfig
from importer.tokens import canonical_body

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
COLUMNS = [
    "InstanceId",
    "ContactFlowId",
    "Name",
    "Description",
    "Attributes.note",
    "Attributes.bad key",
    "References.URL.link",
    "References.STRING.memo",
    "Unmapped",
]
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=40)
"""Any code point: surrogates, NUL, controls, private use, RTL marks, emoji."""
FILE_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
"""What a text file can carry (no lone surrogates) and a CSV holds as text (no NUL)."""


@pytest.fixture(scope="module")
def connect() -> Iterator[Any]:
    """One sandbox for the module (hypothesis runs many examples in one test)."""
    with Sandbox(SandboxConfig(**FAST), port=0) as sb:
        yield boto3.client(
            "connect",
            endpoint_url=sb.url,
            region_name="us-east-1",
            aws_access_key_id="testing",  # module scope: set up before the autouse fixture
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}),
        )


def any_row() -> st.SearchStrategy[dict[str, str]]:
    routing = st.sampled_from(["", INSTANCE, f" {INSTANCE} "])
    flows = st.sampled_from(["", FLOW, f"{FLOW}\t"])
    cells = {name: ANY_TEXT for name in COLUMNS[2:]}
    cells["References.URL.link"] = st.one_of(ANY_TEXT, ANY_TEXT.map("https://x.test/{}".format))
    return st.fixed_dictionaries({"InstanceId": routing, "ContactFlowId": flows, **cells})


@PROPERTY_SETTINGS
@given(st.lists(any_row(), min_size=1, max_size=5), st.booleans())
def test_any_text_is_a_valid_request_or_a_row_error(
    connect: Any, rows: list[dict[str, str]], drop_bad_key: bool
) -> None:
    columns = [c for c in COLUMNS if not (drop_bad_key and c == "Attributes.bad key")]
    sources = [SourceRow(n, {c: row[c] for c in columns}) for n, row in enumerate(rows, start=2)]
    table = Table(Path("property.csv"), columns, iter(sources))
    batch = batch_for_table(table, PrepareOptions(mapping=MappingSpec(timezone="UTC")))

    prepared = list(batch.rows())

    assert [row.number for row in prepared] == [source.number for source in sources]
    for row in prepared:
        if not row.ok:
            assert row.request is None
            assert all(error.column and error.message for error in row.errors)
            continue
        event("sent a valid request")
        answer = connect.start_task_contact(**row.request)
        assert answer["ContactId"]


@PROPERTY_SETTINGS
@given(
    st.lists(st.lists(FILE_TEXT, min_size=3, max_size=3), max_size=6),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-16"]),
    st.booleans(),
)
def test_csv_cells_come_back_exactly_as_written(
    rows: list[list[str]], delimiter: str, encoding: str, bom: bool
) -> None:
    header = ["Name", "Description", "Notes"]
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(
            Path(folder) / "p.csv",
            [header, *rows],
            delimiter=delimiter,
            encoding=encoding,
            bom=bom and encoding == "utf-8",
        )
        table = open_table(path)
        read = [(row.number, list(row.values.values())) for row in table.rows]
    expected = [
        (number, cells)
        for number, cells in enumerate(rows, start=2)
        if any(cell.strip() for cell in cells)
    ]
    assert table.delimiter == delimiter
    assert read == expected


PLAIN = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Z"]), min_size=1)
TASK = st.tuples(PLAIN, PLAIN, PLAIN)


def tokens_by_body(path: Path, batch_id: str) -> dict[bytes, list[str]]:
    """Each request body (without token) and the tokens its rows got, in row order."""
    tokens: dict[bytes, list[str]] = defaultdict(list)
    for row in prepare(path, batch_id=batch_id)[1]:
        assert row.ok, row.errors
        tokens[canonical_body(row.request)].append(row.client_token)
    return dict(tokens)


@PROPERTY_SETTINGS
@given(st.lists(TASK, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_the_token_depends_on_batch_and_body_only(
    tasks: list[tuple[str, str, str]], rng: Any
) -> None:
    header = ["InstanceId", "ContactFlowId", "Name", "Description", "Attributes.note"]
    rows = [[INSTANCE, FLOW, *task] for task in tasks]
    with tempfile.TemporaryDirectory() as folder:
        first = tokens_by_body(write_csv(Path(folder) / "a.csv", [header, *rows]), "batch")
        # Another file: rows shuffled, blank rows, columns reordered, padded cells, an
        # unmapped column, another delimiter and encoding. Same batch id.
        order = list(range(len(header)))
        rng.shuffle(order)
        shuffled = rng.sample(rows, len(rows))
        other_rows = [["", "", "", "", "", ""]] + [
            [*(f" {row[i]} " for i in order), str(rng.random())] for row in shuffled
        ]
        other = write_csv(
            Path(folder) / "b.csv",
            [[*(header[i] for i in order), "Unmapped"], *other_rows],
            delimiter=";",
            encoding="utf-16",
        )
        assert tokens_by_body(other, "batch") == first
        renamed = tokens_by_body(other, "another batch")
    assert set(renamed).isdisjoint(first) or all(
        set(renamed[body]).isdisjoint(first[body]) for body in first
    )
    every = [token for tokens in first.values() for token in tokens]
    assert len(set(every)) == len(tasks), "two rows share a token, or identical rows one"
