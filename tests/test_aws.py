"""The boto3 side: every error StartTaskContact can raise is classified, the executor's
``submit`` built from a Connect client answers as the wire does, and clients are configured
right."""

from __future__ import annotations

import http.server
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.exceptions as bce
import botocore.session
import pytest

from importer import __version__, aws
from importer.aws import ERROR_KINDS, classify
from importer.errors import RETRYABLE, ApiError, ErrorKind, UsageError
from importer.sandbox import Sandbox, defaults

URL = "https://connect.us-east-1.amazonaws.com/contact/task"


def client_error(code: str, status: int, message: str = "boom") -> bce.ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return bce.ClientError(response, "StartTaskContact")  # type: ignore[arg-type]


def declared_errors(*operations: str) -> list[tuple[str, int]]:
    model = botocore.session.get_session().get_service_model("connect")
    return sorted(
        {
            (shape.name, shape.metadata["error"]["httpStatusCode"])
            for name in operations or ("StartTaskContact",)
            for shape in model.operation_model(name).error_shapes
        }
    )


def test_botocore_declares_the_errors_we_expect() -> None:
    assert {name for name, _ in declared_errors()} >= {
        "ThrottlingException",
        "InternalServiceException",
        "ServiceQuotaExceededException",
        "ResourceNotFoundException",
        "InvalidParameterException",
        "InvalidRequestException",
    }


@pytest.mark.parametrize(("code", "status"), declared_errors("StartTaskContact", "StopContact"))
def test_every_declared_error_is_in_the_map(code: str, status: int) -> None:
    assert code in ERROR_KINDS
    error = classify(client_error(code, status))
    assert error is not None
    assert error.kind is ERROR_KINDS[code]
    assert (error.code, error.message, error.http_status) == (code, "boom", status)


TRANSPORT = [
    (bce.ConnectionClosedError(endpoint_url=URL), True, False),
    (bce.ReadTimeoutError(endpoint_url=URL), True, True),
    (bce.EndpointConnectionError(endpoint_url=URL), False, True),
    (bce.ConnectTimeoutError(endpoint_url=URL), False, True),
]


def transport_exceptions() -> list[type[Exception]]:
    """Every transport fault botocore defines: no connection, or no (whole) answer."""
    return [
        cls
        for _, cls in inspect.getmembers(bce, inspect.isclass)
        if issubclass(cls, (bce.ConnectionError, bce.HTTPClientError))
    ]


@pytest.mark.parametrize("cls", transport_exceptions(), ids=lambda cls: cls.__name__)
def test_every_transport_fault_is_retried_and_may_have_created_a_task_once_sent(
    cls: type[Exception],
) -> None:
    raised = cls.__new__(cls)
    Exception.__init__(raised, "fault")
    error = classify(raised)
    assert error is not None
    assert (error.kind, error.code) == (ErrorKind.TRANSIENT, cls.__name__)
    # An HTTP client error comes once the request may be out; a connection error before.
    assert error.maybe_created is issubclass(cls, bce.HTTPClientError)


@pytest.mark.parametrize(("exception", "maybe_created", "no_answer"), TRANSPORT)
def test_transport_errors_are_transient(
    exception: Exception, maybe_created: bool, no_answer: bool
) -> None:
    error = classify(exception)
    assert error is not None
    assert error.kind is ErrorKind.TRANSIENT
    assert error.retryable
    assert error.code == type(exception).__name__
    assert error.maybe_created is maybe_created
    assert error.no_answer is no_answer


class OneAnswer(http.server.BaseHTTPRequestHandler):
    """Answers every request with HTTP 200 and ``body``."""

    body = b""

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_POST = do_PUT  # StopContact

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def answering() -> Iterator[str]:
    """The URL of a server that answers 200 with ``OneAnswer.body``."""
    server = http.server.HTTPServer(("127.0.0.1", 0), OneAnswer)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "body",
    [b"null", b"[]", b'"text"', b"\xff\xfe<html>", b"<html>Sign in</html>", b"", b"{}"]
    + [b'{"ContactId": %s}' % value for value in (b"null", b'""', b'"  "', b"5", b"{}")],
)
def test_a_200_without_a_contact_id_is_an_unclear_answer_that_may_have_created_a_task(
    answering: str, body: bytes
) -> None:
    OneAnswer.body = body
    submit = aws.task_submitter(aws.make_client(region="us-east-1", endpoint_url=answering))
    with pytest.raises(ApiError) as raised:
        submit({"InstanceId": "i", "ContactFlowId": "f", "Name": "n"})
    error = raised.value
    assert (error.kind, error.code, error.http_status) == (ErrorKind.TRANSIENT, "NoContactId", 200)
    assert error.retryable and error.maybe_created and not error.no_answer
    assert "without a ContactId" in error.message


