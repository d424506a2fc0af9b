"""The only module that knows boto3: the factory of every session and client, the adapter
that makes a Connect client the executor's ``submit``, and the one place botocore's
exceptions become our ApiError kinds.

The executor sends requests through a plain callable, ``submit(request) -> id``, that raises
ApiError: :func:`task_submitter` is the one built from boto3 (StartTaskContact),
:func:`stop_submitter` undo's (StopContact). Other calls (preflight's reads) go through
:func:`call`, which classifies their failures the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import botocore.exceptions as bce

from importer import __version__
from importer.errors import ApiError, ErrorKind, UsageError

if TYPE_CHECKING:
    import boto3.session
    from botocore.config import Config

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
_SERVICE_NAMES = {"connect": "Amazon Connect", "sts": "STS", "s3": "S3"}
_RETRIED_HERE = frozenset({"connect", "sts"})
"""Services whose calls the importer retries itself (the executor, preflight): botocore's
retries are off so that one layer sees and counts every attempt, our timeouts apply, and
the credentials are resolved when the client is made, before anything is sent. S3
transfers, which nothing here retries, keep botocore's retries and timeouts; an S3 client
is made at its first use, which may come after tasks were sent, so missing credentials
fail that S3 operation (an input-file error about that file) rather than the command."""


ERROR_KINDS: dict[str, ErrorKind] = {
    # Declared by StartTaskContact in botocore's Connect model.
    "ThrottlingException": ErrorKind.THROTTLE,
    "InternalServiceException": ErrorKind.TRANSIENT,
    "ServiceQuotaExceededException": ErrorKind.QUOTA,
    "ResourceNotFoundException": ErrorKind.CONFIG_NOT_FOUND,
    "InvalidParameterException": ErrorKind.ROW_INVALID,
    "InvalidRequestException": ErrorKind.ROW_INVALID,
    # Common to every AWS API, or declared by other Connect operations.
    "AccessDeniedException": ErrorKind.ACCESS_DENIED,
    "UnrecognizedClientException": ErrorKind.ACCESS_DENIED,
    "InvalidSignatureException": ErrorKind.ACCESS_DENIED,
    "SignatureDoesNotMatch": ErrorKind.ACCESS_DENIED,
    "InvalidClientTokenId": ErrorKind.ACCESS_DENIED,
    "MissingAuthenticationToken": ErrorKind.ACCESS_DENIED,
    "MissingAuthenticationTokenException": ErrorKind.ACCESS_DENIED,
    "ExpiredToken": ErrorKind.ACCESS_DENIED,
    "ExpiredTokenException": ErrorKind.ACCESS_DENIED,
    "RequestExpired": ErrorKind.ACCESS_DENIED,
    "TooManyRequestsException": ErrorKind.THROTTLE,
    "LimitExceededException": ErrorKind.THROTTLE,
    "Throttling": ErrorKind.THROTTLE,
    "RequestLimitExceeded": ErrorKind.THROTTLE,
    "InternalServerException": ErrorKind.TRANSIENT,
    "InternalFailure": ErrorKind.TRANSIENT,
    "ServiceUnavailable": ErrorKind.TRANSIENT,
    "ServiceUnavailableException": ErrorKind.TRANSIENT,
    "RequestTimeout": ErrorKind.TRANSIENT,
    "RequestTimeoutException": ErrorKind.TRANSIENT,
    "ContactFlowNotPublishedException": ErrorKind.CONFIG_NOT_FOUND,
    "IdempotentParameterMismatchException": ErrorKind.MISMATCH,
    "IdempotentParameterMismatch": ErrorKind.MISMATCH,
    "IdempotencyException": ErrorKind.MISMATCH,
    "ValidationException": ErrorKind.ROW_INVALID,
    "SerializationException": ErrorKind.ROW_INVALID,
    # Declared by StopContact: ContactNotFound (410) is a success to undo (stop_submitter);
    # InvalidActiveRegion (400): sent to the Region that is not active (Global Resiliency),
    # as every request would be: the first-rows breaker stops the run.
    "ContactNotFoundException": ErrorKind.ROW_INVALID,
    "InvalidActiveRegionException": ErrorKind.ROW_INVALID,
}
"""Error codes by name; codes not listed fall back on their HTTP status."""

_ACCESS_DENIED_STATUS = frozenset({401, 403})
_TRANSIENT_STATUS = frozenset({500, 502, 503, 504})

# Transport faults. Those raised before a connection exists cannot have created a task.
_NOT_SENT = (bce.ConnectTimeoutError, bce.EndpointConnectionError, bce.ProxyConnectionError)
_MAYBE_SENT = (bce.ConnectionClosedError, bce.ReadTimeoutError, bce.HTTPClientError)
_NO_ANSWER = (*_NOT_SENT, bce.ReadTimeoutError)
"""Nothing came back: no connection, or no answer in time."""
NO_CONTACT_ID = "NoContactId"
"""The error code of a 2xx answer without a ContactId (see :func:`task_submitter`)."""
UNREADABLE_ANSWER = "UnreadableAnswer"
"""The error code of a 2xx StopContact answer that is not Amazon Connect's (see
:func:`stop_submitter`)."""
CONTACT_STOPPED = "stopped"
"""What :func:`stop_submitter` returns when StopContact ended the contact."""
CONTACT_NOT_FOUND = "ContactNotFoundException"
"""What :func:`stop_submitter` returns when the contact had already ended or was not found."""
_NO_CREDENTIALS = (
    bce.NoCredentialsError,
    bce.PartialCredentialsError,
    bce.CredentialRetrievalError,
    bce.TokenRetrievalError,
    bce.SSOError,
)


_T = TypeVar("_T")
_UNREADABLE_HOOK = "connect-task-importer-unreadable-answer"
"""The unique id of the hook that refuses an unreadable answer (registered once per client
and operation: botocore's unique ids are the client's, whatever the event)."""


def call(operation: Callable[..., _T], /, **params: Any) -> _T:
    """``operation(**params)``, a boto3 client's method; raises what botocore raised as the
    ApiError :func:`classify` makes of it. Anything else (a bug) is raised as it is."""
    try:
        return operation(**params)
    except Exception as raised:
        error = classify(raised)
        if error is None:
            raise
        raise error from raised


def task_submitter(client: Any) -> Callable[[Mapping[str, Any]], str]:
    """The executor's ``submit`` on a Connect client: StartTaskContact with a request's
    keyword arguments, returning the ContactId; raises ApiError.

    A 2xx answer without a non-empty ContactId is not Amazon Connect's answer (a proxy's
    login page, an empty body, ``{}``): whether a task was created is unknown, so it is a
    transient NoContactId error that may have created a task, and the row is retried under
    the same ClientToken."""
    client.meta.events.register(
        "before-parse.connect.StartTaskContact",
        _refuse_unreadable_answer,
        unique_id=_UNREADABLE_HOOK,
    )

    def start_task(request: Mapping[str, Any]) -> str:
        return _contact_id(call(client.start_task_contact, **request))

    return start_task


def stop_submitter(client: Any) -> Callable[[Mapping[str, Any]], str]:
    """undo's ``submit`` on a Connect client: StopContact with a request's ContactId and
    InstanceId; returns CONTACT_STOPPED, or CONTACT_NOT_FOUND when Amazon Connect answers
    ContactNotFoundException (410): the contact has already ended (a stop whose answer was
    lost and was sent again, a task an agent closed) or does not exist, so it counts as
    stopped. Every other error is raised as ApiError, classified as any other call's.

    A 2xx answer whose body is not a JSON object (a proxy's HTML page) is no answer of
    Amazon Connect's: a transient error that may have stopped the contact, sent again. (An
    empty body or ``{}`` is taken for the answer it looks like: StopContact's answer has no
    members.)"""
    client.meta.events.register(
        "before-parse.connect.StopContact",
        _refuse_unreadable_answer,
        unique_id=f"{_UNREADABLE_HOOK}-stop",
    )

    def stop_contact(request: Mapping[str, Any]) -> str:
        try:
            call(
                client.stop_contact,
                ContactId=request["ContactId"],
                InstanceId=request["InstanceId"],
            )
        except ApiError as error:
            if error.code == CONTACT_NOT_FOUND:
                return CONTACT_NOT_FOUND
            raise
        return CONTACT_STOPPED

    return stop_contact


def _unclear_answer(
    http_status: int | None, content_type: str, what: str, operation: str = "StartTaskContact"
) -> ApiError:
    if operation == "StopContact":
        message = (
            f"an HTTP {http_status} answer that is not Amazon Connect's ({what}; Content-Type "
            f"{content_type or 'none'}), perhaps a proxy's page"
        )
        return ApiError(
            ErrorKind.TRANSIENT, UNREADABLE_ANSWER, message, http_status, maybe_created=True
        )
    message = (
        f"an HTTP {http_status} answer without a ContactId ({what}; Content-Type "
        f"{content_type or 'none'}): not Amazon Connect's answer, perhaps a proxy's page"
    )
    return ApiError(ErrorKind.TRANSIENT, NO_CONTACT_ID, message, http_status, maybe_created=True)


def _contact_id(response: Mapping[str, Any]) -> str:
    """The ContactId of a StartTaskContact answer; an unclear answer if it holds none."""
    value = response.get("ContactId")
    if isinstance(value, str) and value.strip():
        return value
    metadata = response.get("ResponseMetadata", {})
    what = "no ContactId" if value is None else f"ContactId {json.dumps(value)}"
    raise _unclear_answer(
        metadata.get("HTTPStatusCode"),
        metadata.get("HTTPHeaders", {}).get("content-type", ""),
        what,
    )


def _refuse_unreadable_answer(
    response_dict: Mapping[str, Any], event_name: str = "", **_: Any
) -> None:
    """A hook run before botocore parses an answer: a 2xx body that is not a JSON object is
    an unclear answer, raised through botocore as ApiError. (botocore's rest-json parser
    reads a body that is not JSON, such as an HTML page, as an answer without a ContactId,
    and raises TypeError, AttributeError or UnicodeDecodeError on ``null``, ``[]`` or a body
    that is not UTF-8.)"""
    status = response_dict.get("status_code") or 0
    body = response_dict.get("body") or b""
    if not 200 <= status < 300 or not body:
        return
    try:
        parsed = json.loads(body.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError
        parsed = None
    if not isinstance(parsed, dict):
        content_type = response_dict.get("headers", {}).get("content-type", "")
        operation = event_name.rpartition(".")[2]
        raise _unclear_answer(status, content_type, "a body that is not a JSON object", operation)


def kind_for(code: str, http_status: int | None) -> ErrorKind:
    """The kind of an error answer: by its code, else by its HTTP status."""
    if code in ERROR_KINDS:
        return ERROR_KINDS[code]
    if http_status == 429:
        return ErrorKind.THROTTLE
    if http_status in _ACCESS_DENIED_STATUS:
        return ErrorKind.ACCESS_DENIED
    if http_status == 402:
        return ErrorKind.QUOTA
    if http_status == 404:
        return ErrorKind.CONFIG_NOT_FOUND
    if http_status is None or http_status >= 500:
        return ErrorKind.TRANSIENT
    return ErrorKind.ROW_INVALID


def classify(error: BaseException) -> ApiError | None:
    """Classify an exception a boto3 call raised; None if it is not an AWS error."""
    if isinstance(error, bce.ClientError):
        details = error.response.get("Error", {})
        metadata = error.response.get("ResponseMetadata", {})
        code = str(details.get("Code") or "")
        status = metadata.get("HTTPStatusCode")
        message = str(details.get("Message") or details.get("message") or code)
        kind = kind_for(code, status)
        return ApiError(
            kind,
            code or f"HTTP{status}",
            message,
            status,
            maybe_created=kind is ErrorKind.TRANSIENT,
        )
    if isinstance(error, (*_NOT_SENT, *_MAYBE_SENT)):
        return ApiError(
            ErrorKind.TRANSIENT,
            type(error).__name__,
            str(error),
            maybe_created=not isinstance(error, _NOT_SENT),
            no_answer=isinstance(error, _NO_ANSWER),
        )
    if isinstance(error, _NO_CREDENTIALS):
        return ApiError(ErrorKind.ACCESS_DENIED, type(error).__name__, str(error))
    if isinstance(error, bce.ParamValidationError):
        return ApiError(ErrorKind.ROW_INVALID, "ParamValidation", str(error))
    if isinstance(error, bce.BotoCoreError):
        return ApiError(ErrorKind.TRANSIENT, type(error).__name__, str(error))
    return None


def client_config(
    service: str,
    concurrency: int = 4,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
) -> Config:
    """botocore settings for a ``service`` client: our user agent; for the services we retry
    ourselves, botocore's retries off, our timeouts and a connection per worker."""
    from botocore.config import Config  # loaded when a client is made, not at start-up

    config = Config(user_agent_extra=f"connect-task-importer/{__version__}")
    if service not in _RETRIED_HERE:
        return config
    return config.merge(
        Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max(10, concurrency),
        )
    )


