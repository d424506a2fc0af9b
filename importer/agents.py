"""Agents by user name: the ARN ``connect:CreatedByUser`` takes, found with SearchUsers.

SearchUsers (botocore's model: ``POST /search-users``) takes a StringCondition on
``Username`` with ComparisonType ``EXACT`` and answers each user's ``Arn``, the agent ARN
itself, so DescribeUser (which takes a user id, not a name) is not needed. Whether EXACT is
case-sensitive is not documented: the answer is filtered here on the user name, compared
without regard to case, and exactly one user must remain. Each (instance, name) is looked
up once per run; throttles and 5xx answers are retried as the preflight's calls are.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from importer.aws import call
from importer.errors import ApiError, ErrorKind
from importer.preflight import ATTEMPTS, FIRST_BACKOFF_S, worth_retrying
from importer.retry_policy import RetryPolicy

PAGE_SIZE = 100


@dataclass(frozen=True)
class Lookup:
    """A user name's agent ARN, or why there is none (``problem``)."""

    arn: str = ""
    problem: str = ""


class UserDirectory:
    """Looks agents up by user name with a Connect client; remembers every answer."""

    def __init__(self, connect: Any, retry: RetryPolicy | None = None) -> None:
        self._connect = connect
        self._retry = retry or RetryPolicy(ATTEMPTS, FIRST_BACKOFF_S, jitter=False)
        self._found: dict[tuple[str, str], Lookup] = {}
        self._lock = threading.Lock()

    def resolve(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Lookup]:
        """Each (instance id, user name) of ``wanted`` with its lookup: one SearchUsers
        (a page or more) per pair not looked up before."""
        answers = {}
        for pair in dict.fromkeys(wanted):
            with self._lock:
                known = self._found.get(pair)
            if known is None:
                known = self._search(*pair)
                with self._lock:
                    self._found[pair] = known
            answers[pair] = known
        return answers

    def _search(self, instance_id: str, name: str) -> Lookup:
        criteria = {
            "StringCondition": {"FieldName": "Username", "Value": name, "ComparisonType": "EXACT"}
        }
        params: dict[str, Any] = {
            "InstanceId": instance_id,
            "SearchCriteria": criteria,
            "MaxResults": PAGE_SIZE,
        }
        matches: list[str] = []
        retrying = self._retry.retrying(
            lambda error: isinstance(error, ApiError) and worth_retrying(error)
        )
        while True:
            try:
                answer = retrying(call, self._connect.search_users, **params)
            except ApiError as error:
                return Lookup(problem=_failed(name, instance_id, error))
            matches += [
                user["Arn"]
                for user in answer.get("Users", [])
                if str(user.get("Username", "")).casefold() == name.casefold() and user.get("Arn")
            ]
            if not answer.get("NextToken"):
                break
            params["NextToken"] = answer["NextToken"]
        if len(matches) == 1:
            return Lookup(arn=matches[0])
        if not matches:
            return Lookup(
                problem=f"no agent has the user name '{name}' in instance {instance_id}; write "
                "the user name exactly as Amazon Connect shows it (Users > User management), "
                "or the agent's ARN"
            )
        return Lookup(
            problem=f"{len(matches)} agents of instance {instance_id} have the user name "
            f"'{name}'; write the ARN of the one that created the task"
        )


def _failed(name: str, instance_id: str, error: ApiError) -> str:
    if error.code == "AccessDeniedException":
        why = "access denied: the IAM policy must allow connect:SearchUsers"
    elif error.kind is ErrorKind.CONFIG_NOT_FOUND:
        why = f"instance {instance_id} was not found"
    else:
        why = f"SearchUsers answered {error.code}: {error.message}"
    return (
        f"the user name '{name}' could not be looked up ({why}); a re-run looks it up again, "
        "or write the agent's ARN"
    )