def test_a_contact_id_is_taken_as_it_is(answering: str) -> None:
    OneAnswer.body = b'{"ContactId": "c-1", "ContactArn": "arn"}'
    submit = aws.task_submitter(aws.make_client(region="us-east-1", endpoint_url=answering))
    assert submit({"InstanceId": "i", "ContactFlowId": "f", "Name": "n"}) == "c-1"


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ThrottlingException", 429, ErrorKind.THROTTLE),
        ("TooManyRequestsException", 429, ErrorKind.THROTTLE),
        ("InternalServiceException", 500, ErrorKind.TRANSIENT),
        ("ServiceQuotaExceededException", 402, ErrorKind.QUOTA),
        ("AccessDeniedException", 403, ErrorKind.ACCESS_DENIED),
        ("ExpiredTokenException", 400, ErrorKind.ACCESS_DENIED),
        ("ResourceNotFoundException", 404, ErrorKind.CONFIG_NOT_FOUND),
        ("InvalidParameterException", 400, ErrorKind.ROW_INVALID),
        ("InvalidRequestException", 400, ErrorKind.ROW_INVALID),
        ("IdempotentParameterMismatchException", 400, ErrorKind.MISMATCH),
        ("IdempotencyException", 409, ErrorKind.MISMATCH),
        # Codes we have never heard of: the HTTP status decides.
        ("SomethingNew", 429, ErrorKind.THROTTLE),
        ("SomethingNew", 502, ErrorKind.TRANSIENT),
        ("SomethingNew", 503, ErrorKind.TRANSIENT),
        ("SomethingNew", 504, ErrorKind.TRANSIENT),
        ("SomethingNew", 403, ErrorKind.ACCESS_DENIED),
        ("SomethingNew", 402, ErrorKind.QUOTA),
        ("SomethingNew", 404, ErrorKind.CONFIG_NOT_FOUND),
        ("SomethingNew", 400, ErrorKind.ROW_INVALID),
        ("SomethingNew", 409, ErrorKind.ROW_INVALID),
    ],
)
def test_kinds(code: str, status: int, kind: ErrorKind) -> None:
    error = classify(client_error(code, status))
    assert error is not None
    assert error.kind is kind


def test_only_throttles_and_transient_faults_are_retried() -> None:
    assert {ErrorKind.THROTTLE, ErrorKind.TRANSIENT} == RETRYABLE
    for code, status in [("InvalidParameterException", 400), ("ResourceNotFoundException", 404)]:
        error = classify(client_error(code, status))
        assert error is not None
        assert not error.retryable


def test_a_service_500_may_have_created_the_task_but_a_400_did_not() -> None:
    assert classify(client_error("InternalServiceException", 500)).maybe_created  # type: ignore[union-attr]
    assert not classify(client_error("InvalidRequestException", 400)).maybe_created  # type: ignore[union-attr]
    assert not classify(client_error("ThrottlingException", 429)).maybe_created  # type: ignore[union-attr]


def test_missing_credentials_stop_the_run_and_bugs_are_not_classified() -> None:
    assert classify(bce.NoCredentialsError()).kind is ErrorKind.ACCESS_DENIED  # type: ignore[union-attr]
    assert classify(bce.ParamValidationError(report="bad")).kind is ErrorKind.ROW_INVALID  # type: ignore[union-attr]
    assert classify(ValueError("a bug")) is None
    assert classify(KeyError("ContactId")) is None


def test_message_falls_back_on_lowercase_message_and_code() -> None:
    response = {"Error": {"Code": "X", "message": "lower"}, "ResponseMetadata": {}}
    error = classify(bce.ClientError(response, "StartTaskContact"))  # type: ignore[arg-type]
    assert error is not None
    assert error.message == "lower"
    assert error.kind is ErrorKind.TRANSIENT  # no status at all: assume a fault


