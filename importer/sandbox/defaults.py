"""Fixed, documented ids the sandbox accepts unless told otherwise (sample_data uses them)."""

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
