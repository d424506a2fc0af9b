"""SearchUsers and DescribeUser in the emulator: a user name becomes the agent ARN that
connect:CreatedByUser takes (plain boto3 clients)."""

from __future__ import annotations

from typing import Any

import pytest
from test_sandbox import task

from importer.sandbox import defaults

INSTANCE = defaults.INSTANCE_ID


def username_is(name: str, comparison: str = "EXACT") -> dict[str, Any]:
    condition = {"FieldName": "Username", "Value": name, "ComparisonType": comparison}
    return {"StringCondition": condition}


def test_a_user_name_resolves_to_an_agent_arn_that_created_by_user_takes(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)

    [found] = client.search_users(InstanceId=INSTANCE, SearchCriteria=username_is("alex.smith"))[
        "Users"
    ]
    described = client.describe_user(InstanceId=INSTANCE, UserId=found["Id"])["User"]
    client.start_task_contact(
        **task(SegmentAttributes={"connect:CreatedByUser": {"ValueString": found["Arn"]}})
    )

    assert found["Arn"] == defaults.user_arn(INSTANCE, defaults.USERS[1].id)
    assert found["Arn"].endswith(f"instance/{INSTANCE}/agent/{found['Id']}")
    assert (described["Username"], described["Arn"]) == ("alex.smith", found["Arn"])
    assert described["IdentityInfo"] == {"FirstName": "Alex", "LastName": "Smith"}
    assert emulator.counters()["created"] == 1


def test_search_conditions_combine_and_an_unknown_name_finds_no_one(sandbox, connect_client):
    client = connect_client(sandbox().url)

    def usernames(criteria: dict[str, Any]) -> list[str]:
        answer = client.search_users(InstanceId=INSTANCE, SearchCriteria=criteria)
        return [user["Username"] for user in answer["Users"]]

    assert usernames(username_is("nobody")) == []
    assert usernames(username_is("Jane.Doe")) == [], "EXACT is case-sensitive"
    assert usernames(username_is("ma", "STARTS_WITH")) == ["maria.garcia"]
    assert usernames({"OrConditions": [username_is("jane.doe"), username_is("alex.smith")]}) == [
        "jane.doe",
        "alex.smith",
    ]
    by_last_name = {"FieldName": "LastName", "Value": "Garc", "ComparisonType": "CONTAINS"}
    assert usernames(
        {"AndConditions": [{"StringCondition": by_last_name}, username_is("m", "STARTS_WITH")]}
    ) == ["maria.garcia"]


def test_search_users_pages_through_every_user(sandbox, connect_client):
    client = connect_client(sandbox().url)
    paginator = client.get_paginator("search_users")

    pages = list(paginator.paginate(InstanceId=INSTANCE, PaginationConfig={"PageSize": 2}))

    assert [len(page["Users"]) for page in pages] == [2, 1]
    assert [user["Username"] for page in pages for user in page["Users"]] == [
        user.username for user in defaults.USERS
    ]
    assert pages[0]["ApproximateTotalCount"] == 3


def test_an_unknown_user_or_instance_is_resource_not_found(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)

    with pytest.raises(client.exceptions.ResourceNotFoundException, match="User 'nobody'"):
        client.describe_user(InstanceId=INSTANCE, UserId="nobody")
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="Instance"):
        client.search_users(InstanceId="no-such-instance")
    with pytest.raises(client.exceptions.InvalidParameterException, match="ComparisonType"):
        client.search_users(InstanceId=INSTANCE, SearchCriteria=username_is("x", "LIKE"))
    assert emulator.counters()["reads"] == 3