def test_client_has_botocore_retries_off_and_a_connection_per_worker() -> None:
    client = aws.make_client(
        region="eu-west-2", endpoint_url="http://127.0.0.1:9", concurrency=32, read_timeout=7
    )
    config = client.meta.config
    assert config.retries["total_max_attempts"] == 1
    assert config.max_pool_connections >= 32
    assert config.read_timeout == 7
    assert config.connect_timeout == aws.CONNECT_TIMEOUT
    assert client.meta.region_name == "eu-west-2"
    assert client.meta.endpoint_url == "http://127.0.0.1:9"


def test_unknown_profile_and_missing_region_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(UsageError, match="profile 'nope'"):
        aws.make_client(profile="nope", region="us-east-1")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(UsageError, match="region"):
        aws.make_client()


def test_s3_keeps_botocores_retries_and_timeouts_and_every_client_names_the_importer() -> None:
    connect = aws.make_client(region="eu-west-2", endpoint_url="http://127.0.0.1:9")
    sts = aws.make_client(service="sts", region="eu-west-2")
    s3 = aws.make_client(service="s3", region="eu-west-2")
    plain = boto3.session.Session(region_name="eu-west-2").client("s3").meta.config
    assert sts.meta.config.retries["total_max_attempts"] == 1
    assert (s3.meta.config.retries, s3.meta.config.read_timeout) == (
        plain.retries,
        plain.read_timeout,
    )
    for client in (connect, sts, s3):
        assert client.meta.config.user_agent_extra == f"connect-task-importer/{__version__}"


def test_credentials_are_checked_when_a_connect_client_is_made_unless_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(UsageError, match="no AWS credentials found"):
        aws.make_client(region="us-east-1")
    aws.make_client(region="us-east-1", access_keys=("sandbox", "sandbox"))
    aws.make_client(service="s3", region="us-east-1")  # checked by its first S3 operation


# --- the executor's submit, over the wire to the sandbox ----------------------------------


def task(**fields: Any) -> dict[str, Any]:
    return {
        "InstanceId": defaults.INSTANCE_ID,
        "ContactFlowId": defaults.CONTACT_FLOW_IDS[0],
        "Name": "A task",
        "ClientToken": "row-1",
        **fields,
    }


Submit = Callable[[dict[str, Any]], str]


def submit_to(url: str) -> Submit:
    client = aws.make_client(region=defaults.REGION, endpoint_url=url, read_timeout=5)
    return aws.task_submitter(client)


