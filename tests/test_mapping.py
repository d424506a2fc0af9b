"""Mapping columns to StartTaskContact fields: default layout, mapping templates, options."""

from __future__ import annotations

from pathlib import Path

import pytest
from spreadsheets import FLOW, INSTANCE, QUICK_CONNECT, TASK_TEMPLATE, prepare, write_csv

from importer.cli import build_parser
from importer.cli.options import run_options
from importer.errors import UsageError
from importer.mapping import MappingSpec, RowMapper
from importer.model import SourceRow


def mapped(columns: list[str], values: list[str], spec: MappingSpec | None = None):
    mapper = RowMapper(spec or MappingSpec(), columns)
    return mapper.map(SourceRow(2, dict(zip(columns, values, strict=True))))


def write_mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- default layout -------------------------------------------------------------------------


def test_default_headers_match_fields_case_insensitively_with_spaces(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [
            ["  instanceid ", "NAME", " Description", "contactFlowID  ", "scheduledtime"],
            [INSTANCE, "Call back", "About order 00042", FLOW, "2026-03-28T09:00:00Z"],
        ],
    )
    _, (row,) = prepare(path)
    assert row.errors == []
    assert row.request is not None
    assert {k: v for k, v in row.request.items() if k != "ClientToken"} == {
        "InstanceId": INSTANCE,
        "Name": "Call back",
        "Description": "About order 00042",
        "ContactFlowId": FLOW,
        "ScheduledTime": 1774688400,
    }


def test_attribute_and_reference_columns() -> None:
    row = mapped(
        [
            "Name",
            "Attributes.customer_id",
            "attributes.Region",
            "References.URL.Order page",
            "references.email.Customer email",
        ],
        ["Task", "00042", "north", "https://orders.example.com/42", "a@example.com"],
    )
    assert row.fields == {"Name": "Task"}
    assert row.attributes == {"customer_id": "00042", "Region": "north"}
    assert row.references == {
        "Order page": ("URL", "https://orders.example.com/42"),
        "Customer email": ("EMAIL", "a@example.com"),
    }


def test_empty_cells_are_not_sent(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [
            ["InstanceId", "Name", "ContactFlowId", "Description", "Attributes.a", "Attributes.b"],
            [INSTANCE, "One", FLOW, "", "", "  "],
            [INSTANCE, "Two", FLOW, "   ", "x", ""],
        ],
    )
    _, (first, second) = prepare(path)
    assert first.request is not None and second.request is not None
    assert "Description" not in first.request
    assert "Attributes" not in first.request
    assert "Description" not in second.request
    assert second.request["Attributes"] == {"a": "x"}


def test_cell_values_are_stripped_of_surrounding_spaces() -> None:
    row = mapped(["Name", "Attributes.k"], ["  Task  ", " 00042 "])
    assert row.fields == {"Name": "Task"}
    assert row.attributes == {"k": "00042"}


# --- unmapped columns -----------------------------------------------------------------------


def test_unmapped_columns_are_named_once_with_a_hint_for_typos(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [
            ["InstanceId", "Name", "ContactFlowId", "Atributes.region", "Team notes"],
            *([INSTANCE, f"Task {n}", FLOW, "north", "note"] for n in range(5)),
        ],
    )
    batch, rows = prepare(path)
    (warning,) = batch.warnings
    assert warning.count("'Atributes.region'") == 1
    assert "did you mean 'Attributes.region'" in warning
    assert warning.count("'Team notes'") == 1
    # the typo column is kept for the results file but not sent
    assert all(row.ok for row in rows)
    assert rows[0].source.values["Atributes.region"] == "north"
    assert "Attributes" not in rows[0].request


def test_no_warning_when_every_column_maps(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv", [["InstanceId", "Name", "ContactFlowId"], [INSTANCE, "a", FLOW]]
    )
    batch, _ = prepare(path)
    assert batch.warnings == []


def test_a_header_where_no_column_maps_is_said_once_with_what_to_do(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [["Kunde", "Nmae"], ["Ann", "x"], ["Bo", "y"]])
    batch, rows = prepare(path)
    assert batch.maps_nothing
    (warning,) = batch.warnings
    assert warning.startswith("no column maps to a task field, so every row is the same request")
    assert "the headers found: 'Kunde', 'Nmae' (did you mean 'Name'?)" in warning
    assert "--mapping FILE" in warning and "task-importer template tasks.xlsx" in warning
    assert [row.ok for row in rows] == [False, False]
    assert not RowMapper(MappingSpec(), ["Name", "Kunde"]).maps_nothing
    spec = MappingSpec.from_dict({"fields": {"Name": "Call {Kunde}"}})
    assert not RowMapper(spec, ["Kunde"]).maps_nothing, "a format string maps it"


