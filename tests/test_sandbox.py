"""The Connect emulator, driven by plain boto3 clients (not through the importer)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import quote

import boto3
import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from importer.sandbox import Sandbox, SandboxConfig, defaults
from importer.sandbox.service import BAD_200_REPLIES, ConnectService

FLOW = defaults.CONTACT_FLOW_IDS[0]


def task(**fields: Any) -> dict[str, Any]:
    """StartTaskContact arguments for a valid task, with ``fields`` replacing or adding."""
    request = {"InstanceId": defaults.INSTANCE_ID, "ContactFlowId": FLOW, "Name": "Call back"}
    request.update(fields)
    return {name: value for name, value in request.items() if value is not None}


def in_seconds(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def signed_put(url: str, body: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Send a SigV4-signed PUT /contact/task with a raw body; (status, headers, JSON body)."""
    request = AWSRequest(method="PUT", url=f"{url}/contact/task", data=body)
    request.headers["Content-Type"] = "application/json"
    SigV4Auth(Credentials("testing", "testing"), "connect", "us-east-1").add_auth(request)
    raw = urllib.request.Request(
        request.url, data=body, headers=dict(request.headers.items()), method="PUT"
    )
    return _open(raw)


def http_json(url: str, method: str = "GET", body: bytes | None = None) -> Any:
    status, _, answer = _open(urllib.request.Request(url, data=body, method=method))
    assert status == 200
    return answer


def _open(request: urllib.request.Request) -> tuple[int, dict[str, str], Any]:
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def error_of(client: Any, **fields: Any) -> ClientError:
    with pytest.raises(ClientError) as raised:
        client.start_task_contact(**task(**fields))
    return raised.value


# --- success -------------------------------------------------------------------------------


def test_a_valid_task_gets_a_new_uuid4_contact_id_and_is_recorded(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)

    answer = client.start_task_contact(**task(ClientToken="row-1", Attributes={"case": "42"}))

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert uuid.UUID(answer["ContactId"]).version == 4
    [created] = emulator.tasks()
    assert created["ContactId"] == answer["ContactId"]
    assert created["ClientToken"] == "row-1"
    assert created["request"]["Attributes"] == {"case": "42"}
    assert emulator.counters()["created"] == 1


def test_every_routing_kind_and_the_optional_members_are_accepted(sandbox, connect_client):
    client = connect_client(sandbox().url)
    extras = {
        "Description": "d" * 4096,
        "References": {"ticket": {"Type": "URL", "Value": "https://example.com/t/1"}},
        "Attachments": [{"FileName": "a.pdf", "S3Url": "https://bucket.example/a.pdf"}],
        "SegmentAttributes": {"connect:ContactExpiry": expiry(60)},
        "ScheduledTime": in_seconds(3600),
    }

    client.start_task_contact(**task(**extras))
    client.start_task_contact(
        **task(ContactFlowId=None, QuickConnectId=defaults.QUICK_CONNECT_IDS[0])
    )
    client.start_task_contact(
        **task(
            ContactFlowId=None,
            TaskTemplateId=defaults.TASK_TEMPLATE_IDS[0],
            References={"Customer phone": {"Type": "STRING", "Value": "+12065550100"}},
        )
    )


AGENT_ARN = defaults.user_arn(defaults.INSTANCE_ID, defaults.USERS[1].id)


def expiry(minutes: Any) -> dict[str, Any]:
    """connect:ContactExpiry's value, as StartTaskContact's documentation spells it."""
    return {"ValueMap": {"ExpiryDuration": {"ValueInteger": minutes}}}


def attachment(name: str = "invoice.pdf", url: str | None = None) -> dict[str, str]:
    return {
        "FileName": name,
        "S3Url": url or f"https://bucket.s3.amazonaws.com/{quote(name)}?X-Amz-Signature=0",
    }


