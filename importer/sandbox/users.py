"""The sandbox's agents, for SearchUsers and DescribeUser: how a user name becomes the agent
ARN that ``connect:CreatedByUser`` takes.

The users are ``defaults.USERS``, the same in every instance. SearchUsers (``POST
/search-users``) checks its body against botocore's model and understands StringCondition
on every FieldName the model documents (Username, FirstName, LastName, RoutingProfileId,
SecurityProfileId, resourceId) with EXACT, STARTS_WITH or CONTAINS, case-sensitive (the
documentation leaves case open), nested in AndConditions and OrConditions; a ListCondition
or HierarchyGroupCondition matches no one (the users have neither). It pages with
MaxResults (default 100) and NextToken.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from importer.sandbox import defaults
from importer.sandbox.config import SandboxConfig
from importer.sandbox.defaults import CREATED_TIME, User
from importer.sandbox.errors import invalid_parameter, invalid_request, not_found
from importer.sandbox.rules import check_input_shape, known_instance
from importer.sandbox.shapes import connect_model

ROUTING_PROFILE_ID = "40e70000-0000-4000-8000-000000000001"
SECURITY_PROFILE_ID = "5ec00000-0000-4000-8000-000000000001"
_PAGE_TOKEN = "sandbox-users-from-"
_USER_FIELDS = {
    "Username": lambda user: user.username,
    "FirstName": lambda user: user.first_name,
    "LastName": lambda user: user.last_name,
    "RoutingProfileId": lambda _user: ROUTING_PROFILE_ID,
    "SecurityProfileId": lambda _user: SECURITY_PROFILE_ID,
    "resourceId": lambda user: user.id,
}
_COMPARISONS = {
    "EXACT": lambda value, wanted: value == wanted,
    "STARTS_WITH": lambda value, wanted: value.startswith(wanted),
    "CONTAINS": lambda value, wanted: wanted in value,
}


def describe_user(config: SandboxConfig, params: Mapping[str, Any]) -> dict[str, Any]:
    instance_id = known_instance(config, params["InstanceId"])
    user = next((user for user in defaults.USERS if user.id == params["UserId"]), None)
    if user is None:
        raise not_found(f"User '{params['UserId']}' not found in instance '{instance_id}'")
    return {
        "User": {
            **_user_summary(instance_id, user),
            "PhoneConfig": {"PhoneType": "SOFT_PHONE", "AfterContactWorkTimeLimit": 0},
            "LastModifiedTime": CREATED_TIME,
            "LastModifiedRegion": defaults.REGION,
        }
    }


def search_users(config: SandboxConfig, params: Mapping[str, Any]) -> dict[str, Any]:
    """Users matching SearchCriteria, in ``defaults.USERS`` order, a page at a time."""
    operation = connect_model().operation_model("SearchUsers")
    check_input_shape(dict(params), operation.input_shape, "SearchUsers")
    instance_id = known_instance(config, params["InstanceId"])
    criteria = params.get("SearchCriteria", {})
    matched = [user for user in defaults.USERS if _matches(user, criteria)]
    start = _page_start(params.get("NextToken"))
    end = start + params.get("MaxResults", 100)
    answer: dict[str, Any] = {
        "Users": [_user_summary(instance_id, user) for user in matched[start:end]],
        "ApproximateTotalCount": len(matched),
    }
    if end < len(matched):
        answer["NextToken"] = f"{_PAGE_TOKEN}{end}"
    return answer


def _user_summary(instance_id: str, user: User) -> dict[str, Any]:
    return {
        "Id": user.id,
        "Arn": defaults.user_arn(instance_id, user.id),
        "Username": user.username,
        "IdentityInfo": {"FirstName": user.first_name, "LastName": user.last_name},
        "RoutingProfileId": ROUTING_PROFILE_ID,
        "SecurityProfileIds": [SECURITY_PROFILE_ID],
    }


def _matches(user: User, criteria: Mapping[str, Any]) -> bool:
    """Whether ``user`` meets a UserSearchCriteria (every condition given, nested)."""
    checks = []
    if "AndConditions" in criteria:
        checks.append(all(_matches(user, each) for each in criteria["AndConditions"]))
    if "OrConditions" in criteria:
        checks.append(any(_matches(user, each) for each in criteria["OrConditions"]))
    if "StringCondition" in criteria:
        checks.append(_string_condition(user, criteria["StringCondition"]))
    for unsupported in ("ListCondition", "HierarchyGroupCondition"):
        if unsupported in criteria:
            checks.append(False)
    return all(checks)


def _string_condition(user: User, condition: Mapping[str, Any]) -> bool:
    field, comparison = condition.get("FieldName"), condition.get("ComparisonType", "EXACT")
    if field not in _USER_FIELDS:
        raise invalid_request(
            f"SearchCriteria.StringCondition.FieldName '{field}' is not one of "
            f"{', '.join(_USER_FIELDS)} (the sandbox's users have no others)"
        )
    return _COMPARISONS[comparison](_USER_FIELDS[field](user), condition.get("Value", ""))


def _page_start(token: str | None) -> int:
    if token is None:
        return 0
    if not token.startswith(_PAGE_TOKEN) or not token[len(_PAGE_TOKEN) :].isdigit():
        raise invalid_parameter(f"NextToken '{token}' was not given by this sandbox")
    return int(token[len(_PAGE_TOKEN) :])