# --- mapping templates ----------------------------------------------------------------------

TEMPLATE = """
timezone = "Europe/Berlin"
key_column = "Order ID"

[fields]
InstanceId = "INSTANCE"
ContactFlowId = "FLOW"
Name = "Call back {Customer Name} about order {Order ID}"
Description = "{Notes}"

[attributes]
order_id = "{Order ID}"
source = "bulk import"

[references]
"Order page" = { type = "url", value = "https://orders.example.com/{Order ID}" }
""".replace("INSTANCE", INSTANCE).replace("FLOW", FLOW)


def test_mapping_template_builds_requests(tmp_path: Path) -> None:
    spec = MappingSpec.load(write_mapping(tmp_path, TEMPLATE))
    path = write_csv(
        tmp_path / "orders.csv",
        [
            ["Customer Name", "Order ID", "Notes", "ScheduledTime"],
            ["Aisha Okafor", "00042", "Prefers mornings", "2026-03-28 09:30"],
            ["Ben Schmidt", "00079", "", ""],
        ],
    )
    batch, (first, second) = prepare(path, mapping=spec)
    assert batch.warnings == []
    assert batch.timezone_name == "Europe/Berlin"
    assert first.errors == [] and second.errors == []
    assert {k: v for k, v in first.request.items() if k != "ClientToken"} == {
        "InstanceId": INSTANCE,
        "ContactFlowId": FLOW,
        "Name": "Call back Aisha Okafor about order 00042",
        "Description": "Prefers mornings",
        # 09:30 in Berlin (CET, UTC+1) is 08:30 UTC
        "ScheduledTime": 1774686600,
        "Attributes": {"order_id": "00042", "source": "bulk import"},
        "References": {"Order page": {"Type": "URL", "Value": "https://orders.example.com/00042"}},
    }
    # a format string over empty cells is not sent
    assert "Description" not in second.request
    assert second.request["Name"] == "Call back Ben Schmidt about order 00079"


def test_mapping_template_key_column_decides_the_token(tmp_path: Path) -> None:
    spec = MappingSpec.load(write_mapping(tmp_path, TEMPLATE))
    path = write_csv(
        tmp_path / "orders.csv",
        [["Customer Name", "Order ID", "Notes"], ["A", "1", ""], ["B", "1", ""]],
    )
    _, (first, second) = prepare(path, mapping=spec)
    assert first.ok
    assert [error.code for error in second.errors] == ["DuplicateKey"]
    assert second.errors[0].column == "Order ID"


def test_mapping_template_column_names_are_case_insensitive(tmp_path: Path) -> None:
    spec = MappingSpec.from_dict({"fields": {"name": "Order {order id}"}})
    row = mapped(["Order ID"], ["7"], spec)
    assert row.fields == {"Name": "Order 7"}


def test_mapping_template_escaped_braces_are_literal() -> None:
    spec = MappingSpec.from_dict({"fields": {"Name": "{{ticket}} {Id}"}})
    assert mapped(["Id"], ["9"], spec).fields == {"Name": "{ticket} 9"}


def test_format_string_wins_over_the_field_column() -> None:
    spec = MappingSpec.from_dict({"fields": {"Name": "Order {Order}"}})
    row = mapped(["Name", "Order"], ["from column", "7"], spec)
    assert row.fields == {"Name": "Order 7"}


def test_field_column_wins_over_a_template_constant() -> None:
    spec = MappingSpec.from_dict({"fields": {"Description": "default text"}})
    assert mapped(["Description"], ["typed"], spec).fields == {"Description": "typed"}
    assert mapped(["Description"], [""], spec).fields == {"Description": "default text"}