def test_segment_attributes_and_attachments_in_their_documented_forms_are_recorded(
    sandbox, connect_client
):
    emulator = sandbox()
    client = connect_client(emulator.url)
    segments = {
        "connect:ContactExpiry": expiry(7 * 24 * 60),
        "connect:CreatedByUser": {"ValueString": AGENT_ARN},
        "campaign": {"ValueString": "spring-2026"},
    }
    files = [attachment(f"scan {number}.pdf") for number in range(5)]
    files[0] = attachment("Zoë's invoice.pdf", "http://127.0.0.1:9/bucket/key?X-Amz-Signature=0")

    client.start_task_contact(**task(SegmentAttributes=segments, Attachments=files))
    client.start_task_contact(**task(SegmentAttributes={"connect:ContactExpiry": expiry(1)}))

    recorded = emulator.tasks()[0]["request"]
    assert recorded["SegmentAttributes"] == segments
    assert recorded["Attachments"] == files


def test_scheduled_time_arrives_as_epoch_seconds_and_a_minute_of_skew_is_forgiven(
    sandbox, connect_client
):
    emulator = sandbox()
    client = connect_client(emulator.url)
    when = in_seconds(3600)

    client.start_task_contact(**task(ScheduledTime=when))
    client.start_task_contact(**task(ScheduledTime=in_seconds(-30)))

    sent = emulator.tasks()[0]["request"]["ScheduledTime"]
    assert isinstance(sent, int | float)
    assert sent == pytest.approx(when.timestamp(), abs=1)


# --- errors as boto3 raises them ---------------------------------------------------------

INVALID_REQUESTS = {
    "name longer than the model allows": ("InvalidParameterException", {"Name": "n" * 1025}),
    "NUL in a name": ("InvalidParameterException", {"Name": "a\x00b"}),
    "BEL in an attribute": ("InvalidParameterException", {"Attributes": {"a": "ring\x07"}}),
    "two routing ids": (
        "InvalidRequestException",
        {"QuickConnectId": defaults.QUICK_CONNECT_IDS[0]},
    ),
    "attribute key with a space": ("InvalidRequestException", {"Attributes": {"a b": "1"}}),
    "attributes over 32,768 bytes": (
        "InvalidRequestException",
        {"Attributes": {"a": "é" * 10_000, "b": "é" * 6_400}},
    ),
    "ATTACHMENT reference": (
        "InvalidRequestException",
        {"References": {"file": {"Type": "ATTACHMENT", "Value": "x"}}},
    ),
    "unknown instance": ("ResourceNotFoundException", {"InstanceId": "no-such-instance"}),
    "unknown flow": ("ResourceNotFoundException", {"ContactFlowId": "no-such-flow"}),
    "unknown quick connect": (
        "ResourceNotFoundException",
        {"ContactFlowId": None, "QuickConnectId": "no-such-quick-connect"},
    ),
    "unknown template": (
        "ResourceNotFoundException",
        {"ContactFlowId": None, "TaskTemplateId": "no-such-template"},
    ),
}
STATUS = {
    "InvalidParameterException": 400,
    "InvalidRequestException": 400,
    "ResourceNotFoundException": 404,
}


@pytest.mark.parametrize(("code", "fields"), INVALID_REQUESTS.values(), ids=list(INVALID_REQUESTS))
def test_a_rule_violation_raises_the_modeled_exception_and_creates_nothing(
    sandbox, connect_client, code, fields
):
    emulator = sandbox()
    client = connect_client(emulator.url)

    error = error_of(client, **fields)

    assert isinstance(error, getattr(client.exceptions, code))
    assert error.response["Error"]["Code"] == code
    assert error.response["Error"]["Message"]
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == STATUS[code]
    assert emulator.tasks() == []
    assert emulator.counters()["rejected"] == 1


