"""The read calls, answered from what a SandboxConfig accepts.

DescribeInstance, DescribeContactFlow and DescribeQuickConnect (a preflight check's calls)
answer the minimal body botocore's Connect model describes (id, ARN, name, status); an id
the config does not list answers ResourceNotFoundException. Names are numbered by the id's
place in the config: the first contact flow is 'Sandbox task flow 1'. GetTaskTemplate
answers the template's definition (importer.sandbox.templates). SearchUsers and
DescribeUser answer the sandbox's agents (``defaults.USERS``, the same in every instance):
see importer.sandbox.users.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from importer.sandbox import defaults
from importer.sandbox.config import SandboxConfig
from importer.sandbox.defaults import CREATED_TIME
from importer.sandbox.errors import not_found
from importer.sandbox.rules import known_instance
from importer.sandbox.shapes import epoch_seconds
from importer.sandbox.users import describe_user, search_users

_FLOW_CONTENT = json.dumps(
    {
        "Version": "2019-10-30",
        "StartAction": "end",
        "Actions": [
            {
                "Identifier": "end",
                "Type": "DisconnectParticipant",
                "Parameters": {},
                "Transitions": {},
            }
        ],
    }
)

Answer = Callable[[SandboxConfig, Mapping[str, Any]], dict[str, Any]]
"""A read operation's body, from the config and the request's input (path parameters and,
for a POST, the members of its JSON body)."""


@dataclass(frozen=True)
class ReadOperation:
    name: str
    path: str
    """The model's requestUri: ``{Name}`` marks a path parameter."""
    answer: Answer
    method: str = "GET"

    @property
    def action(self) -> str:
        """The IAM action that allows the call."""
        return f"connect:{self.name}"


def _number(ids: tuple[str, ...], wanted: str, label: str, instance_id: str) -> int:
    """The 1-based place of ``wanted`` in ``ids``; 404 if it is not there."""
    if wanted not in ids:
        raise not_found(f"{label} '{wanted}' not found in instance '{instance_id}'")
    return ids.index(wanted) + 1


def describe_instance(config: SandboxConfig, params: Mapping[str, Any]) -> dict[str, Any]:
    instance_id = known_instance(config, params["InstanceId"])
    alias = f"sandbox-{config.instance_ids.index(instance_id) + 1}"
    return {
        "Instance": {
            "Id": instance_id,
            "Arn": defaults.instance_arn(instance_id),
            "IdentityManagementType": "CONNECT_MANAGED",
            "InstanceAlias": alias,
            "CreatedTime": CREATED_TIME,
            "ServiceRole": f"arn:aws:iam::{defaults.ACCOUNT_ID}:role/aws-service-role/"
            "connect.amazonaws.com/AWSServiceRoleForAmazonConnect_sandbox",
            "InstanceStatus": "ACTIVE",
            "InboundCallsEnabled": True,
            "OutboundCallsEnabled": True,
            "InstanceAccessUrl": f"https://{alias}.my.connect.aws",
        }
    }


def describe_contact_flow(config: SandboxConfig, params: Mapping[str, Any]) -> dict[str, Any]:
    instance_id = known_instance(config, params["InstanceId"])
    flow_id = params["ContactFlowId"]
    number = _number(config.contact_flow_ids, flow_id, "Contact flow", instance_id)
    return {
        "ContactFlow": {
            "Arn": defaults.instance_arn(instance_id, f"/contact-flow/{flow_id}"),
            "Id": flow_id,
            "Name": f"Sandbox task flow {number}",
            "Type": "CONTACT_FLOW",
            "State": "ACTIVE",
            "Status": "PUBLISHED",
            "Description": "Ends every task at once (sandbox)",
            "Content": _FLOW_CONTENT,
            "LastModifiedTime": CREATED_TIME,
            "LastModifiedRegion": defaults.REGION,
        }
    }


def get_task_template(config: SandboxConfig, params: Mapping[str, Any]) -> dict[str, Any]:
    """The template's definition, with this instance's InstanceId and ARN."""
    instance_id = known_instance(config, params["InstanceId"])
    template_id = params["TaskTemplateId"]
    template = config.task_template(template_id)
    if template is None:
        raise not_found(f"Task template '{template_id}' not found in instance '{instance_id}'")
    answer = copy.deepcopy(template)
    answer.update(
        InstanceId=instance_id,
        Arn=defaults.instance_arn(instance_id, f"/task-template/{template_id}"),
        Status=template.get("Status", "ACTIVE"),
    )
    for name in ("CreatedTime", "LastModifiedTime"):
        answer[name] = epoch_seconds(template.get(name, CREATED_TIME))
    return answer


def describe_quick_connect(config: SandboxConfig, params: Mapping[str, Any]) -> dict[str, Any]:
    instance_id = known_instance(config, params["InstanceId"])
    quick_connect_id = params["QuickConnectId"]
    number = _number(config.quick_connect_ids, quick_connect_id, "Quick connect", instance_id)
    return {
        "QuickConnect": {
            "QuickConnectARN": defaults.instance_arn(
                instance_id, f"/transfer-destination/{quick_connect_id}"
            ),
            "QuickConnectId": quick_connect_id,
            "Name": f"Sandbox quick connect {number}",
            "QuickConnectConfig": {
                "QuickConnectType": "PHONE_NUMBER",
                "PhoneConfig": {"PhoneNumber": "+12065550100"},
            },
            "LastModifiedTime": CREATED_TIME,
            "LastModifiedRegion": defaults.REGION,
        }
    }


READ_OPERATIONS = (
    ReadOperation("DescribeInstance", "/instance/{InstanceId}", describe_instance),
    ReadOperation(
        "DescribeContactFlow", "/contact-flows/{InstanceId}/{ContactFlowId}", describe_contact_flow
    ),
    ReadOperation(
        "GetTaskTemplate",
        "/instance/{InstanceId}/task/template/{TaskTemplateId}",
        get_task_template,
    ),
    ReadOperation(
        "DescribeQuickConnect",
        "/quick-connects/{InstanceId}/{QuickConnectId}",
        describe_quick_connect,
    ),
    ReadOperation("DescribeUser", "/users/{InstanceId}/{UserId}", describe_user),
    ReadOperation("SearchUsers", "/search-users", search_users, method="POST"),
)
"""Every read call the sandbox answers, with its method and path as botocore's model has them."""
