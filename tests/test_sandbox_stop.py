"""StopContact in the emulator, driven by plain boto3 clients: ending tasks, as `undo` will."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError
from test_sandbox import http_json, task

from importer.sandbox import defaults

INSTANCE = defaults.INSTANCE_ID
OTHER_INSTANCE = "a1b2c3d4-0000-4000-8000-000000000002"


def stop_error(client: Any, contact_id: str, **fields: Any) -> ClientError:
    with pytest.raises(ClientError) as raised:
        client.stop_contact(**{"ContactId": contact_id, "InstanceId": INSTANCE, **fields})
    return raised.value


def test_a_stopped_task_ends_and_frees_the_active_task_cap(sandbox, connect_client):
    emulator = sandbox(active_task_cap=1)
    client = connect_client(emulator.url)
    first = client.start_task_contact(**task())["ContactId"]
    with pytest.raises(client.exceptions.ServiceQuotaExceededException):
        client.start_task_contact(**task())

    answer = client.stop_contact(ContactId=first, InstanceId=INSTANCE)

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(answer) == {"ResponseMetadata"}
    second = client.start_task_contact(**task())["ContactId"]
    states = {row["ContactId"]: row for row in http_json(f"{emulator.url}/_sandbox/tasks")}
    assert states[first]["State"] == "stopped"
    assert states[first]["EndedAt"] >= states[first]["CreatedAt"]
    assert (states[second]["State"], states[second]["EndedAt"]) == ("active", None)
    counters = emulator.counters()
    assert (counters["created"], counters["stopped"], counters["active"]) == (2, 1, 1)
    assert (counters["stop_requests"], counters["requests"]) == (1, 3)


def test_a_task_already_ended_or_never_created_is_a_410_contact_not_found(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)
    stopped, closed = (client.start_task_contact(**task())["ContactId"] for _ in range(2))
    client.stop_contact(ContactId=stopped, InstanceId=INSTANCE)
    assert emulator.close_tasks() == 1

    errors = [stop_error(client, contact) for contact in (stopped, closed, str(uuid.uuid4()))]

    for error in errors:
        assert isinstance(error, client.exceptions.ContactNotFoundException)
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    assert [task["State"] for task in emulator.tasks()] == ["stopped", "closed"]
    counters = emulator.counters()
    assert (counters["stop_requests"], counters["stopped"], counters["stop_not_found"]) == (4, 1, 3)
    assert (counters["closed"], counters["active"]) == (1, 0)


def test_an_unknown_instance_is_resource_not_found_and_another_instance_has_no_such_contact(
    sandbox, connect_client
):
    emulator = sandbox(instance_ids=(INSTANCE, OTHER_INSTANCE))
    client = connect_client(emulator.url)
    contact = client.start_task_contact(**task())["ContactId"]

    unknown = stop_error(client, contact, InstanceId="no-such-instance")
    elsewhere = stop_error(client, contact, InstanceId=OTHER_INSTANCE)

    assert isinstance(unknown, client.exceptions.ResourceNotFoundException)
    assert isinstance(elsewhere, client.exceptions.ContactNotFoundException)
    assert emulator.counters()["active"] == 1


def test_a_disconnect_reason_is_refused_for_tasks_and_leaves_the_task_open(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)
    contact = client.start_task_contact(**task())["ContactId"]

    error = stop_error(client, contact, DisconnectReason={"Code": "AGENT_DISCONNECT"})

    assert isinstance(error, client.exceptions.InvalidRequestException)
    assert "outbound campaigns" in error.response["Error"]["Message"]
    assert (emulator.counters()["stop_rejected"], emulator.counters()["active"]) == (1, 1)


def test_stop_contact_has_a_token_bucket_of_its_own(sandbox, connect_client):
    emulator = sandbox(rate=0.0, burst=1, stop_rate=0.0, stop_burst=2)
    client = connect_client(emulator.url)
    contact = client.start_task_contact(**task())["ContactId"]
    with pytest.raises(client.exceptions.ThrottlingException):
        client.start_task_contact(**task())

    client.stop_contact(ContactId=contact, InstanceId=INSTANCE)
    stop_error(client, str(uuid.uuid4()))
    throttled = stop_error(client, str(uuid.uuid4()))

    assert isinstance(throttled, client.exceptions.ThrottlingException)
    assert throttled.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    counters = emulator.counters()
    assert (counters["throttled"], counters["stop_throttled"]) == (1, 1)


def test_injected_faults_hit_stop_contact_as_they_hit_start_task_contact(sandbox, connect_client):
    emulator = sandbox()
    client = connect_client(emulator.url)
    contacts = [client.start_task_contact(**task())["ContactId"] for _ in range(3)]

    emulator.configure(access_denied=True)
    denied = stop_error(client, contacts[0])
    emulator.configure(access_denied=False, fail_rate=1.0)
    failed = stop_error(client, contacts[0])
    emulator.configure(fail_rate=0.0, bad_200_rate=1.0)
    not_an_answer = client.stop_contact(ContactId=contacts[0], InstanceId=INSTANCE)
    emulator.configure(bad_200_rate=0.0, drop_before_rate=1.0)
    with pytest.raises(ConnectionClosedError):
        client.stop_contact(ContactId=contacts[0], InstanceId=INSTANCE)
    assert emulator.counters()["active"] == 3, "no fault so far stopped anything"
    emulator.configure(drop_before_rate=0.0, drop_after_rate=1.0)
    with pytest.raises(ConnectionClosedError):
        client.stop_contact(ContactId=contacts[0], InstanceId=INSTANCE)
    emulator.configure(drop_after_rate=0.0)
    retried = stop_error(client, contacts[0])

    assert isinstance(denied, client.exceptions.AccessDeniedException)
    assert isinstance(failed, client.exceptions.InternalServiceException)
    assert not_an_answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert isinstance(retried, client.exceptions.ContactNotFoundException), (
        "a retry after a lost answer finds the contact already ended"
    )
    counters = emulator.counters()
    assert (counters["active"], counters["stopped"], counters["stop_dropped_after"]) == (2, 1, 1)
    assert counters["stop_faults"] == 4
    assert counters["faults"] == 0


def test_every_stop_contact_call_counts_in_exactly_one_outcome(sandbox, connect_client):
    emulator = sandbox(stop_rate=0.0, stop_burst=45)
    client = connect_client(emulator.url)
    for _ in range(20):
        client.start_task_contact(**task())
    emulator.configure(
        fail_rate=0.15, drop_before_rate=0.1, drop_after_rate=0.2, bad_200_rate=0.1, seed=3
    )
    contacts = [row["ContactId"] for row in emulator.tasks()]
    for number in range(50):
        target = contacts[number % len(contacts)] if number % 9 else "no-such-contact"
        with contextlib.suppress(ClientError, ConnectionClosedError):
            client.stop_contact(ContactId=target, InstanceId=INSTANCE)

    counters = emulator.counters()
    outcomes = (
        "stopped",
        "stop_not_found",
        "stop_throttled",
        "stop_access_denied",
        "stop_unsigned",
        "stop_rejected",
        "stop_internal_errors",
        "stop_dropped_before",
        "stop_bad_200",
    )
    assert counters["stop_requests"] == 50 == sum(counters[name] for name in outcomes)
    seen = [name for name in (*outcomes, "stop_dropped_after") if counters[name]]
    assert len(seen) == 7, counters  # every outcome but access_denied, unsigned and rejected
    assert counters["stopped"] == sum(task["State"] == "stopped" for task in emulator.tasks())
    assert counters["active"] == 20 - counters["stopped"]