SEGMENT_AND_ATTACHMENT_MISTAKES = {
    "expiry as a bare ValueInteger": (
        "InvalidRequestException",
        {"SegmentAttributes": {"connect:ContactExpiry": {"ValueInteger": 60}}},
        'must be {"ValueMap"',
    ),
    "expiry of 0 minutes": (
        "InvalidRequestException",
        {"SegmentAttributes": {"connect:ContactExpiry": expiry(0)}},
        "must be 1 to 10080 minutes",
    ),
    "expiry over 7 days": (
        "InvalidRequestException",
        {"SegmentAttributes": {"connect:ContactExpiry": expiry(7 * 24 * 60 + 1)}},
        "must be 1 to 10080 minutes",
    ),
    "created by a user who is no agent": (
        "InvalidRequestException",
        {
            "SegmentAttributes": {
                "connect:CreatedByUser": {
                    "ValueString": defaults.user_arn(defaults.INSTANCE_ID, str(uuid.uuid4()))
                }
            }
        },
        "is not the ARN of an agent",
    ),
    "created by a user name instead of an ARN": (
        "InvalidRequestException",
        {"SegmentAttributes": {"connect:CreatedByUser": {"ValueString": "alex.smith"}}},
        "'alex.smith' is not the ARN of an agent",
    ),
    "a system key StartTaskContact does not take": (
        "InvalidRequestException",
        {"SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:Guide"}}},
        "takes only the system keys",
    ),
    "a user key with a ValueInteger": (
        "InvalidRequestException",
        {"SegmentAttributes": {"priority": {"ValueInteger": 3}}},
        "takes a ValueString",
    ),
    "a segment key with a space": (
        "InvalidRequestException",
        {"SegmentAttributes": {"my key": {"ValueString": "x"}}},
        "'my key' may contain only",
    ),
    "a segment value with two members": (
        "InvalidRequestException",
        {"SegmentAttributes": {"campaign": {"ValueString": "x", "ValueInteger": 1}}},
        "exactly one of",
    ),
    "a segment string over 1,024 characters": (
        "InvalidParameterException",
        {"SegmentAttributes": {"campaign": {"ValueString": "x" * 1025}}},
        "more than the maximum 1024",
    ),
    "six attachments": (
        "InvalidParameterException",
        {"Attachments": [attachment()] * 6},
        "more than the maximum 5",
    ),
    "an attachment name over 256 characters": (
        "InvalidParameterException",
        {"Attachments": [attachment("n" * 253 + ".pdf")]},
        "more than the maximum 256",
    ),
    "an attachment name with a zero-width space": (
        "InvalidParameterException",
        {"Attachments": [attachment("in\u200bvoice.pdf")]},
        "U+200B",
    ),
    "an attachment URL that does not parse": (
        "InvalidRequestException",
        {"Attachments": [attachment(url="https://[bucket/invoice.pdf")]},
        "pre-signed http(s) URL",
    ),
    "an s3:// attachment URL": (
        "InvalidRequestException",
        {"Attachments": [attachment(url="s3://bucket/invoice.pdf")]},
        "pre-signed http(s) URL",
    ),
    "an attachment URL over 2,000 characters": (
        "InvalidParameterException",
        {"Attachments": [attachment(url="https://bucket.example/" + "k" * 1980)]},
        "more than the maximum 2000",
    ),
}


@pytest.mark.parametrize(
    ("code", "fields", "reason"),
    SEGMENT_AND_ATTACHMENT_MISTAKES.values(),
    ids=list(SEGMENT_AND_ATTACHMENT_MISTAKES),
)
def test_a_bad_segment_attribute_or_attachment_is_refused_with_its_reason(
    sandbox, connect_client, code, fields, reason
):
    emulator = sandbox()
    client = connect_client(emulator.url)

    error = error_of(client, **fields)

    assert error.response["Error"]["Code"] == code
    assert reason in error.response["Error"]["Message"]
    assert emulator.tasks() == []


@pytest.mark.parametrize(
    "offset_s", [-600, 6 * 86_400 + 600], ids=["in the past", "over 6 days ahead"]
)
def test_a_scheduled_time_outside_the_window_is_an_invalid_request(
    sandbox, connect_client, offset_s
):
    client = connect_client(sandbox().url)

    error = error_of(client, ScheduledTime=in_seconds(offset_s))

    assert isinstance(error, client.exceptions.InvalidRequestException)
    assert "ScheduledTime" in error.response["Error"]["Message"]