def refusal(submit: Submit, request: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as raised:
        submit(request)
    return raised.value


def test_submit_returns_the_contact_id_and_a_repeated_token_the_same_one(
    sandbox: Callable[..., Sandbox],
) -> None:
    emulator = sandbox()
    submit = submit_to(emulator.url)
    contact_id = submit(task())
    assert submit(task()) == contact_id
    assert [created["ContactId"] for created in emulator.tasks()] == [contact_id]


@pytest.mark.parametrize(
    ("config", "fields", "kind", "code", "status"),
    [
        ({"access_denied": True}, {}, ErrorKind.ACCESS_DENIED, "AccessDeniedException", 403),
        ({"fail_rate": 1.0}, {}, ErrorKind.TRANSIENT, "InternalServiceException", 500),
        ({"active_task_cap": 0}, {}, ErrorKind.QUOTA, "ServiceQuotaExceededException", 402),
        (
            {},
            {"ContactFlowId": "f10f10f1-0000-4000-8000-00000000dead"},
            ErrorKind.CONFIG_NOT_FOUND,
            "ResourceNotFoundException",
            404,
        ),
        ({}, {"ScheduledTime": 1}, ErrorKind.ROW_INVALID, "InvalidRequestException", 400),
        ({}, {"Name": 5}, ErrorKind.ROW_INVALID, "ParamValidation", None),
    ],
)
def test_submit_raises_what_the_service_answers_as_our_api_error(
    sandbox: Callable[..., Sandbox],
    config: dict[str, Any],
    fields: dict[str, Any],
    kind: ErrorKind,
    code: str,
    status: int | None,
) -> None:
    emulator = sandbox(**config)
    error = refusal(submit_to(emulator.url), task(**fields))
    assert (error.kind, error.code, error.http_status) == (kind, code, status)
    assert error.maybe_created is (kind is ErrorKind.TRANSIENT)
    assert emulator.tasks() == []


def test_submit_raises_a_throttle_past_the_burst(sandbox: Callable[..., Sandbox]) -> None:
    submit = submit_to(sandbox(rate=0.0, burst=1).url)
    submit(task())
    error = refusal(submit, task(ClientToken="row-2"))
    assert (error.kind, error.code, error.http_status) == (
        ErrorKind.THROTTLE,
        "ThrottlingException",
        429,
    )
    assert error.retryable and not error.maybe_created


def test_submit_raises_a_mismatch_for_a_token_sent_with_another_body(
    sandbox: Callable[..., Sandbox],
) -> None:
    submit = submit_to(sandbox().url)
    submit(task())
    error = refusal(submit, task(Name="Edited since"))
    assert (error.kind, error.code) == (ErrorKind.MISMATCH, "IdempotentParameterMismatchException")


def test_submit_says_whether_a_lost_answer_may_have_created_a_task(
    sandbox: Callable[..., Sandbox],
) -> None:
    emulator = sandbox(drop_after_rate=1.0)
    dropped = refusal(submit_to(emulator.url), task())
    assert (dropped.kind, dropped.code) == (ErrorKind.TRANSIENT, "ConnectionClosedError")
    assert dropped.maybe_created and not dropped.no_answer
    assert len(emulator.tasks()) == 1

    nowhere = refusal(submit_to("http://127.0.0.1:9"), task())
    assert (nowhere.kind, nowhere.code) == (ErrorKind.TRANSIENT, "EndpointConnectionError")
    assert nowhere.no_answer and not nowhere.maybe_created


def test_an_exception_that_is_no_aws_error_is_raised_as_it_is(answering: str) -> None:
    submit = aws.task_submitter(aws.make_client(region="us-east-1", endpoint_url=answering))
    with pytest.raises(TypeError):
        submit(None)  # type: ignore[arg-type]


# --- undo's submit: StopContact ------------------------------------------------------------


def stop_to(url: str) -> Submit:
    client = aws.make_client(region=defaults.REGION, endpoint_url=url, read_timeout=5)
    return aws.stop_submitter(client)


def test_stop_says_stopped_and_a_contact_already_ended_is_not_found_not_an_error(
    sandbox: Callable[..., Sandbox],
) -> None:
    emulator = sandbox()
    contact_id = submit_to(emulator.url)(task())
    stop = stop_to(emulator.url)
    request = {"ContactId": contact_id, "InstanceId": defaults.INSTANCE_ID}

    assert stop(request) == aws.CONTACT_STOPPED
    assert stop(request) == aws.CONTACT_NOT_FOUND
    assert stop({**request, "ContactId": "never-created"}) == aws.CONTACT_NOT_FOUND
    assert [row["State"] for row in emulator.tasks()] == ["stopped"]


def test_stop_raises_every_other_refusal_classified(sandbox: Callable[..., Sandbox]) -> None:
    emulator = sandbox(access_denied=True)
    request = {"ContactId": "c-1", "InstanceId": defaults.INSTANCE_ID}
    denied = refusal(stop_to(emulator.url), request)
    emulator.configure(access_denied=False)
    unknown = refusal(stop_to(emulator.url), {**request, "InstanceId": "not-an-instance"})

    assert (denied.kind, denied.code) == (ErrorKind.ACCESS_DENIED, "AccessDeniedException")
    assert (unknown.kind, unknown.code) == (ErrorKind.CONFIG_NOT_FOUND, "ResourceNotFoundException")


@pytest.mark.parametrize("body", [b"<html>Sign in</html>", b"null", b"[]", b"\xff\xfe<html>"])
def test_a_200_to_a_stop_that_is_no_json_object_is_unclear_and_retried(
    answering: str, body: bytes
) -> None:
    OneAnswer.body = body
    with pytest.raises(ApiError) as raised:
        stop_to(answering)({"ContactId": "c-1", "InstanceId": "i"})
    error = raised.value
    assert (error.kind, error.code, error.http_status) == (
        ErrorKind.TRANSIENT,
        aws.UNREADABLE_ANSWER,
        200,
    )
    assert error.retryable and error.maybe_created
    assert "not Amazon Connect's" in error.message


@pytest.mark.parametrize("body", [b"", b"{}"])
def test_an_empty_200_to_a_stop_is_its_answer(answering: str, body: bytes) -> None:
    OneAnswer.body = body
    assert stop_to(answering)({"ContactId": "c-1", "InstanceId": "i"}) == aws.CONTACT_STOPPED
