"""Looking agents up by user name with SearchUsers: the answers the sandbox cannot give (two
agents with one name, a name in other case, several pages, access denied), with botocore's
Stubber on a real Connect client."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from importer.agents import PAGE_SIZE, UserDirectory
from importer.retry_policy import RetryPolicy

INSTANCE = "a1b2c3d4-0000-4000-8000-000000000001"


def agent(name: str, number: int) -> dict[str, Any]:
    return {
        "Username": name,
        "Arn": f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE}/agent/{number}",
        "Id": str(number),
    }


def search(name: str, token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "InstanceId": INSTANCE,
        "SearchCriteria": {
            "StringCondition": {"FieldName": "Username", "Value": name, "ComparisonType": "EXACT"}
        },
        "MaxResults": PAGE_SIZE,
    }
    if token:
        params["NextToken"] = token
    return params


@pytest.fixture
def stubbed() -> Any:
    client = boto3.client("connect", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_a_name_matched_on_a_later_page_and_in_other_case_is_found_once(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_response("search_users", {"Users": [], "NextToken": "more"}, search("Jane.Doe"))
    stubber.add_response(
        "search_users", {"Users": [agent("jane.doe", 1)]}, search("Jane.Doe", "more")
    )
    directory = UserDirectory(client)

    first = directory.resolve([(INSTANCE, "Jane.Doe"), (INSTANCE, "Jane.Doe")])
    again = directory.resolve([(INSTANCE, "Jane.Doe")])  # remembered: no call

    assert first == again
    assert first[INSTANCE, "Jane.Doe"].arn.endswith("/agent/1")


def test_two_agents_with_one_name_or_none_is_a_problem_saying_what_to_write(
    stubbed: Any,
) -> None:
    client, stubber = stubbed
    twins = {"Users": [agent("sam", 1), agent("Sam", 2), agent("samuel", 3)]}
    stubber.add_response("search_users", twins, search("sam"))
    stubber.add_response("search_users", {"Users": [agent("samuel", 3)]}, search("sa"))

    found = UserDirectory(client).resolve([(INSTANCE, "sam"), (INSTANCE, "sa")])

    assert found[INSTANCE, "sam"].problem == (
        f"2 agents of instance {INSTANCE} have the user name 'sam'; write the ARN of the one "
        "that created the task"
    )
    assert found[INSTANCE, "sa"].problem.startswith(
        f"no agent has the user name 'sa' in instance {INSTANCE}"
    )


def test_a_refused_search_says_which_permission_is_missing(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_client_error("search_users", "AccessDeniedException", "no", 403)
    stubber.add_client_error("search_users", "ThrottlingException", "slow down", 429)
    stubber.add_response("search_users", {"Users": [agent("alex", 2)]})
    directory = UserDirectory(client, RetryPolicy(2, 0.0, jitter=False))

    found = directory.resolve([(INSTANCE, "jane"), (INSTANCE, "alex")])

    assert "the IAM policy must allow connect:SearchUsers" in found[INSTANCE, "jane"].problem
    assert found[INSTANCE, "alex"].arn.endswith("/agent/2")  # a throttle is retried