def test_start_task_contact_models_the_errors_the_sandbox_answers_with_modeled_classes():
    model = botocore.session.get_session().get_service_model("connect")
    modeled = {shape.name for shape in model.operation_model("StartTaskContact").error_shapes}

    assert modeled >= {
        "InvalidRequestException",
        "InvalidParameterException",
        "ResourceNotFoundException",
        "ThrottlingException",
        "ServiceQuotaExceededException",
        "InternalServiceException",
    }
    assert "IdempotentParameterMismatchException" not in modeled


def test_throttling_is_a_429_throttling_exception(sandbox, connect_client):
    client = connect_client(sandbox(rate=0.0, burst=1).url)
    client.start_task_contact(**task())

    error = error_of(client)

    assert isinstance(error, client.exceptions.ThrottlingException)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_an_injected_fault_is_a_500_internal_service_exception(sandbox, connect_client):
    emulator = sandbox(fail_rate=1.0)
    client = connect_client(emulator.url)

    error = error_of(client)

    assert isinstance(error, client.exceptions.InternalServiceException)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert emulator.tasks() == []


def test_the_active_task_cap_is_a_402_service_quota_exceeded_until_tasks_close(
    sandbox, connect_client
):
    emulator = sandbox(active_task_cap=2)
    client = connect_client(emulator.url)
    client.start_task_contact(**task())
    client.start_task_contact(**task())

    error = error_of(client)
    assert isinstance(error, client.exceptions.ServiceQuotaExceededException)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 402

    assert emulator.close_tasks(1) == 1
    client.start_task_contact(**task())
    assert isinstance(error_of(client), client.exceptions.ServiceQuotaExceededException)
    emulator.configure(active_task_cap=None)
    client.start_task_contact(**task())
    counters = emulator.counters()
    assert (counters["created"], counters["closed"], counters["active"]) == (4, 1, 3)
    assert counters["quota_exceeded"] == 2


def test_at_most_12_tasks_share_a_previous_contact_id(sandbox, connect_client):
    client = connect_client(sandbox().url)
    previous = str(uuid.uuid4())
    for _ in range(12):
        client.start_task_contact(**task(PreviousContactId=previous))

    error = error_of(client, PreviousContactId=previous)

    assert isinstance(error, client.exceptions.ServiceQuotaExceededException)
    client.start_task_contact(**task(PreviousContactId=str(uuid.uuid4())))


def test_access_denied_mode_is_a_403_access_denied_exception_for_every_call(
    sandbox, connect_client
):
    emulator = sandbox(access_denied=True)
    client = connect_client(emulator.url)

    error = error_of(client)
    # Not modeled for StartTaskContact, but the Connect model has the shape, so boto3 raises it.
    assert isinstance(error, client.exceptions.AccessDeniedException)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert isinstance(
        error_of(client, InstanceId="anything"), client.exceptions.AccessDeniedException
    )

    emulator.configure(access_denied=False)
    client.start_task_contact(**task())
    assert emulator.counters()["access_denied"] == 2


def test_an_unsigned_request_is_a_403_client_error(sandbox):

    emulator = sandbox()
    client = boto3.client(
        "connect",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )

    error = error_of(client)

    assert type(error) is ClientError
    assert error.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert emulator.counters()["unsigned"] == 1


# --- idempotency -------------------------------------------------------------------------


def test_a_replayed_client_token_returns_the_same_contact_and_creates_nothing(
    sandbox, connect_client
):
    emulator = sandbox()
    client = connect_client(emulator.url)

    first = client.start_task_contact(**task(ClientToken="batch-1:row-7"))
    again = client.start_task_contact(**task(ClientToken="batch-1:row-7"))

    assert again["ContactId"] == first["ContactId"]
    assert len(emulator.tasks()) == 1
    counters = emulator.counters()
    assert (counters["created"], counters["replays"]) == (1, 1)