_PRESIGNING = {"signature_version": "s3v4", "s3": {"addressing_style": "virtual"}}


def make_client(
    *,
    service: str = "connect",
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    concurrency: int = 4,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
    access_keys: tuple[str, str] | None = None,
    presigning: bool = False,
) -> Any:
    """A boto3 client (Connect unless ``service`` says e.g. ``sts`` or ``s3``), made from a
    session of its own (which reads botocore's model files through the process's shared
    loader): the one place the importer makes sessions and clients. Clients are shared by
    all worker threads (boto3 clients are thread-safe).

    ``endpoint_url`` None: botocore's own configuration decides, including
    ``AWS_ENDPOINT_URL_<SERVICE>``. ``access_keys`` (an access key id and secret) replace the
    AWS configuration's credentials: a sandbox's dummy ones. ``presigning`` (S3): links
    signed with SigV4 (botocore's default for presigned S3 links may still be SigV2) for
    the bucket's regional, virtual-hosted address (the legacy global one does not reach
    buckets in Regions opened since 2019; an endpoint at an IP address keeps path style).
    A bad profile, no region or a client botocore cannot make is a UsageError; so are
    missing credentials for the services we send to (see :data:`_RETRIED_HERE`)."""
    # boto3 and botocore's session are loaded here, not at start-up: validate makes no client
    import boto3.session
    import botocore.session
    from botocore.config import Config

    from importer.model_loader import boto3_data, shared_loader

    key_id, secret = access_keys or (None, None)
    try:
        core = botocore.session.Session(profile=profile)
        loader = shared_loader(core.get_config_variable("data_path"), boto3_data())
        core.register_component("data_loader", loader)
        session = boto3.session.Session(
            botocore_session=core,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            profile_name=profile,
            region_name=region,
        )
        config = client_config(service, concurrency, connect_timeout, read_timeout)
        if presigning:
            config = config.merge(Config(**_PRESIGNING))
        client = session.client(service, endpoint_url=endpoint_url, config=config)
    except bce.ProfileNotFound as error:
        raise UsageError(f"AWS profile '{profile}' not found in your AWS config") from error
    except bce.NoRegionError as error:
        raise UsageError(
            "no AWS region: pass --region or set AWS_REGION (the instance's region)"
        ) from error
    except (ValueError, bce.BotoCoreError) as error:
        name = _SERVICE_NAMES.get(service, service)
        raise UsageError(f"cannot create the {name} client: {error}") from error
    if service in _RETRIED_HERE:
        require_credentials(session, profile)
    return client


_PROVIDE_CREDENTIALS = (
    "Provide them in one of the usual ways: the environment variables AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary ones); a profile in ~/.aws "
    "chosen with --profile NAME or AWS_PROFILE (set one up with 'aws configure', or sign "
    "in with 'aws sso login --profile NAME'); or an instance or task role where this runs. "
    "Nothing was sent"
)


def require_credentials(session: boto3.session.Session, profile: str | None = None) -> None:
    """Resolve the session's credentials now, before anything is sent, so that missing or
    expired ones are reported as such (exit 2) rather than as Amazon Connect refusing them.
    The credentials themselves are never shown."""
    try:
        credentials = session.get_credentials()
        if credentials is not None:
            credentials.get_frozen_credentials()
    except (bce.BotoCoreError, bce.ClientError) as error:
        raise UsageError(
            f"the AWS credentials could not be loaded ({type(error).__name__}: {error}). "
            f"{_PROVIDE_CREDENTIALS}"
        ) from None
    if credentials is None:
        named = f" for the profile '{profile}'" if profile else ""
        raise UsageError(f"no AWS credentials found{named}. {_PROVIDE_CREDENTIALS}")
