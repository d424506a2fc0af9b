"""Every error StartTaskContact can raise is classified, and the client is configured right."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import botocore.exceptions as bce
import botocore.session
import pytest

from importer import aws
from importer.aws import ERROR_KINDS, classify
from importer.errors import RETRYABLE, ErrorKind, UsageError

URL = "https://connect.us-east-1.amazonaws.com/contact/task"


def client_error(code: str, status: int, message: str = "boom") -> bce.ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return bce.ClientError(response, "StartTaskContact")  # type: ignore[arg-type]


def declared_errors() -> list[tuple[str, int]]:
    model = botocore.session.get_session().get_service_model("connect")
    operation = model.operation_model("StartTaskContact")
    return [
        (shape.name, shape.metadata["error"]["httpStatusCode"]) for shape in operation.error_shapes
    ]


def test_botocore_declares_the_errors_we_expect() -> None:
    assert {name for name, _ in declared_errors()} >= {
        "ThrottlingException",
        "InternalServiceException",
        "ServiceQuotaExceededException",
        "ResourceNotFoundException",
        "InvalidParameterException",
        "InvalidRequestException",
    }


@pytest.mark.parametrize(("code", "status"), declared_errors())
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
    client = aws.make_client(region="us-east-1", endpoint_url=answering)
    with pytest.raises(aws.UnclearAnswer) as raised:
        aws.contact_id(client.start_task_contact(InstanceId="i", ContactFlowId="f", Name="n"))
    error = classify(raised.value)
    assert error is not None
    assert (error.kind, error.code, error.http_status) == (ErrorKind.TRANSIENT, "NoContactId", 200)
    assert error.retryable and error.maybe_created and not error.no_answer
    assert "without a ContactId" in error.message


def test_a_contact_id_is_taken_as_it_is() -> None:
    assert aws.contact_id({"ContactId": "c-1", "ContactArn": "arn"}) == "c-1"


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