def test_a_client_token_reused_with_another_body_is_a_400_mismatch(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)
    client.start_task_contact(**task(ClientToken="row-7"))

    error = error_of(client, ClientToken="row-7", Name="Another name")

    # Not modeled anywhere in the Connect model: boto3 raises a plain ClientError.
    assert type(error) is ClientError
    assert error.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(emulator.tasks()) == 1
    assert emulator.counters()["mismatches"] == 1


def test_botocore_fills_a_fresh_client_token_so_identical_calls_create_two_tasks(
    sandbox, connect_client
):
    emulator = sandbox()
    client = connect_client(emulator.url)

    first = client.start_task_contact(**task())
    second = client.start_task_contact(**task())

    assert first["ContactId"] != second["ContactId"]
    tokens = [created["ClientToken"] for created in emulator.tasks()]
    assert len(set(tokens)) == 2
    assert all(uuid.UUID(token) for token in tokens)


def test_a_request_without_client_token_is_always_fresh(sandbox):
    emulator = sandbox()
    body = json.dumps(task()).encode()

    answers = [signed_put(emulator.url, body) for _ in range(2)]

    assert [status for status, _, _ in answers] == [200, 200]
    assert answers[0][2]["ContactId"] != answers[1][2]["ContactId"]
    assert [created["ClientToken"] for created in emulator.tasks()] == [None, None]


def test_the_wire_format_of_an_error(sandbox):
    emulator = sandbox()

    status, headers, body = signed_put(emulator.url, b"not json")

    assert status == 400
    assert headers["x-amzn-ErrorType"] == "InvalidParameterException"
    assert set(body) == {"Message"}
    assert headers["x-amzn-RequestId"]


# --- quota -------------------------------------------------------------------------------


def test_throttling_admits_exactly_the_burst_when_the_bucket_does_not_refill(
    sandbox, connect_client
):
    emulator = sandbox(rate=0.0, burst=5)
    client = connect_client(emulator.url)
    outcomes = []
    for _ in range(8):
        try:
            client.start_task_contact(**task())
            outcomes.append("created")
        except client.exceptions.ThrottlingException:
            outcomes.append("throttled")

    assert outcomes == ["created"] * 5 + ["throttled"] * 3
    counters = emulator.counters()
    assert (counters["created"], counters["throttled"]) == (5, 3)


def test_raising_the_rate_at_runtime_lifts_the_throttle(sandbox, connect_client):
    emulator = sandbox(rate=0.0, burst=1)
    client = connect_client(emulator.url)
    client.start_task_contact(**task())
    assert isinstance(error_of(client), client.exceptions.ThrottlingException)

    emulator.configure(rate=100_000.0, burst=10)

    client.start_task_contact(**task())


def test_concurrent_callers_share_one_bucket_and_every_call_is_counted_once(
    sandbox, connect_client
):
    emulator = sandbox(rate=0.0, burst=40)
    contact_ids: list[str] = []
    throttled: list[int] = []

    def caller() -> None:
        client = connect_client(emulator.url)
        for _ in range(10):
            try:
                contact_ids.append(client.start_task_contact(**task())["ContactId"])
            except client.exceptions.ThrottlingException:
                throttled.append(1)

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (len(contact_ids), len(throttled)) == (40, 20)
    assert len(set(contact_ids)) == 40
    counters = emulator.counters()
    assert (counters["requests"], counters["created"], counters["throttled"]) == (60, 40, 20)


# --- faults ------------------------------------------------------------------------------


def test_internal_errors_happen_at_about_their_probability_with_a_seed(sandbox, connect_client):
    emulator = sandbox(fail_rate=0.1, seed=7)
    client = connect_client(emulator.url)
    failures = 0
    for _ in range(1000):
        try:
            client.start_task_contact(**task())
        except client.exceptions.InternalServiceException:
            failures += 1

    assert 70 <= failures <= 130
    counters = emulator.counters()
    assert counters["internal_errors"] == counters["faults"] == failures
    assert counters["created"] == 1000 - failures


