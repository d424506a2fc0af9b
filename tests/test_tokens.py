"""Deterministic ClientTokens: re-runs repeat them, distinct tasks never share one."""

from __future__ import annotations

import hashlib
from pathlib import Path

from spreadsheets import FLOW, INSTANCE, prepare, write_csv

from importer.limits import limits
from importer.mapping import MappingSpec
from importer.tokens import TokenAssigner, canonical_body, edited_token, new_row_token

HEADER = ["InstanceId", "ContactFlowId", "Attributes.order", "Name", "Description"]
KEY = "Attributes.order"


def task(order: str, name: str = "Call back", description: str = "") -> list[str]:
    return [INSTANCE, FLOW, order, name, description]


def tokens(
    path: Path, *rows: list[str], key: str | None = None, batch_id: str | None = None
) -> list[str]:
    write_csv(path, [HEADER, *rows])
    mapping = MappingSpec(timezone="UTC", key_column=key)
    _, prepared = prepare(path, mapping=mapping, batch_id=batch_id)
    return [row.client_token for row in prepared]


def test_same_rows_same_batch_get_the_same_tokens_on_every_run(tmp_path: Path) -> None:
    rows = [task("1"), task("2", description="details")]
    first = tokens(tmp_path / "tasks.csv", *rows)
    second = tokens(tmp_path / "tasks.csv", *rows)
    assert first == second
    assert all(first)