def test_mapping_template_attribute_overrides_the_column() -> None:
    spec = MappingSpec.from_dict({"attributes": {"region": "{Area}"}})
    row = mapped(["Attributes.region", "Area"], ["from column", "from template"], spec)
    assert row.attributes == {"region": "from template"}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('colour = "x"', "colour"),
        ('[fields]\nContactFlow = "x"', "ContactFlow"),
        ('[references]\nPage = "https://x"', "Page"),
        ("[fields]\nName = 3", "Name"),
        ("fields = 3", "fields"),
        ('timezone = ""', "timezone"),
    ],
)
def test_mapping_template_mistakes_are_usage_errors_naming_the_key(
    tmp_path: Path, text: str, named: str
) -> None:
    path = write_mapping(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        MappingSpec.load(path)
    message = str(caught.value)
    assert named in message
    assert "mapping.toml" in message
    assert "\n" not in message


def test_mapping_template_not_toml(tmp_path: Path) -> None:
    path = write_mapping(tmp_path, "[fields\nName = ")
    with pytest.raises(UsageError, match="not valid TOML"):
        MappingSpec.load(path)


def test_mapping_template_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        MappingSpec.load(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    "data",
    [
        {"fields": {"Name": "Call back {Customer Nmae}"}},
        {"attributes": {"x": "{Customer Nmae}"}},
        {"references": {"p": {"type": "URL", "value": "https://x/{Customer Nmae}"}}},
        {"key_column": "Customer Nmae"},
    ],
)
def test_mapping_template_naming_a_missing_column_is_a_usage_error(data: dict) -> None:
    spec = MappingSpec.from_dict(data)
    with pytest.raises(UsageError) as caught:
        RowMapper(spec, ["Customer Name", "Order ID"])
    message = str(caught.value)
    assert "'Customer Nmae'" in message
    assert "did you mean 'Customer Name'" in message


def test_mapping_template_timezone_unknown_is_a_usage_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [["Name"], ["a"]])
    with pytest.raises(UsageError, match="Mars/Olympus"):
        prepare(path, mapping=MappingSpec(timezone="Mars/Olympus"))


# --- command-line constants -----------------------------------------------------------------


def options(*argv: str):
    return run_options(build_parser().parse_args(["validate", "in.csv", *argv])).prepare_options()


def test_command_line_constants_override_the_template(tmp_path: Path) -> None:
    mapping = write_mapping(
        tmp_path,
        '[fields]\nInstanceId = "from-template"\nContactFlowId = "flow-from-template"\n'
        'Description = "template text"\n',
    )
    spec = options("--mapping", str(mapping), "--instance-id", INSTANCE).mapping
    row = mapped(["Name"], ["Task"], spec)
    assert row.fields["InstanceId"] == INSTANCE
    assert row.fields["ContactFlowId"] == "flow-from-template"
    assert row.fields["Description"] == "template text"
    assert "--instance-id" in row.where("InstanceId")

    spec = options("--mapping", str(mapping), "--contact-flow-id", FLOW).mapping
    assert mapped(["Name"], ["Task"], spec).fields["ContactFlowId"] == FLOW


def test_command_line_timezone_and_key_column_override_the_template(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path, 'timezone = "Europe/Berlin"\nkey_column = "A"\n')
    spec = options("--mapping", str(mapping), "--timezone", "UTC", "--key-column", "B").mapping
    assert (spec.timezone, spec.key_column) == ("UTC", "B")


def test_routing_constants_apply_only_to_rows_naming_no_route(tmp_path: Path) -> None:
    spec = options("--instance-id", INSTANCE, "--contact-flow-id", FLOW).mapping
    spec.timezone = "UTC"
    path = write_csv(
        tmp_path / "t.csv",
        [
            ["Name", "ContactFlowId", "QuickConnectId", "TaskTemplateId"],
            ["no route", "", "", ""],
            ["quick connect", "", QUICK_CONNECT, ""],
            ["template", "", "", TASK_TEMPLATE],
            ["own flow", "f-own", "", ""],
        ],
    )
    _, rows = prepare(path, mapping=spec)
    assert all(row.ok for row in rows), [row.errors for row in rows]
    routes = [
        {
            k: v
            for k, v in row.request.items()
            if k in ("ContactFlowId", "QuickConnectId", "TaskTemplateId")
        }
        for row in rows
    ]
    assert routes == [
        {"ContactFlowId": FLOW},
        {"QuickConnectId": QUICK_CONNECT},
        {"TaskTemplateId": TASK_TEMPLATE},
        {"ContactFlowId": "f-own"},
    ]
    assert all(row.request["InstanceId"] == INSTANCE for row in rows)


# --- the whole mapped row: field order and origins ------------------------------------------

