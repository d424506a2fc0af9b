"""One test per StartTaskContact rule (shared/connect-api-facts.md); each error names row+column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlparse

import pytest
from spreadsheets import (
    FLOW,
    INSTANCE,
    NOW,
    QUICK_CONNECT,
    TASK_TEMPLATE,
    only_error,
    prepare,
    task_rows,
    write_csv,
)

from importer.limits import (
    ATTRIBUTES_MAX_BYTES,
    REFERENCES_MAX_BYTES,
    SCHEDULE_MAX_DAYS,
    limits,
)
from importer.mapping import MappedRow, MappingSpec, RowMapper
from importer.model import SourceRow, Status
from importer.validation import RowValidator

NOW_EPOCH = int(NOW.timestamp())


def maximum(field: str) -> int:
    length = limits().fields[field].maximum
    assert length is not None
    return length


# --- required fields ------------------------------------------------------------------------


def test_valid_row_builds_the_request(tmp_path: Path) -> None:
    (row,) = task_rows(tmp_path / "t.csv", ["Name", "Description"], ["Task", "Details"])
    assert row.errors == []
    assert row.request == {
        "InstanceId": INSTANCE,
        "ContactFlowId": FLOW,
        "Name": "Task",
        "Description": "Details",
        "ClientToken": row.client_token,
    }


def test_name_is_required(tmp_path: Path) -> None:
    rows = task_rows(tmp_path / "t.csv", ["Name", "Description"], ["ok", ""], ["  ", "no name"])
    assert rows[0].ok
    assert rows[1].number == 3
    column, message = only_error(rows[1])
    assert column == "Name"
    assert "required" in message


def test_instance_id_is_required(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [["Name", "ContactFlowId"], ["Task", FLOW]])
    _, (row,) = prepare(path)
    column, message = only_error(row)
    assert column == "InstanceId"
    assert "--instance-id" in message


# --- routing: exactly one of flow / quick connect / task template ---------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [("ContactFlowId", FLOW), ("QuickConnectId", QUICK_CONNECT), ("TaskTemplateId", TASK_TEMPLATE)],
)
def test_any_one_route_is_enough(tmp_path: Path, column: str, value: str) -> None:
    (row,) = task_rows(tmp_path / "t.csv", ["Name", column], ["Task", value], routed=False)
    assert row.errors == []
    assert row.request[column] == value


def test_no_route_is_an_error(tmp_path: Path) -> None:
    (row,) = task_rows(
        tmp_path / "t.csv",
        ["Name", "ContactFlowId", "QuickConnectId", "TaskTemplateId"],
        ["Task", "", "", ""],
        routed=False,
    )
    column, message = only_error(row)
    assert column == "ContactFlowId"
    assert "QuickConnectId" in message and "TaskTemplateId" in message


def test_two_routes_is_an_error(tmp_path: Path) -> None:
    (row,) = task_rows(
        tmp_path / "t.csv",
        ["Name", "QuickConnectId"],
        ["Task", QUICK_CONNECT],
    )
    column, message = only_error(row)
    assert column == "QuickConnectId"
    assert "exactly one" in message
    assert "ContactFlowId" in message


# --- lengths (from botocore's model) --------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    ["Name", "Description", "InstanceId", "PreviousContactId", "RelatedContactId", "ClientToken"],
)
def test_length_limits(tmp_path: Path, field: str) -> None:
    limit = maximum(field)
    base = {"InstanceId": INSTANCE, "ContactFlowId": FLOW, "Name": "Task"}
    header = [*(name for name in base if name != field), field]
    rows = [
        [base[name] for name in header[:-1]] + [text] for text in ("a" * limit, "b" * (limit + 1))
    ]
    _, (at_limit, over) = prepare(write_csv(tmp_path / "t.csv", [header, *rows]))
    assert at_limit.errors == []
    assert over.number == 3
    column, message = only_error(over)
    assert column == field
    assert f"{limit + 1:,} characters" in message
    assert f"{limit:,} allowed" in message


def test_known_limits_match_the_api_facts() -> None:
    # the facts the project was designed against; a botocore update that moves them shows here
    assert [maximum(f) for f in ("Name", "Description", "InstanceId", "ClientToken")] == [
        1024,
        4096,
        100,
        500,
    ]
    assert maximum("PreviousContactId") == 256


# --- attributes -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["customer id", "kéy", "a.b", "x/y"])
def test_attribute_key_characters(tmp_path: Path, key: str) -> None:
    header = f"Attributes.{key}"
    rows = task_rows(tmp_path / "t.csv", ["Name", header], ["Task", "v"], ["Empty", ""])
    column, message = only_error(rows[0])
    assert column == header
    assert "letters, digits" in message
    # an empty cell sends no attribute, so nothing to object to
    assert rows[1].ok


def test_attribute_key_letters_digits_dash_underscore_are_fine(tmp_path: Path) -> None:
    (row,) = task_rows(tmp_path / "t.csv", ["Name", "Attributes.Ab-9_z"], ["Task", "v"])
    assert row.request["Attributes"] == {"Ab-9_z": "v"}


def test_attributes_total_utf8_bytes(tmp_path: Path) -> None:
    # key "k" (1 byte) + 32,767 ASCII characters: exactly 32,768 bytes, allowed
    fits = "x" * (ATTRIBUTES_MAX_BYTES - 1)
    # 'é' is 2 bytes in UTF-8: 16,384 characters are 32,768 bytes, plus the key: one too many
    multibyte = "é" * (ATTRIBUTES_MAX_BYTES // 2)
    assert len("k" + multibyte) < ATTRIBUTES_MAX_BYTES  # fewer characters than the limit
    rows = task_rows(
        tmp_path / "t.csv", ["Name", "Attributes.k"], ["fits", fits], ["over", multibyte]
    )
    assert rows[0].errors == []
    column, message = only_error(rows[1])
    assert column == "Attributes.k"
    assert f"{ATTRIBUTES_MAX_BYTES + 1:,} UTF-8 bytes" in message


def test_attributes_total_counts_every_key_and_value(tmp_path: Path) -> None:
    half = "y" * (ATTRIBUTES_MAX_BYTES // 2)
    (row,) = task_rows(
        tmp_path / "t.csv", ["Name", "Attributes.a", "Attributes.b"], ["T", half, half]
    )
    column, message = only_error(row)
    assert column == "Attributes.a"
    assert "32,770 UTF-8 bytes" in message


# --- references -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("URL", "https://orders.example.com/42"),
        ("URL", "http://orders.example.com/42"),
        ("NUMBER", "42"),
        ("STRING", "text"),
        ("DATE", "2026-03-28"),
        ("EMAIL", "a@example.com"),
    ],
)
def test_reference_types_allowed_at_creation(tmp_path: Path, kind: str, value: str) -> None:
    (row,) = task_rows(tmp_path / "t.csv", ["Name", f"References.{kind}.Ref"], ["T", value])
    assert row.errors == []
    assert row.request["References"] == {"Ref": {"Type": kind, "Value": value}}


@pytest.mark.parametrize("kind", ["ATTACHMENT", "FOO"])
def test_reference_types_rejected_at_creation(tmp_path: Path, kind: str) -> None:
    header = f"References.{kind}.Photo"
    (row,) = task_rows(tmp_path / "t.csv", ["Name", header], ["T", "something"])
    column, message = only_error(row)
    assert column == header
    assert f"'{kind}'" in message
    assert "URL, NUMBER, STRING, DATE, EMAIL" in message


@pytest.mark.parametrize(
    "url", ["ftp://orders.example.com/1", "orders.example.com/1", "javascript:alert(1)", "https://"]
)
def test_url_references_must_be_http(tmp_path: Path, url: str) -> None:
    (row,) = task_rows(tmp_path / "t.csv", ["Name", "References.URL.Order page"], ["T", url])
    column, message = only_error(row)
    assert column == "References.URL.Order page"
    assert "http" in message


def test_references_total_bytes(tmp_path: Path) -> None:
    value = "z" * 2100
    (row,) = task_rows(
        tmp_path / "t.csv",
        ["Name", "References.STRING.a", "References.STRING.b"],
        ["T", value, value],
    )
    column, message = only_error(row)
    assert column == "References.STRING.a"
    assert "bytes" in message


# --- ScheduledTime --------------------------------------------------------------------------


def test_scheduled_time_in_the_past(tmp_path: Path) -> None:
    rows = task_rows(
        tmp_path / "t.csv",
        ["Name", "ScheduledTime"],
        ["T", str(NOW_EPOCH - 60)],
        ["T", str(NOW_EPOCH)],
    )
    column, message = only_error(rows[0])
    assert column == "ScheduledTime"
    assert "past" in message
    assert rows[1].ok


def test_scheduled_time_at_most_six_days_ahead(tmp_path: Path) -> None:
    latest = NOW_EPOCH + SCHEDULE_MAX_DAYS * 86_400
    rows = task_rows(
        tmp_path / "t.csv",
        ["Name", "ScheduledTime"],
        ["T", str(latest)],
        ["T", str(latest + 1)],
        ["T", "2099-01-01T00:00:00Z"],
    )
    assert rows[0].ok
    for row in rows[1:]:
        column, message = only_error(row)
        assert column == "ScheduledTime"
        assert f"more than {SCHEDULE_MAX_DAYS} days ahead" in message


def test_validator_uses_its_own_clock() -> None:
    mapper = RowMapper(MappingSpec(), ["InstanceId", "Name", "ContactFlowId", "ScheduledTime"])
    row = mapper.map(
        SourceRow(
            2,
            {
                "InstanceId": INSTANCE,
                "Name": "T",
                "ContactFlowId": FLOW,
                "ScheduledTime": "2030-01-02T00:00:00Z",
            },
        )
    )
    early = RowValidator(dt.UTC, now=dt.datetime(2029, 12, 30, tzinfo=dt.UTC))
    late = RowValidator(dt.UTC, now=dt.datetime(2030, 1, 3, tzinfo=dt.UTC))
    assert early.build(row)[1] == []
    assert [e.column for e in late.build(row)[1]] == ["ScheduledTime"]


# --- row-level problems and how they are reported -------------------------------------------


def test_every_error_of_a_row_is_reported(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [
            ["Name", "Attributes.bad key", "ScheduledTime"],
            ["", "v", "soon"],
        ],
    )
    _, (row,) = prepare(path)
    assert row.request is None
    assert sorted(error.column for error in row.errors) == [
        "Attributes.bad key",
        "ContactFlowId",
        "InstanceId",
        "Name",
        "ScheduledTime",
    ]
    outcome = row.outcome(Status.INVALID)
    assert outcome.status == Status.INVALID
    assert outcome.row == 2
    assert "Name:" in outcome.error_message
    assert "ScheduledTime:" in outcome.error_message


def test_errors_from_a_format_string_name_the_source_columns(tmp_path: Path) -> None:
    spec = MappingSpec.from_dict({"timezone": "UTC", "fields": {"ScheduledTime": "{Day} {Time}"}})
    (row,) = task_rows(
        tmp_path / "t.csv", ["Name", "Day", "Time"], ["T", "someday", "09:00"], mapping=spec
    )
    column, message = only_error(row)
    assert column == "Day, Time"
    assert message.startswith("ScheduledTime: ")


# --- URL references: edge cases -------------------------------------------------------------


def url_is_accepted(url: str) -> bool:
    """Whether the validator accepts ``url`` as a URL reference (no stripping, no CSV)."""
    mapped = MappedRow(
        fields={"InstanceId": INSTANCE, "Name": "T", "ContactFlowId": FLOW},
        attributes={},
        references={"Order": ("URL", url)},
        origin={},
    )
    _, errors = RowValidator(dt.UTC, now=NOW).build(mapped)
    return not any("is not an http:// or https:// URL" in error.message for error in errors)


@pytest.mark.parametrize(
    "url",
    [
        "https://orders.example.com",
        "HTTPS://Orders.Example.com/42",
        "Http://orders.example.com/42",
        "http://user:secret@orders.example.com:8080/a/b?c=d&e=f#g",
        "https://orders.example.com?id=42",
        "https://orders.example.com#top",
        "https://orders.example.com/a%20b",
        "https://127.0.0.1/x",
        "https://[2001:db8::1]:8443/orders",
        "https://bücher.example/straße?q=ü",
        "https://orders.example.com/\u00a0nbsp",
        "https://orders.example.com/[1]",
        "https://a\\b/c",
    ],
)
def test_url_reference_edge_cases_accepted(url: str) -> None:
    assert url_is_accepted(url)


@pytest.mark.parametrize(
    "url",
    [
        "https:// orders.example.com",
        "https://orders .example.com",
        "https://orders.example.com/a b",
        "https:///path",
        "https://?q=1",
        "https://#top",
        "https:",
        "https:orders.example.com",
        "//orders.example.com",
        "http//orders.example.com",
        "httpx://orders.example.com",
        "mailto:a@example.com",
        "https://[2001:db8::1/x",
        "https://orders]/x",
        "https://[not-an-ip]/x",
        "https://\u2100.example/x",
        "1https://orders.example.com",
    ],
)
def test_url_reference_edge_cases_rejected(url: str) -> None:
    assert not url_is_accepted(url)


def _urlparse_rule(value: str) -> bool:
    """The rule URL references have always followed, written with urllib.parse."""
    try:
        parsed = urlparse(value)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and " " not in value


@pytest.mark.parametrize(
    "url",
    [
        "\x01https://orders.example.com",
        "\x1fhttps://orders.example.com",
        "https\n://orders.example.com",
        "ht\ttp://orders.example.com",
        "https://\torders.example.com",
        "https://\n",
        "https://orders.example.com/\r\n",
        "https://orders.example.com\x7f/x",
        "https://orders.example.com\x00/x",
        "https://[::1]x/",
        "https://[v1.x]/",
        "https://exa\u2100mple/",
        "https://\uff0fx/",
        "https://orders.example.com\u3000/",
        "h\u0131tps://orders.example.com",
        "https://\ud800/",
    ],
)
def test_url_reference_odd_input_follows_urllib_parse(url: str) -> None:
    assert url_is_accepted(url) == _urlparse_rule(url)


# --- text that cannot be sent as UTF-8 ------------------------------------------------------

LONE = "\ud83d"  # half of a surrogate pair, as a damaged file or argv can produce


def encoding_errors(mapped: MappedRow) -> list[tuple[str, str]]:
    _, errors = RowValidator(dt.UTC, now=NOW).build(mapped)
    return [(e.column, e.message) for e in errors if "not valid Unicode" in e.message]


def test_lone_surrogates_are_reported_per_field_in_request_order() -> None:
    mapped = MappedRow(
        fields={"InstanceId": INSTANCE, "Name": f"T{LONE}", "ContactFlowId": FLOW},
        attributes={"ok": "fine", f"k{LONE}": "v", "late": f"x{LONE}"},
        references={"Page": ("URL", f"https://example.com/{LONE}")},
        origin={"Name": "Title", "Attributes.late": "Late col"},
    )
    assert [column for column, _ in encoding_errors(mapped)] == [
        "Title",
        f"Attributes.k{LONE}",
        "Late col",
        "References.Page",
    ]


def test_lone_surrogate_in_a_constant_is_reported() -> None:
    mapped = MappedRow(
        fields={"InstanceId": f"i{LONE}", "Name": "T", "ContactFlowId": FLOW},
        attributes={},
        references={},
        origin={"InstanceId": "InstanceId (from --instance-id)"},
    )
    assert [column for column, _ in encoding_errors(mapped)] == ["InstanceId (from --instance-id)"]


def test_lone_surrogate_in_an_unparsed_scheduled_time_is_only_a_time_error() -> None:
    mapped = MappedRow(
        fields={
            "InstanceId": INSTANCE,
            "Name": "T",
            "ContactFlowId": FLOW,
            "ScheduledTime": f"soon{LONE}",
        },
        attributes={},
        references={},
        origin={},
    )
    _, errors = RowValidator(dt.UTC, now=NOW).build(mapped)
    assert [error.column for error in errors] == ["ScheduledTime"]


def test_paired_surrogates_as_emoji_are_valid_text() -> None:
    mapped = MappedRow(
        fields={"InstanceId": INSTANCE, "Name": "Call 😀", "ContactFlowId": FLOW},
        attributes={"mood": "😀"},
        references={},
        origin={},
    )
    assert encoding_errors(mapped) == []


# --- byte totals with multi-byte text -------------------------------------------------------


def test_references_total_counts_utf8_bytes_not_characters(tmp_path: Path) -> None:
    # '😀' is 4 bytes: name 'abcd' (4) + 1,023 of them (4,092) is exactly the limit
    fits = "😀" * ((REFERENCES_MAX_BYTES - 4) // 4)
    over = fits + "é"
    rows = task_rows(
        tmp_path / "t.csv", ["Name", "References.STRING.abcd"], ["a", fits], ["b", over]
    )
    assert rows[0].ok
    column, message = only_error(rows[1])
    assert column == "References.STRING.abcd"
    assert f"{REFERENCES_MAX_BYTES + 2:,} UTF-8 bytes" in message


def test_attributes_total_counts_four_byte_characters(tmp_path: Path) -> None:
    fits = "😀" * ((ATTRIBUTES_MAX_BYTES - 4) // 4)
    rows = task_rows(
        tmp_path / "t.csv", ["Name", "Attributes.abcd"], ["a", fits], ["b", fits + "x"]
    )
    assert rows[0].ok
    column, message = only_error(rows[1])
    assert column == "Attributes.abcd"
    assert f"{ATTRIBUTES_MAX_BYTES + 1:,} UTF-8 bytes" in message


def test_length_minimums_and_maximums_of_each_part(tmp_path: Path) -> None:
    spec = MappingSpec(timezone="UTC")
    spec.set_constant("TaskTemplateId", "  ", "--task-template-id")
    (row,) = task_rows(
        tmp_path / "t.csv",
        ["Name", "Attributes.a", "References.STRING.r"],
        ["T", "v" * 32_768, "w" * 4097],
        routed=False,
        mapping=spec,
    )
    assert sorted(error.column for error in row.errors) == [
        "Attributes.a",
        "Attributes.a",
        "References.STRING.r",
        "References.STRING.r",
        "TaskTemplateId (from --task-template-id)",
    ]
