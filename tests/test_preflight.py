"""Preflight: the sandbox answers the read calls, and the check reports what it found.

Every test talks to the sandbox over HTTP with real boto3 clients (one uses botocore's
Stubber to script throttling, which the sandbox does not apply to read calls).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from importer.preflight import IAM_ACTIONS, Kind, Preflight, PreflightReport, Resources
from importer.sandbox import defaults

INSTANCE = defaults.INSTANCE_ID
FLOW, OTHER_FLOW = defaults.CONTACT_FLOW_IDS
TEMPLATE = defaults.TASK_TEMPLATE_IDS[0]
QUICK_CONNECT = defaults.QUICK_CONNECT_IDS[0]
UNKNOWN = "00000000-dead-4000-8000-000000000000"
README = Path(__file__).resolve().parent.parent / "README.md"


def sts_client(url: str, **config: Any) -> Any:
    return boto3.client(
        "sts",
        endpoint_url=url,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


def check(emulator: Any, connect_client: Any, *requests: dict[str, str], **options: Any):
    """Run the preflight against ``emulator`` for ``requests``."""
    resources = Resources()
    for request in requests:
        resources.add(request)
    preflight = Preflight(connect_client(emulator.url), sts_client(emulator.url), **options)
    return preflight.run(resources)


def lines(report: PreflightReport) -> list[tuple[Kind, str, bool]]:
    return [(check.kind, check.id, check.ok) for check in report.checks]


# --- the sandbox answers the read calls ----------------------------------------------------


def test_the_sandbox_describes_its_instance_flows_template_and_quick_connect(
    sandbox, connect_client
):
    client = connect_client(sandbox().url)

    instance = client.describe_instance(InstanceId=INSTANCE)["Instance"]
    flow = client.describe_contact_flow(InstanceId=INSTANCE, ContactFlowId=OTHER_FLOW)
    template = client.get_task_template(InstanceId=INSTANCE, TaskTemplateId=TEMPLATE)
    quick = client.describe_quick_connect(InstanceId=INSTANCE, QuickConnectId=QUICK_CONNECT)

    assert (instance["Id"], instance["InstanceStatus"]) == (INSTANCE, "ACTIVE")
    assert instance["Arn"] == f"arn:aws:connect:us-east-1:{defaults.ACCOUNT_ID}:instance/{INSTANCE}"
    assert flow["ContactFlow"]["Id"] == OTHER_FLOW
    assert flow["ContactFlow"]["Name"] == "Sandbox task flow 2"
    assert flow["ContactFlow"]["Arn"].endswith(f"/contact-flow/{OTHER_FLOW}")
    assert (template["Id"], template["Status"], template["ContactFlowId"]) == (
        TEMPLATE,
        "ACTIVE",
        FLOW,
    )
    assert quick["QuickConnect"]["QuickConnectId"] == QUICK_CONNECT
    assert quick["QuickConnect"]["QuickConnectARN"].endswith(
        f"/transfer-destination/{QUICK_CONNECT}"
    )


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("describe_instance", {"InstanceId": UNKNOWN}),
        ("describe_contact_flow", {"InstanceId": INSTANCE, "ContactFlowId": UNKNOWN}),
        ("describe_contact_flow", {"InstanceId": UNKNOWN, "ContactFlowId": FLOW}),
        ("get_task_template", {"InstanceId": INSTANCE, "TaskTemplateId": UNKNOWN}),
        ("describe_quick_connect", {"InstanceId": INSTANCE, "QuickConnectId": UNKNOWN}),
    ],
)
def test_an_unknown_id_is_a_404_resource_not_found(sandbox, connect_client, method, params):
    client = connect_client(sandbox().url)

    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        getattr(client, method)(**params)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert UNKNOWN in str(raised.value)


def test_read_calls_are_counted_apart_from_start_task_contact(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)

    client.describe_instance(InstanceId=INSTANCE)
    sts_client(emulator.url).get_caller_identity()

    counters = emulator.counters()
    assert counters["reads"] == 2
    assert counters["requests"] == 0


def test_sts_answers_get_caller_identity_through_aws_endpoint_url_sts(sandbox, monkeypatch):
    emulator = sandbox()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", emulator.url)

    identity = boto3.client("sts", region_name="eu-west-1").get_caller_identity()

    assert identity["Arn"] == defaults.CALLER_ARN
    assert identity["Account"] == defaults.ACCOUNT_ID
    assert identity["UserId"]


def test_an_unsigned_sts_call_is_refused_in_sts_s_own_words(sandbox):
    unsigned = sts_client(sandbox().url, signature_version=UNSIGNED)

    with pytest.raises(ClientError) as raised:
        unsigned.get_caller_identity()

    assert raised.value.response["Error"]["Code"] == "MissingAuthenticationToken"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_access_denied_mode_refuses_the_reads_but_not_get_caller_identity(sandbox, connect_client):
    emulator = sandbox(access_denied=True)
    client = connect_client(emulator.url)

    with pytest.raises(ClientError) as raised:
        client.describe_contact_flow(InstanceId=INSTANCE, ContactFlowId=FLOW)

    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "connect:DescribeContactFlow" in str(raised.value)
    assert sts_client(emulator.url).get_caller_identity()["Arn"] == defaults.CALLER_ARN


# --- the check -----------------------------------------------------------------------------


def test_every_kind_of_resource_is_found_with_one_call_per_distinct_id(sandbox, connect_client):
    emulator = sandbox()
    requests = [
        {"InstanceId": INSTANCE, "ContactFlowId": FLOW},
        {"InstanceId": INSTANCE, "ContactFlowId": FLOW},
        {"InstanceId": INSTANCE, "TaskTemplateId": TEMPLATE},
        {"InstanceId": INSTANCE, "QuickConnectId": QUICK_CONNECT},
        {"InstanceId": INSTANCE, "QuickConnectId": QUICK_CONNECT},
    ]

    report = check(emulator, connect_client, *requests)

    assert report.ok
    assert report.caller_arn == defaults.CALLER_ARN
    assert lines(report) == [
        (Kind.CREDENTIALS, defaults.CALLER_ARN, True),
        (Kind.INSTANCE, INSTANCE, True),
        (Kind.CONTACT_FLOW, FLOW, True),
        (Kind.TASK_TEMPLATE, TEMPLATE, True),
        (Kind.QUICK_CONNECT, QUICK_CONNECT, True),
    ]
    assert f"contact flow {FLOW} 'Sandbox task flow 1' found" in report.checks[2].message
    assert emulator.counters()["reads"] == 5
    assert emulator.counters()["requests"] == 0


def test_a_missing_flow_fails_with_its_id_its_instance_and_the_fix(sandbox, connect_client):
    report = check(
        sandbox(),
        connect_client,
        {"InstanceId": INSTANCE, "ContactFlowId": UNKNOWN},
        {"InstanceId": INSTANCE, "ContactFlowId": FLOW},
    )

    assert not report.ok
    [failed] = report.failed
    assert (failed.kind, failed.id, failed.code) == (
        Kind.CONTACT_FLOW,
        UNKNOWN,
        "ResourceNotFoundException",
    )
    assert failed.message == (
        f"contact flow {UNKNOWN} not found in instance {INSTANCE}: "
        "fix the ContactFlowId column or --contact-flow-id"
    )
    assert (Kind.CONTACT_FLOW, FLOW, True) in lines(report)


def test_a_missing_instance_fails_and_what_is_named_with_it_is_not_checked(sandbox, connect_client):
    emulator = sandbox()
    report = check(
        emulator,
        connect_client,
        {"InstanceId": UNKNOWN, "ContactFlowId": FLOW},
        {"InstanceId": UNKNOWN, "TaskTemplateId": TEMPLATE},
    )

    assert lines(report) == [
        (Kind.CREDENTIALS, defaults.CALLER_ARN, True),
        (Kind.INSTANCE, UNKNOWN, False),
    ]
    message = report.failed[0].message
    assert f"instance {UNKNOWN} not found in region us-east-1" in message
    assert "fix the InstanceId column or --instance-id" in message
    assert "the 2 flows, templates and quick connects named with it were not checked" in message
    assert report.not_checked == 2
    assert emulator.counters()["reads"] == 2


def test_access_denied_names_the_iam_action_each_call_needs(sandbox, connect_client):
    report = check(
        sandbox(access_denied=True),
        connect_client,
        {"InstanceId": INSTANCE, "ContactFlowId": FLOW},
        {"InstanceId": INSTANCE, "TaskTemplateId": TEMPLATE},
    )

    assert report.caller_arn == defaults.CALLER_ARN
    assert [check.id for check in report.failed] == [INSTANCE, FLOW, TEMPLATE]
    messages = [check.message for check in report.failed]
    for message, action in zip(
        messages,
        ["connect:DescribeInstance", "connect:DescribeContactFlow", "connect:GetTaskTemplate"],
        strict=True,
    ):
        assert f"access denied: the IAM policy must allow {action}" in message


def test_credentials_that_do_not_work_end_the_check_before_any_connect_call(
    sandbox, connect_client
):
    emulator = sandbox()
    resources = Resources()
    resources.add({"InstanceId": INSTANCE, "ContactFlowId": FLOW})
    unsigned = sts_client(emulator.url, signature_version=UNSIGNED)

    report = Preflight(connect_client(emulator.url), unsigned).run(resources)

    assert lines(report) == [(Kind.CREDENTIALS, "", False)]
    assert "credentials do not work" in report.failed[0].message
    assert "MissingAuthenticationToken" in report.failed[0].message
    assert report.caller_arn is None
    assert report.not_checked == 2
    assert emulator.counters()["reads"] == 1


def test_an_unreachable_endpoint_ends_the_check_with_one_clear_failure(sandbox, connect_client):
    emulator = sandbox()
    gone = sandbox()
    gone.stop()
    resources = Resources()
    resources.add({"InstanceId": INSTANCE, "ContactFlowId": FLOW})

    report = Preflight(connect_client(gone.url), sts_client(emulator.url)).run(resources)

    assert lines(report) == [
        (Kind.CREDENTIALS, defaults.CALLER_ARN, True),
        (Kind.INSTANCE, INSTANCE, False),
    ]
    assert report.failed[0].message.startswith(f"cannot reach {gone.url}")
    assert report.failed[0].message.endswith("nothing further was checked")
    assert report.not_checked == 1


def test_a_template_without_a_flow_cannot_take_tasks_alone(sandbox, connect_client):
    report = check(
        sandbox(contact_flow_ids=()),
        connect_client,
        {"InstanceId": INSTANCE, "TaskTemplateId": TEMPLATE},
    )

    [failed] = report.failed
    assert failed.id == TEMPLATE
    assert failed.message == (
        f"task template {TEMPLATE} 'Sandbox task template 1' exists, but it has no contact "
        "flow: a task that names only a template needs one"
    )


def test_the_number_of_resources_checked_is_capped_and_the_report_says_so(sandbox, connect_client):
    flows = [f"f10f10f1-0000-4000-8000-00000000010{n}" for n in range(5)]
    emulator = sandbox(contact_flow_ids=tuple(flows))
    requests = [{"InstanceId": INSTANCE, "ContactFlowId": flow} for flow in flows]

    report = check(emulator, connect_client, *requests, max_resources=3)

    assert report.ok
    assert report.capped
    assert [check.id for check in report.checks[1:]] == [INSTANCE, *flows[:2]]
    assert report.not_checked == 3
    assert emulator.counters()["reads"] == 4


def test_throttled_calls_are_retried_and_a_lasting_throttle_fails_clearly(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)
    pauses: list[float] = []
    resources = Resources()
    resources.add({"InstanceId": INSTANCE, "ContactFlowId": FLOW})
    with Stubber(client) as stub:
        stub.add_client_error("describe_instance", "ThrottlingException", http_status_code=429)
        stub.add_response("describe_instance", {"Instance": {"Id": INSTANCE}})
        for _ in range(3):
            stub.add_client_error(
                "describe_contact_flow", "ThrottlingException", http_status_code=429
            )
        preflight = Preflight(client, sts_client(emulator.url), attempts=3, sleep=pauses.append)

        report = preflight.run(resources)

    assert lines(report)[1:] == [(Kind.INSTANCE, INSTANCE, True), (Kind.CONTACT_FLOW, FLOW, False)]
    assert report.failed[0].message == (
        f"contact flow {FLOW}: still throttled after 3 attempts (ThrottlingException); "
        "try again later"
    )
    assert pauses == [1.0, 1.0, 2.0]


def test_the_readme_policy_allows_every_connect_action_the_check_calls():
    policy = json.loads(re.search(r"```json\n(.*?)```", README.read_text(), re.S).group(1))
    [reads] = [s for s in policy["Statement"] if s["Sid"] == "PreflightReads"]

    assert set(reads["Action"]) == {a for a in IAM_ACTIONS if a.startswith("connect:")}
    assert "sts:GetCallerIdentity" in IAM_ACTIONS
