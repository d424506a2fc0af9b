"""Fixed, documented ids the sandbox accepts unless told otherwise (sample_data uses them)."""

from __future__ import annotations

from dataclasses import dataclass

INSTANCE_ID = "a1b2c3d4-0000-4000-8000-000000000001"
CONTACT_FLOW_IDS = (
    "f10f10f1-0000-4000-8000-000000000001",
    "f10f10f1-0000-4000-8000-000000000002",
)
QUICK_CONNECT_IDS = ("c0c0c0c0-0000-4000-8000-000000000001",)
TASK_TEMPLATE_IDS = ("7e7e7e7e-0000-4000-8000-000000000001",)
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
CALLER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/sandbox"
"""Who STS GetCallerIdentity says the caller is, whatever credentials signed the call."""
CREATED_TIME = 1_767_225_600.0
"""2026-01-01T00:00:00Z: when every sandbox resource was created and last modified."""


@dataclass(frozen=True)
class User:
    """An agent of every sandbox instance (SearchUsers, DescribeUser, connect:CreatedByUser)."""

    id: str
    username: str
    first_name: str
    last_name: str


USERS = (
    User("a9e0a9e0-0000-4000-8000-000000000001", "jane.doe", "Jane", "Doe"),
    User("a9e0a9e0-0000-4000-8000-000000000002", "alex.smith", "Alex", "Smith"),
    User("a9e0a9e0-0000-4000-8000-000000000003", "maria.garcia", "María", "García"),
)


def instance_arn(instance_id: str, suffix: str = "") -> str:
    """The ARN of an instance, or of a resource in it (``suffix`` like ``/agent/ID``)."""
    return f"arn:aws:connect:{REGION}:{ACCOUNT_ID}:instance/{instance_id}{suffix}"


def user_arn(instance_id: str, user_id: str) -> str:
    """An agent's ARN, as DescribeUser answers it and connect:CreatedByUser takes it."""
    return instance_arn(instance_id, f"/agent/{user_id}")