def test_the_same_seed_injects_the_same_faults(sandbox, connect_client):
    def outcomes(emulator: Sandbox) -> list[bool]:
        client = connect_client(emulator.url)
        results = []
        for _ in range(30):
            try:
                client.start_task_contact(**task())
                results.append(True)
            except client.exceptions.InternalServiceException:
                results.append(False)
        return results

    first = outcomes(sandbox(fail_rate=0.5, seed=11))

    assert outcomes(sandbox(fail_rate=0.5, seed=11)) == first
    assert True in first
    assert False in first


def test_drop_before_handling_raises_connection_closed_error_and_creates_nothing(
    sandbox, connect_client
):
    emulator = sandbox(drop_before_rate=1.0)
    client = connect_client(emulator.url)

    with pytest.raises(ConnectionClosedError):
        client.start_task_contact(**task(ClientToken="row-1"))

    assert emulator.tasks() == []
    emulator.configure(drop_before_rate=0.0)
    client.start_task_contact(**task(ClientToken="row-1"))
    counters = emulator.counters()
    assert (counters["dropped_before"], counters["created"], counters["replays"]) == (1, 1, 0)


def test_drop_after_commit_raises_connection_closed_error_but_the_task_exists(
    sandbox, connect_client
):
    emulator = sandbox(drop_after_rate=1.0)
    client = connect_client(emulator.url)

    with pytest.raises(ConnectionClosedError):
        client.start_task_contact(**task(ClientToken="row-1"))

    [created] = emulator.tasks()
    emulator.configure(drop_after_rate=0.0)
    resent = client.start_task_contact(**task(ClientToken="row-1"))
    assert resent["ContactId"] == created["ContactId"]
    counters = emulator.counters()
    assert (counters["dropped_after"], counters["created"], counters["replays"]) == (1, 1, 1)


def test_a_bad_200_is_no_start_task_contact_answer_and_creates_nothing(sandbox, connect_client):
    emulator = sandbox(bad_200_rate=1.0, seed=3)
    client = connect_client(emulator.url)
    seen = set()
    for _ in range(40):
        response = client.start_task_contact(**task(ClientToken="row-1"))
        assert "ContactId" not in response
        headers = response["ResponseMetadata"]["HTTPHeaders"]
        seen.add((headers["content-type"], int(headers["content-length"])))

    assert seen == {(reply.content_type, len(reply.raw or b"")) for reply in BAD_200_REPLIES}
    assert any(content_type.startswith("text/html") for content_type, _ in seen)
    assert emulator.tasks() == []
    counters = emulator.counters()
    assert counters["requests"] == counters["bad_200"] == counters["faults"] == 40
    emulator.configure(bad_200_rate=0.0)
    assert client.start_task_contact(**task(ClientToken="row-1"))["ContactId"]
    assert (emulator.counters()["created"], emulator.counters()["replays"]) == (1, 0)


def test_latency_is_drawn_from_the_configured_range():
    service = ConnectService(SandboxConfig(latency_ms=(50, 150), seed=1))

    delays = [service.start_task(None, b"").delay_s for _ in range(50)]

    assert all(0.05 <= delay <= 0.15 for delay in delays)
    assert len(set(delays)) > 1


def test_a_sandbox_with_latency_still_answers(sandbox, connect_client):
    client = connect_client(sandbox(latency_ms=(1, 3)).url)

    assert client.start_task_contact(**task())["ContactId"]


# --- inspection --------------------------------------------------------------------------


def test_the_ledger_holds_exactly_the_created_tasks(sandbox, connect_client, tmp_path):
    ledger = tmp_path / "tasks.jsonl"
    emulator = sandbox(ledger_path=ledger)
    client = connect_client(emulator.url)
    client.start_task_contact(**task(ClientToken="a"))
    client.start_task_contact(**task(ClientToken="a"))
    error_of(client, InstanceId="unknown")
    error_of(client, ClientToken="a", Name="changed")
    client.start_task_contact(**task(ClientToken="b", Attributes={"name": "Zoë"}))

    lines = [json.loads(line) for line in ledger.read_text(encoding="utf-8").splitlines()]

    assert lines == emulator.tasks()
    assert [line["ClientToken"] for line in lines] == ["a", "b"]
    assert lines[1]["request"]["Attributes"] == {"name": "Zoë"}


