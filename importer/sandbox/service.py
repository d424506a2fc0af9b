"""The emulated service: its state behind one lock, and the answer to each call.

A StartTaskContact call is decided in the order the real service plausibly applies:
authorization, signature, rate quota, injected faults, idempotency (a remembered
ClientToken), the request rules, the resources, the active-task quota; then the task is
created. The read calls of a preflight check (importer.sandbox.resources and
importer.sandbox.sts) count in ``reads`` only and are neither rate-limited nor faulted.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import random
import threading
import time
import uuid
from collections import Counter as Tally
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from importer.sandbox import defaults, sts
from importer.sandbox.config import SandboxConfig
from importer.sandbox.counters import Counters
from importer.sandbox.errors import ServiceError, invalid_parameter
from importer.sandbox.ledger import append_task
from importer.sandbox.resources import ReadOperation
from importer.sandbox.rules import check_request, check_resources
from importer.sandbox.signature import check_signature
from importer.sandbox.token_bucket import TokenBucket

TASKS_PER_PREVIOUS_CONTACT = 12


@dataclass(frozen=True)
class Reply:
    """How to answer one call: a JSON body with a status, a raw body (``raw``, of
    ``content_type``) or a dropped connection."""

    status: int
    body: dict[str, Any]
    error_code: str | None = None
    drop: bool = False
    delay_s: float = 0.0
    raw: bytes | None = None
    content_type: str = "application/json"


_DROP = Reply(status=0, body={}, drop=True)

_LOGIN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Sign in - Corporate Proxy</title></head>\n"
    b'<body><form method="post" action="/login"><input name="user"><input name="password" '
    b'type="password"><button>Sign in</button></form></body></html>\n'
)
BAD_200_REPLIES = (
    Reply(200, {}, raw=_LOGIN_PAGE, content_type="text/html; charset=utf-8"),
    Reply(200, {}, raw=b""),
    Reply(200, {}, raw=b"{}"),
    Reply(200, {}, raw=b'{"ContactId": null}'),
)
"""What ``bad_200_rate`` answers with: 200s that are not a StartTaskContact answer."""


@dataclass(frozen=True)
class _Faults:
    delay_s: float
    drop_before: bool
    bad_200: Reply | None
    internal_error: bool
    drop_after: bool


@dataclass(frozen=True)
class _Remembered:
    body: str
    contact_id: str


class ConnectService:
    """StartTaskContact semantics over in-memory state; every method is thread-safe."""

    def __init__(self, config: SandboxConfig) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._rng = random.Random(config.seed)
        self._bucket = TokenBucket(config.rate, config.burst)
        self._counters = Counters()
        self._tokens: dict[str, _Remembered] = {}
        self._tasks: list[dict[str, Any]] = []
        self._per_previous_contact: Tally[str] = Tally()

    @property
    def config(self) -> SandboxConfig:
        with self._lock:
            return self._config

    def configure(self, **changes: Any) -> SandboxConfig:
        """Change settings (SandboxConfig field names) at once; returns the new config."""
        with self._lock:
            config = dataclasses.replace(self._config, **changes)
            self._bucket.reconfigure(config.rate, config.burst)
            if "seed" in changes:
                self._rng.seed(config.seed)
            self._config = config
            return config

    def counters(self) -> dict[str, int]:
        with self._lock:
            return self._counters.snapshot()

    def tasks(self) -> list[dict[str, Any]]:
        """The created tasks, oldest first: ContactId, ClientToken, request, CreatedAt."""
        with self._lock:
            return copy.deepcopy(self._tasks)

    def close_tasks(self, n: int | None = None) -> int:
        """Mark ``n`` active tasks (all when None) closed; returns how many were closed."""
        if n is not None and n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        with self._lock:
            active = self._counters.active
            closing = active if n is None else min(n, active)
            self._counters.closed += closing
            return closing

    def start_task(self, authorization: str | None, payload: bytes) -> Reply:
        """Answer one ``PUT /contact/task`` call."""
        with self._lock:
            self._counters.requests += 1
            faults = self._draw_faults()
            try:
                reply = self._decide(authorization, payload, faults)
            except ServiceError as error:
                self._counters.count_error(error.code)
                reply = Reply(error.status, {"Message": error.message}, error.code)
            return dataclasses.replace(reply, delay_s=faults.delay_s)

    def read(
        self, operation: ReadOperation, authorization: str | None, params: Mapping[str, str]
    ) -> Reply:
        """Answer one read call (DescribeInstance...) with ``params`` from its path."""
        with self._lock:
            self._counters.reads += 1
            config = self._config
        try:
            check_signature(authorization)
            if config.access_denied:
                raise ServiceError(
                    "AccessDeniedException",
                    f"User: {defaults.CALLER_ARN} is not authorized to perform: "
                    f"{operation.action} (sandbox access_denied mode)",
                )
            return Reply(200, operation.answer(config, params))
        except ServiceError as error:
            return Reply(error.status, {"Message": error.message}, error.code)

    def caller_identity(self, authorization: str | None, payload: bytes) -> sts.XmlReply:
        """Answer one STS ``POST /`` (GetCallerIdentity)."""
        with self._lock:
            self._counters.reads += 1
        return sts.answer(authorization, payload)

    def _draw_faults(self) -> _Faults:
        config = self._config
        low, high = config.latency_ms
        return _Faults(
            delay_s=self._rng.uniform(low, high) / 1000,
            drop_before=self._rng.random() < config.drop_before_rate,
            bad_200=self._draw_bad_200(config.bad_200_rate),
            internal_error=self._rng.random() < config.fail_rate,
            drop_after=self._rng.random() < config.drop_after_rate,
        )

    def _draw_bad_200(self, rate: float) -> Reply | None:
        """Drawn only when the fault is on, so that a seed gives the other faults the same
        draws as before this fault existed."""
        if rate and self._rng.random() < rate:
            return self._rng.choice(BAD_200_REPLIES)
        return None

    def _decide(self, authorization: str | None, payload: bytes, faults: _Faults) -> Reply:
        config = self._config
        if config.access_denied:
            raise ServiceError(
                "AccessDeniedException",
                "User is not authorized to perform: connect:StartTaskContact "
                "(sandbox access_denied mode)",
            )
        check_signature(authorization)
        if not self._bucket.take():
            raise ServiceError("ThrottlingException", "Rate exceeded")
        if faults.drop_before:
            self._counters.dropped_before += 1
            return _DROP
        if faults.bad_200 is not None:
            self._counters.bad_200 += 1
            return faults.bad_200
        if faults.internal_error:
            raise ServiceError(
                "InternalServiceException", "Request processing failed (sandbox fail_rate)"
            )
        request = _parse(payload)
        token = request.get("ClientToken")
        body = _canonical(request)
        if isinstance(token, str) and token in self._tokens:
            return self._replay(token, body)
        check_request(request, now=time.time())
        check_resources(request, config)
        self._check_quota(request, config)
        contact_id = self._create(request, token, body, config)
        if faults.drop_after:
            self._counters.dropped_after += 1
            return _DROP
        return Reply(200, {"ContactId": contact_id})

    def _replay(self, token: str, body: str) -> Reply:
        remembered = self._tokens[token]
        if remembered.body != body:
            raise ServiceError(
                "IdempotentParameterMismatchException",
                f"ClientToken '{token}' was already used with different parameters "
                f"(ContactId {remembered.contact_id})",
            )
        self._counters.replays += 1
        return Reply(200, {"ContactId": remembered.contact_id})

    def _check_quota(self, request: dict[str, Any], config: SandboxConfig) -> None:
        cap = config.active_task_cap
        if cap is not None and self._counters.active >= cap:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"The instance has {self._counters.active} active tasks, its quota is {cap}",
            )
        previous = request.get("PreviousContactId")
        if previous and self._per_previous_contact[previous] >= TASKS_PER_PREVIOUS_CONTACT:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"{TASKS_PER_PREVIOUS_CONTACT} tasks already have PreviousContactId '{previous}'",
            )

    def _create(self, request: dict[str, Any], token: Any, body: str, config: SandboxConfig) -> str:
        task = {
            "ContactId": str(uuid.uuid4()),
            "ClientToken": token,
            "request": request,
            "CreatedAt": time.time(),
        }
        if config.ledger_path is not None:
            try:
                append_task(config.ledger_path, task)
            except OSError as error:
                raise ServiceError(
                    "InternalServiceException", f"sandbox ledger not writable: {error}"
                ) from error
        self._tasks.append(task)
        self._counters.created += 1
        if isinstance(token, str):
            self._tokens[token] = _Remembered(body, task["ContactId"])
        if request.get("PreviousContactId"):
            self._per_previous_contact[request["PreviousContactId"]] += 1
        return task["ContactId"]


def _parse(payload: bytes) -> dict[str, Any]:
    try:
        request = json.loads(payload or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise invalid_parameter(f"The request body is not JSON: {error}") from error
    if not isinstance(request, dict):
        raise invalid_parameter("The request body must be a JSON object")
    return request


def _canonical(request: dict[str, Any]) -> str:
    """The request without its ClientToken, as the text idempotency compares."""
    rest = {name: value for name, value in request.items() if name != "ClientToken"}
    return json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
