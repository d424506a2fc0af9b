"""The read calls a preflight check makes, answered from the ids a SandboxConfig accepts.

DescribeInstance, DescribeContactFlow, GetTaskTemplate and DescribeQuickConnect answer the
minimal body botocore's Connect model describes (id, ARN, name, status); an id the config
does not list answers ResourceNotFoundException. Names are numbered by the id's place in
the config: the first contact flow is 'Sandbox task flow 1'.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from importer.sandbox import defaults
from importer.sandbox.config import SandboxConfig
from importer.sandbox.errors import not_found

CREATED_TIME = 1_767_225_600.0
"""2026-01-01T00:00:00Z: when every sandbox resource was created and last modified."""
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

Answer = Callable[[SandboxConfig, Mapping[str, str]], dict[str, Any]]
"""A read operation's body, from the config and the request's path parameters."""


@dataclass(frozen=True)
class ReadOperation:
    name: str
    path: str
    """The model's requestUri: ``{Name}`` marks a path parameter."""
    answer: Answer

    @property
    def action(self) -> str:
        """The IAM action that allows the call."""
        return f"connect:{self.name}"


def _arn(instance_id: str, suffix: str = "") -> str:
    return f"arn:aws:connect:{defaults.REGION}:{defaults.ACCOUNT_ID}:instance/{instance_id}{suffix}"


def _number(ids: tuple[str, ...], wanted: str, label: str, instance_id: str) -> int:
    """The 1-based place of ``wanted`` in ``ids``; 404 if it is not there."""
    if wanted not in ids:
        raise not_found(f"{label} '{wanted}' not found in instance '{instance_id}'")
    return ids.index(wanted) + 1


def _instance(config: SandboxConfig, params: Mapping[str, str]) -> str:
    """The request's InstanceId, known to the config (else 404)."""
    instance_id = params["InstanceId"]
    if instance_id not in config.instance_ids:
        raise not_found(f"Instance '{instance_id}' not found")
    return instance_id


def describe_instance(config: SandboxConfig, params: Mapping[str, str]) -> dict[str, Any]:
    instance_id = _instance(config, params)
    alias = f"sandbox-{config.instance_ids.index(instance_id) + 1}"
    return {
        "Instance": {
            "Id": instance_id,
            "Arn": _arn(instance_id),
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


def describe_contact_flow(config: SandboxConfig, params: Mapping[str, str]) -> dict[str, Any]:
    instance_id = _instance(config, params)
    flow_id = params["ContactFlowId"]
    number = _number(config.contact_flow_ids, flow_id, "Contact flow", instance_id)
    return {
        "ContactFlow": {
            "Arn": _arn(instance_id, f"/contact-flow/{flow_id}"),
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


def get_task_template(config: SandboxConfig, params: Mapping[str, str]) -> dict[str, Any]:
    """An ACTIVE template whose flow is the config's first contact flow (none if it has none)."""
    instance_id = _instance(config, params)
    template_id = params["TaskTemplateId"]
    number = _number(config.task_template_ids, template_id, "Task template", instance_id)
    answer: dict[str, Any] = {
        "InstanceId": instance_id,
        "Id": template_id,
        "Arn": _arn(instance_id, f"/task-template/{template_id}"),
        "Name": f"Sandbox task template {number}",
        "Status": "ACTIVE",
        "Fields": [{"Id": {"Name": "Name"}, "Type": "NAME"}],
        "CreatedTime": CREATED_TIME,
        "LastModifiedTime": CREATED_TIME,
    }
    if config.contact_flow_ids:
        answer["ContactFlowId"] = config.contact_flow_ids[0]
    return answer


def describe_quick_connect(config: SandboxConfig, params: Mapping[str, str]) -> dict[str, Any]:
    instance_id = _instance(config, params)
    quick_connect_id = params["QuickConnectId"]
    number = _number(config.quick_connect_ids, quick_connect_id, "Quick connect", instance_id)
    return {
        "QuickConnect": {
            "QuickConnectARN": _arn(instance_id, f"/transfer-destination/{quick_connect_id}"),
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
)
"""Every read call the sandbox answers (all ``GET``), with its path as botocore's model has it."""