def test_counters_and_tasks_over_http_match_python(sandbox, connect_client):
    emulator = sandbox(rate=0.0, burst=3)
    client = connect_client(emulator.url)
    client.start_task_contact(**task(ClientToken="a"))
    client.start_task_contact(**task(ClientToken="a"))
    error_of(client, ContactFlowId="unknown")
    error_of(client)

    over_http = http_json(f"{emulator.url}/_sandbox/counters")

    assert over_http == emulator.counters()
    assert over_http["requests"] == 4
    assert http_json(f"{emulator.url}/_sandbox/tasks") == emulator.tasks()


def test_tasks_can_be_closed_over_http(sandbox, connect_client):
    emulator = sandbox(active_task_cap=1)
    client = connect_client(emulator.url)
    client.start_task_contact(**task())

    closed = http_json(f"{emulator.url}/_sandbox/close-tasks", "POST", b"")

    assert closed == {"closed": 1}
    client.start_task_contact(**task())
    assert emulator.counters()["active"] == 1


def test_every_request_counts_in_exactly_one_outcome(sandbox, connect_client):
    emulator = sandbox(
        rate=0.0,
        burst=55,
        active_task_cap=20,
        fail_rate=0.15,
        drop_before_rate=0.1,
        drop_after_rate=0.15,
        bad_200_rate=0.1,
        seed=5,
    )
    client = connect_client(emulator.url)
    for number in range(60):
        fields = {"ClientToken": f"row-{number % 40}", "Name": f"task {number % 40}"}
        if number % 7 == 0:
            fields["InstanceId"] = "unknown"
        with contextlib.suppress(ClientError, ConnectionClosedError):
            client.start_task_contact(**task(**fields))

    counters = emulator.counters()
    outcomes = (
        "created",
        "replays",
        "mismatches",
        "throttled",
        "quota_exceeded",
        "access_denied",
        "unsigned",
        "rejected",
        "internal_errors",
        "dropped_before",
        "bad_200",
    )
    assert counters["requests"] == 60 == sum(counters[name] for name in outcomes)
    seen = [name for name in (*outcomes, "dropped_after") if counters[name]]
    assert len(seen) == 10, counters  # every outcome but access_denied and unsigned
    assert counters["faults"] == sum(
        counters[name] for name in ("internal_errors", "dropped_before", "dropped_after", "bad_200")
    )
    assert counters["created"] == len(emulator.tasks())


# --- lifecycle ---------------------------------------------------------------------------


def test_restart_keeps_the_port_the_tasks_and_the_token_memory(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)
    first = client.start_task_contact(**task(ClientToken="row-1"))
    url = emulator.url

    emulator.restart()

    assert emulator.url == url
    again = client.start_task_contact(**task(ClientToken="row-1"))
    assert again["ContactId"] == first["ContactId"]
    assert len(emulator.tasks()) == 1
    assert emulator.counters()["replays"] == 1


def test_a_stopped_sandbox_refuses_connections(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)
    client.start_task_contact(**task())

    emulator.stop()

    assert not emulator.running
    with pytest.raises(EndpointConnectionError):
        client.start_task_contact(**task())


def test_a_port_in_use_fails_to_start(sandbox):
    emulator = sandbox()

    with pytest.raises(OSError):
        Sandbox(port=emulator.port).start()


def test_the_context_manager_starts_and_stops(connect_client):
    with Sandbox(SandboxConfig(rate=100.0, burst=100)) as emulator:
        assert emulator.running
        assert connect_client(emulator.url).start_task_contact(**task())["ContactId"]
    assert not emulator.running


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError, match="fail_rate"):
        SandboxConfig(fail_rate=1.5)
    with pytest.raises(ValueError, match="latency_ms"):
        SandboxConfig(latency_ms=(10, 1))
    with pytest.raises(TypeError):
        Sandbox().configure(no_such_setting=1)