FULL_SPEC = {
    "fields": {
        "Name": "Call {customer} ({ORDER})",
        "Description": "  default  ",
        "ContactFlowId": "flow-from-template",
        "ScheduledTime": "{Day} {Time}",
    },
    "attributes": {"order": "{Order}", "source": "bulk", "empty": "{Notes}"},
    "references": {"Page": {"type": "url", "value": "https://x.example/{order}"}},
}
FULL_COLUMNS = [
    "Customer",
    "Order",
    "Day",
    "Time",
    "Notes",
    "Description",
    "InstanceId",
    "QuickConnectId",
    "Attributes.order",
    "Attributes.region",
    "References.EMAIL.Mail",
    "References.URL.Page",
]


def full_row(**cells: str) -> dict[str, str]:
    return {column: cells.get(column.replace(".", "_"), "") for column in FULL_COLUMNS}


def test_mapped_row_orders_fields_and_names_their_origins() -> None:
    spec = MappingSpec.from_dict(FULL_SPEC, source="mapping file m.toml")
    spec.set_constant("InstanceId", "i-option", "--instance-id")
    mapper = RowMapper(spec, FULL_COLUMNS)
    row = mapper.map(
        SourceRow(
            2,
            full_row(
                Customer=" Aisha ",
                Order="42",
                Day="2026-03-28",
                Time="",
                Description="  typed  ",
                Attributes_order="column value",
                Attributes_region=" north ",
                References_EMAIL_Mail="a@example.com",
                References_URL_Page="https://column.example/",
            ),
        )
    )
    assert list(row.fields.items()) == [
        ("Name", "Call Aisha (42)"),
        ("Description", "typed"),
        ("ScheduledTime", "2026-03-28"),
        ("InstanceId", "i-option"),
        ("ContactFlowId", "flow-from-template"),
    ]
    assert list(row.attributes.items()) == [
        ("region", "north"),
        ("order", "42"),
        ("source", "bulk"),
    ]
    assert list(row.references.items()) == [
        ("Mail", ("EMAIL", "a@example.com")),
        ("Page", ("URL", "https://x.example/42")),
    ]
    assert row.origin == {
        "Name": "Customer, Order",
        "Description": "Description",
        "ScheduledTime": "Day, Time",
        "InstanceId": "InstanceId (from --instance-id)",
        "ContactFlowId": "ContactFlowId (from mapping file m.toml)",
        "Attributes.region": "Attributes.region",
        "Attributes.order": "Order",
        "Attributes.source": "source",
        "References.Mail": "References.EMAIL.Mail",
        "References.Page": "Order",
    }


def test_mapped_row_of_empty_cells_falls_back_to_constants_only() -> None:
    spec = MappingSpec.from_dict(FULL_SPEC)
    row = RowMapper(spec, FULL_COLUMNS).map(SourceRow(2, full_row(QuickConnectId="qc")))
    # a format string over empty cells sends nothing; a routing constant yields to the
    # row's own route; a constant is stripped
    assert list(row.fields.items()) == [("QuickConnectId", "qc"), ("Description", "default")]
    assert row.attributes == {"source": "bulk"}
    assert row.references == {}
    assert row.where("Description") == "Description (from mapping)"
    assert row.where("Name") == "Name"


def test_blank_constant_is_sent_as_empty_text() -> None:
    spec = MappingSpec()
    spec.set_constant("Description", "   ", "--description")
    row = RowMapper(spec, ["Name", "Description"]).map(
        SourceRow(2, {"Name": "T", "Description": ""})
    )
    assert row.fields == {"Name": "T", "Description": ""}


def test_whitespace_only_template_cells_count_as_empty() -> None:
    spec = MappingSpec.from_dict({"fields": {"Name": "A{x}B{y}"}})
    mapper = RowMapper(spec, ["x", "y"])
    assert mapper.map(SourceRow(2, {"x": "  ", "y": " "})).fields == {}
    assert mapper.map(SourceRow(2, {"x": " 1 ", "y": " "})).fields == {"Name": "A1B"}


def test_key_value_is_stripped() -> None:
    mapper = RowMapper(MappingSpec(key_column="ORDER"), ["Order", "Name"])
    assert mapper.key_column == "Order"
    assert mapper.key_value(SourceRow(2, {"Order": " 7 ", "Name": "T"})) == "7"
    assert RowMapper(MappingSpec(), ["Order"]).key_value(SourceRow(2, {"Order": "7"})) is None
