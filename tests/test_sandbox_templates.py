"""Task templates in the emulator: GetTaskTemplate's answers, loading templates, and how
StartTaskContact enforces the template it names (plain boto3 clients)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from test_sandbox import expiry, in_seconds

from importer.sandbox import SandboxConfig, defaults
from importer.sandbox.templates import DEFAULT_FORM, load_template_file, value_problem

INSTANCE = defaults.INSTANCE_ID
TEMPLATE = defaults.TASK_TEMPLATE_IDS[0]
PHONE = {"Customer phone": {"Type": "STRING", "Value": "+12065550100"}}


def from_template(**fields: Any) -> dict[str, Any]:
    """StartTaskContact arguments naming the default template, with its required field."""
    request = {"InstanceId": INSTANCE, "TaskTemplateId": TEMPLATE, "Name": "Call back"}
    request.update(fields)
    request["References"] = {**PHONE, **fields.get("References", {})}
    return {name: value for name, value in request.items() if value is not None}


def refs(**values: tuple[str, str]) -> dict[str, Any]:
    """References from ``name=(Type, Value)``; ``_`` in a name stands for a space."""
    return {
        name.replace("_", " "): {"Type": kind, "Value": value}
        for name, (kind, value) in values.items()
    }


def loaded_template(**changes: Any) -> dict[str, Any]:
    """A template as `aws connect get-task-template` prints it, with ``changes``."""
    template = {
        "Id": "7e7e7e7e-0000-4000-8000-00000000000a",
        "Arn": "arn:aws:connect:eu-west-1:210987654321:instance/elsewhere/task-template/x",
        "InstanceId": "elsewhere",
        "Name": "Refund request",
        "ContactFlowId": defaults.CONTACT_FLOW_IDS[1],
        "Status": "ACTIVE",
        "Fields": [
            {"Id": {"Name": "Title"}, "Type": "NAME"},
            {"Id": {"Name": "Order"}, "Type": "NUMBER", "Description": "Order number"},
            {
                "Id": {"Name": "Reason"},
                "Type": "SINGLE_SELECT",
                "SingleSelectOptions": ["Damaged", "Late", "Other"],
            },
        ],
        "Constraints": {"RequiredFields": [{"Id": {"Name": "Title"}}, {"Id": {"Name": "Order"}}]},
        "Defaults": {"DefaultFieldValues": [{"Id": {"Name": "Reason"}, "DefaultValue": "Other"}]},
        "CreatedTime": "2025-06-01T08:00:00+00:00",
        "LastModifiedTime": 1_750_000_000,
    }
    template.update(changes)
    return template


# --- GetTaskTemplate ---------------------------------------------------------------------


def test_the_default_template_has_fields_of_every_kind_and_runs_the_first_flow(
    sandbox, connect_client
):
    client = connect_client(sandbox().url)

    answer = client.get_task_template(InstanceId=INSTANCE, TaskTemplateId=TEMPLATE)

    fields = {field["Id"]["Name"]: field for field in answer["Fields"]}
    assert {name: field["Type"] for name, field in fields.items()} == {
        "Name": "NAME",
        "Description": "DESCRIPTION",
        "Customer phone": "TEXT",
        "Priority": "SINGLE_SELECT",
        "Order total": "NUMBER",
        "Callback by": "DATE_TIME",
        "Consent given": "BOOLEAN",
        "Order page": "URL",
        "Customer email": "EMAIL",
        "Notes": "TEXT_AREA",
        "Case id": "TEXT",
        "Source": "TEXT",
        "Scheduled time": "SCHEDULED_TIME",
        "Expiry": "EXPIRY_DURATION",
    }
    assert fields["Priority"]["SingleSelectOptions"] == ["Low", "Normal", "High"]
    constraints = {
        name: [item["Id"]["Name"] for item in items]
        for name, items in answer["Constraints"].items()
    }
    assert constraints == {
        "RequiredFields": ["Name", "Customer phone"],
        "ReadOnlyFields": ["Source"],
        "InvisibleFields": ["Case id"],
    }
    assert {
        item["Id"]["Name"]: item["DefaultValue"]
        for item in answer["Defaults"]["DefaultFieldValues"]
    } == {"Priority": "Normal", "Source": "Bulk import"}
    assert (answer["Status"], answer["ContactFlowId"]) == ("ACTIVE", defaults.CONTACT_FLOW_IDS[0])
    assert answer["Arn"] == defaults.instance_arn(INSTANCE, f"/task-template/{TEMPLATE}")
    assert answer["InstanceId"] == INSTANCE
    assert answer["CreatedTime"].year == 2026


def test_a_loaded_template_is_answered_in_its_own_shape_for_the_instance_asked(
    sandbox, connect_client
):
    template = loaded_template()
    client = connect_client(sandbox(task_templates=(template,)).url)

    answer = client.get_task_template(InstanceId=INSTANCE, TaskTemplateId=template["Id"])
    default = client.get_task_template(InstanceId=INSTANCE, TaskTemplateId=TEMPLATE)

    for name in ("Name", "Fields", "Constraints", "Defaults", "ContactFlowId", "Status"):
        assert answer[name] == template[name]
    assert answer["Arn"] == defaults.instance_arn(INSTANCE, f"/task-template/{template['Id']}")
    assert answer["InstanceId"] == INSTANCE
    assert answer["CreatedTime"].isoformat() == "2025-06-01T08:00:00+00:00"
    assert answer["LastModifiedTime"].timestamp() == 1_750_000_000
    assert default["Name"] == "Sandbox task template 1"


def test_loaded_template_ids_join_the_accepted_ids_and_an_id_given_alone_gets_the_default_form():
    config = SandboxConfig(task_template_ids=("plain",), task_templates=(loaded_template(),))

    assert config.task_template_ids == ("plain", loaded_template()["Id"])
    plain = config.task_template("plain")
    assert plain is not None
    assert (plain["Name"], plain["Fields"]) == ("Sandbox task template 1", DEFAULT_FORM["Fields"])
    assert config.task_template(TEMPLATE) is None


# --- StartTaskContact with a template ------------------------------------------------------

TEMPLATE_MISTAKES = {
    "required field left out": ({"References": {}}, "field 'Customer phone' is required"),
    "required field of the wrong type": (
        {"References": refs(Customer_phone=("NUMBER", "12065550100"))},
        "References.Customer phone must be of type STRING, not NUMBER",
    ),
    "required field empty": (
        {"References": refs(Customer_phone=("STRING", ""))},
        "field 'Customer phone' is required",
    ),
    "not an option": (
        {"References": refs(Priority=("STRING", "Urgent"))},
        "'Urgent' is not one of the options: Low, Normal, High",
    ),
    "option in the wrong case": ({"References": refs(Priority=("STRING", "high"))}, "'high'"),
    "invisible field set": (
        {"References": refs(Case_id=("STRING", "CRM-1"))},
        "field 'Case id' is invisible",
    ),
    "read-only field set": (
        {"References": refs(Source=("STRING", "Me"))},
        "field 'Source' is read-only",
    ),
    "TEXT of 512 characters": (
        {"References": refs(Customer_phone=("STRING", "1" * 512))},
        "fewer than 512 characters",
    ),
    "BOOLEAN yes": (
        {"References": refs(Consent_given=("STRING", "yes"))},
        "must be true or false",
    ),
    "NUMBER with a decimal comma": (
        {"References": refs(Order_total=("NUMBER", "12,50"))},
        "must be a decimal number",
    ),
    "DATE_TIME as a date": (
        {"References": refs(Callback_by=("DATE", "2026-01-01"))},
        "epoch timestamp",
    ),
    "URL without a scheme": (
        {"References": refs(Order_page=("URL", "www.example.com/o/1"))},
        "absolute http(s) URL",
    ),
    "EMAIL without a domain": (
        {"References": refs(Customer_email=("EMAIL", "jane@"))},
        "must be an email address",
    ),
    "the NAME field as a reference": (
        {"References": refs(Name=("STRING", "Call back"))},
        "is the task's NAME; set Name",
    ),
    "an empty Name": ({"Name": ""}, "field 'Name' is required"),
}


@pytest.mark.parametrize(
    ("fields", "reason"), TEMPLATE_MISTAKES.values(), ids=list(TEMPLATE_MISTAKES)
)
def test_a_task_that_breaks_its_template_is_an_invalid_request_naming_the_field(
    sandbox, connect_client, fields, reason
):
    emulator = sandbox()
    client = connect_client(emulator.url)
    request = from_template(**fields)
    if fields.get("References") == {}:
        del request["References"]

    with pytest.raises(client.exceptions.InvalidRequestException) as raised:
        client.start_task_contact(**request)

    message = raised.value.response["Error"]["Message"]
    assert reason in message
    assert TEMPLATE in message
    assert emulator.tasks() == []


def test_a_task_that_fills_every_kind_of_field_well_is_created(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)
    references = refs(
        Customer_phone=("STRING", "1" * 511),
        Priority=("STRING", "High"),
        Order_total=("NUMBER", "-1250.75"),
        Callback_by=("DATE", "1767225600000"),
        Consent_given=("STRING", "false"),
        Order_page=("URL", "https://shop.example/orders/1"),
        Customer_email=("EMAIL", "jane.doe@example.co.uk"),
        Notes=("STRING", "Call after 5 pm"),
        Ticket=("STRING", "a reference named like no field"),
    )

    answer = client.start_task_contact(
        **from_template(
            Description="Refund",
            References=references,
            ScheduledTime=in_seconds(600),
            SegmentAttributes={"connect:ContactExpiry": expiry(90)},
        )
    )

    [created] = emulator.tasks()
    assert created["ContactId"] == answer["ContactId"]
    assert created["request"]["References"]["Priority"] == {"Type": "STRING", "Value": "High"}


def test_a_template_that_is_inactive_or_has_no_flow_takes_no_task(sandbox, connect_client):
    inactive = loaded_template(Status="INACTIVE")
    emulator = sandbox(task_templates=(inactive,))
    client = connect_client(emulator.url)
    order = refs(Title=("STRING", "x"), Order=("NUMBER", "1"))

    with pytest.raises(client.exceptions.InvalidRequestException, match="is INACTIVE"):
        client.start_task_contact(
            InstanceId=INSTANCE, TaskTemplateId=inactive["Id"], Name="Refund", References=order
        )
    emulator.configure(task_templates=(), contact_flow_ids=())
    with pytest.raises(client.exceptions.InvalidRequestException, match="has no contact flow"):
        client.start_task_contact(**from_template())
    assert emulator.counters()["rejected"] == 2


def test_a_loaded_template_is_enforced_by_its_own_fields(sandbox, connect_client):
    template = loaded_template()
    emulator = sandbox(task_templates=(template,))
    client = connect_client(emulator.url)

    def start(**references: tuple[str, str]) -> dict[str, Any]:
        return client.start_task_contact(
            InstanceId=INSTANCE,
            TaskTemplateId=template["Id"],
            Name="Refund",
            References=refs(**references),
        )

    with pytest.raises(ClientError, match="field 'Order' is required"):
        start(Reason=("STRING", "Late"))
    with pytest.raises(ClientError, match="'Broken' is not one of the options: Damaged, Late"):
        start(Order=("NUMBER", "1"), Reason=("STRING", "Broken"))
    assert start(Order=("NUMBER", "1"), Reason=("STRING", "Late"))["ContactId"]


def test_text_area_values_stay_under_4096_characters():
    notes = {"Id": {"Name": "Notes"}, "Type": "TEXT_AREA"}

    assert value_problem(notes, "n" * 4095) is None
    assert "fewer than 4,096" in (value_problem(notes, "n" * 4096) or "")


# --- loading templates ---------------------------------------------------------------------

BAD_TEMPLATES = {
    "a field of no known type": (
        lambda t: t["Fields"][1].update(Type="CURRENCY"),
        "Fields[1].Type 'CURRENCY' is not one of",
    ),
    "a member the output has not": (lambda t: t.update(Field=[]), "has no member Field"),
    "no Name": (lambda t: t.pop("Name"), "refund.json: Name is required"),
    "a SINGLE_SELECT without options": (
        lambda t: t["Fields"][2].pop("SingleSelectOptions"),
        "field 'Reason': a SINGLE_SELECT field needs SingleSelectOptions",
    ),
    "options on a NUMBER": (
        lambda t: t["Fields"][1].update(SingleSelectOptions=["1"]),
        "only SINGLE_SELECT fields have SingleSelectOptions",
    ),
    "a constraint on a missing field": (
        lambda t: t["Constraints"].update(InvisibleFields=[{"Id": {"Name": "Secret"}}]),
        "Constraints.InvisibleFields names no field of the template: Secret",
    ),
    "a NAME field that is not required": (
        lambda t: t["Constraints"].update(RequiredFields=[{"Id": {"Name": "Order"}}]),
        "the NAME field 'Title' must be in Constraints.RequiredFields",
    ),
    "a default that is not an option": (
        lambda t: t["Defaults"]["DefaultFieldValues"][0].update(DefaultValue="Lost"),
        "the default of field 'Reason' is not valid",
    ),
    "two fields of one name": (
        lambda t: t["Fields"].append({"Id": {"Name": "Order"}, "Type": "TEXT"}),
        "two fields are named 'Order'",
    ),
    "a bad status": (lambda t: t.update(Status="DRAFT"), "Status 'DRAFT' is not one of"),
}


@pytest.mark.parametrize(("change", "reason"), BAD_TEMPLATES.values(), ids=list(BAD_TEMPLATES))
def test_a_bad_template_file_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, change, reason
):
    template = loaded_template()
    change(template)
    path = tmp_path / "refund.json"
    path.write_text(json.dumps(template), encoding="utf-8")

    with pytest.raises(ValueError) as raised:
        load_template_file(path)

    assert str(path) in str(raised.value)
    assert reason in str(raised.value)


def test_a_template_file_holds_one_template_or_a_list(tmp_path: Path):
    single, listed, broken = (tmp_path / name for name in ("one.json", "list.json", "bad.json"))
    single.write_text(json.dumps({**loaded_template(), "ResponseMetadata": {}}), "utf-8")
    second = loaded_template(Id="second", Name="Second")
    listed.write_text(json.dumps([loaded_template(), second]), "utf-8")
    broken.write_text(json.dumps([loaded_template(), {**second, "Fields": "none"}]), "utf-8")

    assert [template["Id"] for template in load_template_file(single)] == [loaded_template()["Id"]]
    assert "ResponseMetadata" not in load_template_file(single)[0]
    assert [template["Name"] for template in load_template_file(listed)] == [
        "Refund request",
        "Second",
    ]
    with pytest.raises(ValueError, match=r"bad\.json: template 2: Fields must be a list"):
        load_template_file(broken)
    broken.write_text("{'Id': 'single quotes'}", "utf-8")
    with pytest.raises(ValueError, match=r"bad\.json: not a JSON file"):
        load_template_file(broken)
    with pytest.raises(ValueError, match=r"missing\.json: cannot read it"):
        load_template_file(tmp_path / "missing.json")


def test_a_sandbox_refuses_a_template_whose_flow_it_lacks_or_two_with_one_id():
    with pytest.raises(ValueError, match="runs contact flow f10f10f1-0000-4000-8000-000000000002"):
        SandboxConfig(contact_flow_ids=("only-flow",), task_templates=(loaded_template(),))
    with pytest.raises(ValueError, match="two templates have the id"):
        SandboxConfig(task_templates=(loaded_template(), copy.deepcopy(loaded_template())))