def test_token_is_the_one_in_the_request(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", [HEADER, task("1")])
    _, (row,) = prepare(tmp_path / "t.csv")
    assert row.request["ClientToken"] == row.client_token


def test_identical_rows_get_distinct_tokens(tmp_path: Path) -> None:
    result = tokens(tmp_path / "tasks.csv", task("1"), task("1"), task("1"))
    assert len(set(result)) == 3
    # and they are still reproducible
    assert tokens(tmp_path / "tasks.csv", task("1"), task("1"), task("1")) == result


def test_changed_row_gets_a_new_token_and_others_keep_theirs(tmp_path: Path) -> None:
    before = tokens(tmp_path / "tasks.csv", task("1"), task("2"), task("3"))
    after = tokens(tmp_path / "tasks.csv", task("1"), task("2", name="Call back today"), task("3"))
    assert after[0] == before[0]
    assert after[1] != before[1]
    assert after[2] == before[2]


def test_inserting_a_row_does_not_change_the_others(tmp_path: Path) -> None:
    before = tokens(tmp_path / "tasks.csv", task("1"), task("2"))
    after = tokens(tmp_path / "tasks.csv", task("0"), task("1"), task("2"))
    assert after[1:] == before


def test_columns_not_sent_do_not_change_the_token(tmp_path: Path) -> None:
    path = tmp_path / "tasks.csv"
    write_csv(path, [[*HEADER, "Team notes"], [*task("1"), "first note"]])
    _, (before,) = prepare(path)
    write_csv(path, [[*HEADER, "Team notes"], [*task("1"), "edited note"]])
    _, (after,) = prepare(path)
    assert before.client_token == after.client_token


def test_batch_identity_is_the_file_name_unless_given(tmp_path: Path) -> None:
    row = task("1")
    monday = tokens(tmp_path / "monday.csv", row)
    tuesday = tokens(tmp_path / "tuesday.csv", row)
    assert monday != tuesday
    # same name in another folder: same batch
    (tmp_path / "copy").mkdir()
    assert tokens(tmp_path / "copy" / "monday.csv", row) == monday
    # --batch-id decides, whatever the file is called
    assert tokens(tmp_path / "monday.csv", row, batch_id="b1") == tokens(
        tmp_path / "tuesday.csv", row, batch_id="b1"
    )
    assert tokens(tmp_path / "monday.csv", row, batch_id="b1") != tokens(
        tmp_path / "monday.csv", row, batch_id="b2"
    )


# --- key column -----------------------------------------------------------------------------


def test_key_column_token_follows_the_key_alone(tmp_path: Path) -> None:
    week1 = tokens(tmp_path / "export-week1.csv", task("A-1"), task("A-2"), key=KEY)
    week2 = tokens(
        tmp_path / "export-week2.csv",
        task("A-1", name="Edited name", description="new"),
        task("A-2"),
        task("A-3"),
        key=KEY,
    )
    assert week2[:2] == week1
    assert len(set(week2)) == 3


def test_key_column_ignores_batch_id(tmp_path: Path) -> None:
    assert tokens(tmp_path / "a.csv", task("K"), key=KEY, batch_id="one") == tokens(
        tmp_path / "b.csv", task("K"), key=KEY, batch_id="two"
    )


def test_duplicate_key_makes_the_second_row_invalid(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", [HEADER, task("K"), task("L"), task("K", name="Other")])
    _, rows = prepare(
        tmp_path / "t.csv", mapping=MappingSpec(timezone="UTC", key_column="attributes.ORDER")
    )
    assert rows[0].ok and rows[1].ok
    assert rows[2].request is None
    (error,) = rows[2].errors
    assert (error.code, error.column) == ("DuplicateKey", KEY)
    assert "row 2" in error.message


def test_empty_key_is_an_error(tmp_path: Path) -> None:
    write_csv(tmp_path / "t.csv", [HEADER, task("")])
    _, (row,) = prepare(tmp_path / "t.csv", mapping=MappingSpec(timezone="UTC", key_column=KEY))
    (error,) = row.errors
    assert error.column == KEY
    assert "empty" in error.message


# --- explicit ClientToken column ------------------------------------------------------------


def test_explicit_client_token_wins(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [[*HEADER, "ClientToken"], [*task("1"), "my-token-1"], [*task("2"), ""]],
    )
    _, (explicit, derived) = prepare(path, mapping=MappingSpec(timezone="UTC", key_column=KEY))
    assert explicit.client_token == "my-token-1"
    assert explicit.request["ClientToken"] == "my-token-1"
    assert derived.ok
    assert derived.client_token not in ("", "my-token-1")


def test_repeated_explicit_token_makes_the_second_row_invalid(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [[*HEADER, "ClientToken"], [*task("1"), "tok"], [*task("2"), "tok"]],
    )
    _, (first, second) = prepare(path)
    assert first.ok
    (error,) = second.errors
    assert (error.code, error.column) == ("DuplicateClientToken", "ClientToken")
    assert "row 2" in error.message


# --- shape ----------------------------------------------------------------------------------


def test_tokens_fit_the_api_limit(tmp_path: Path) -> None:
    limit = limits().fields["ClientToken"].maximum
    huge = "k" * 5000
    for result in (
        tokens(tmp_path / ("x" * 200 + ".csv"), task(huge, description="d" * 4000)),
        tokens(tmp_path / "t.csv", task(huge), key=KEY),
    ):
        (token,) = result
        assert 0 < len(token) <= limit


def test_one_token_never_covers_two_bodies() -> None:
    assigner = TokenAssigner("batch")
    bodies = [{"Name": "a"}, {"Name": "b"}, {"Name": "a"}, {"Name": "a", "Description": ""}]
    seen: dict[str, bytes] = {}
    for number, body in enumerate(bodies, start=2):
        token, error = assigner.assign(body, number, None)
        assert error is None
        assert seen.setdefault(token, canonical_body(body)) == canonical_body(body)
    assert len(seen) == len(bodies)


def test_canonical_body_ignores_key_order_and_the_token() -> None:
    assert canonical_body({"Name": "a", "InstanceId": "i", "ClientToken": "x"}) == canonical_body(
        {"InstanceId": "i", "Name": "a"}
    )


# --- pinned values (a public contract: a changed value re-creates every task on re-run) ------

PINNED_REQUEST = {
    "InstanceId": INSTANCE,
    "Name": "Call back: Élodie",
    "ContactFlowId": FLOW,
    "ScheduledTime": 1774958400,
    "Attributes": {"order": "00042"},
    "References": {"order": {"Type": "URL", "Value": "https://orders.example.com/42"}},
}


def test_token_values_are_pinned() -> None:
    assigner = TokenAssigner("tasks.csv")
    assert assigner.assign(dict(PINNED_REQUEST), 2, None) == (
        "cti1-3402189310cdbb5e915a3aa588685c88dc4532a5",
        None,
    )
    assert assigner.assign(dict(PINNED_REQUEST), 3, None) == (
        "cti1-ecf1a6d6841dae541e21591dfe12296c5329b3e6",
        None,
    )
    keyed = TokenAssigner("tasks.csv", "Attributes.order")
    assert keyed.assign(dict(PINNED_REQUEST), 2, "00042") == (
        "cti1-5c79fe074a2be74504a703dee74784b35c6f9628",
        None,
    )
    canonical = hashlib.sha256(canonical_body(PINNED_REQUEST)).hexdigest()[:32]
    assert canonical == "50e2c9afc1273d6e4c05e18eececf2de"
    assert edited_token("cti1-abc", PINNED_REQUEST) == (
        "cti1-dd695a31d98e37507901b6c44125df3ea9b634d6"
    )


def test_token_of_a_file_row_is_pinned(tmp_path: Path) -> None:
    # Reading, mapping and validation all shape the body the token hashes.
    header = [
        "InstanceId",
        "ContactFlowId",
        "Name",
        "ScheduledTime",
        "Attributes.order",
        "References.URL.order",
        "Notes",
    ]
    row = [
        INSTANCE,
        FLOW,
        " Call back: Élodie ",
        "2026-03-28 09:30",
        "00042",
        "https://orders.example.com/42",
        "not sent",
    ]
    _, (prepared,) = prepare(write_csv(tmp_path / "tasks.csv", [header, row]))
    assert prepared.client_token == "cti1-1f2d3ecb6fd218ff228b9f71fe6519e86db8db52"


def test_the_token_of_a_row_added_to_a_results_file_is_pinned() -> None:
    values = {"Name": "Élodie 日本", "Zip": "00042"}
    assert new_row_token("tasks.results.csv", 7, values) == (
        "cti1-3ae3605b8d493b24b2273994fcb881d3eb6c2a48"
    )
