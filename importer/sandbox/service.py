"""The emulated service: its state behind one lock, and the answer to each call.

A StartTaskContact or StopContact call is decided in the order the real service plausibly
applies: authorization, signature, rate quota (each operation has its own token bucket,
as AWS defines throttling limits per API), injected faults, then the operation itself.
StartTaskContact: idempotency (a remembered ClientToken), the request rules, the
resources and the task template, the active-task quota; then the task is created.
StopContact: the request rules, the instance, then the contact: a task of that instance
that has not ended is stopped; any other ContactId (unknown, of another instance, or
already ended) answers ContactNotFoundException (410). The read calls
(importer.sandbox.resources, importer.sandbox.users, importer.sandbox.sts) count in
``reads`` only and are neither rate-limited nor faulted.
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from importer.sandbox import defaults, sts
from importer.sandbox.config import SandboxConfig
from importer.sandbox.counters import Counters
from importer.sandbox.errors import ServiceError, invalid_parameter
from importer.sandbox.ledger import append_task
from importer.sandbox.resources import ReadOperation
from importer.sandbox.rules import (
    check_request,
    check_resources,
    check_stop_request,
    known_instance,
)
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


@dataclass(frozen=True)
class _Operation:
    """A rate-limited, faulted call: its name, its counters' prefix and its success counter."""

    name: str
    prefix: str
    success: str


START = _Operation("StartTaskContact", "", "created")
STOP = _Operation("StopContact", "stop_", "stopped")

ACTIVE, STOPPED, CLOSED = "active", "stopped", "closed"
"""A task's State: open, ended by StopContact, or closed by ``close_tasks`` (as by an agent)."""


class ConnectService:
    """StartTaskContact and StopContact semantics over in-memory state; every method is
    thread-safe."""

    def __init__(self, config: SandboxConfig) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._rng = random.Random(config.seed)
        self._buckets = {
            START.name: TokenBucket(config.rate, config.burst),
            STOP.name: TokenBucket(config.stop_rate, config.stop_burst),
        }
        self._counters = Counters()
        self._tokens: dict[str, _Remembered] = {}
        self._tasks: list[dict[str, Any]] = []
        self._active: dict[str, dict[str, Any]] = {}
        """Open tasks by ContactId, oldest first."""
        self._per_previous_contact: Tally[str] = Tally()

    @property
    def config(self) -> SandboxConfig:
        with self._lock:
            return self._config

    def configure(self, **changes: Any) -> SandboxConfig:
        """Change settings (SandboxConfig field names) at once; returns the new config."""
        with self._lock:
            config = dataclasses.replace(self._config, **changes)
            self._buckets[START.name].reconfigure(config.rate, config.burst)
            self._buckets[STOP.name].reconfigure(config.stop_rate, config.stop_burst)
            if "seed" in changes:
                self._rng.seed(config.seed)
            self._config = config
            return config

    def counters(self) -> dict[str, int]:
        with self._lock:
            return self._counters.snapshot()

    def tasks(self) -> list[dict[str, Any]]:
        """The created tasks, oldest first: ContactId, ClientToken, request (the body, with
        its SegmentAttributes and Attachments), CreatedAt, State (active, stopped or
        closed) and EndedAt (None while active)."""
        with self._lock:
            return copy.deepcopy(self._tasks)

    def close_tasks(self, n: int | None = None) -> int:
        """Close the ``n`` oldest active tasks (all when None); returns how many were closed."""
        if n is not None and n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        with self._lock:
            closing = list(self._active)[: len(self._active) if n is None else n]
            for contact_id in closing:
                self._end(contact_id, CLOSED)
            self._counters.closed += len(closing)
            return len(closing)

    def start_task(self, authorization: str | None, payload: bytes) -> Reply:
        """Answer one ``PUT /contact/task`` call."""
        return self._call(START, authorization, payload, self._start)

    def stop_contact(self, authorization: str | None, payload: bytes) -> Reply:
        """Answer one ``POST /contact/stop`` call."""
        return self._call(STOP, authorization, payload, self._stop)

    def read(
        self,
        operation: ReadOperation,
        authorization: str | None,
        params: Mapping[str, str],
        payload: bytes = b"",
    ) -> Reply:
        """Answer one read call (DescribeInstance...) with ``params`` from its path and, for
        a POST, the members of its JSON body."""
        with self._lock:
            self._counters.reads += 1
            config = self._config
        try:
            check_signature(authorization)
            if config.access_denied:
                raise _access_denied(operation.action)
            body = _parse(payload) if operation.method == "POST" else {}
            return Reply(200, operation.answer(config, {**body, **params}))
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

    def _call(
        self,
        operation: _Operation,
        authorization: str | None,
        payload: bytes,
        handle: Callable[[dict[str, Any], _Faults], Reply],
    ) -> Reply:
        """Count the call, admit it (authorization, signature, quota, faults before handling),
        then ``handle`` its parsed body; every ServiceError becomes its error answer."""
        with self._lock:
            self._counters.add(operation.prefix + "requests")
            faults = self._draw_faults()
            try:
                reply = self._admit(operation, authorization, faults)
                if reply is None:
                    reply = handle(_parse(payload), faults)
            except ServiceError as error:
                self._counters.count_error(error.code, operation.prefix)
                reply = Reply(error.status, {"Message": error.message}, error.code)
            return dataclasses.replace(reply, delay_s=faults.delay_s)

    def _admit(
        self, operation: _Operation, authorization: str | None, faults: _Faults
    ) -> Reply | None:
        """Raise or return the answer given before the request is handled (None: handle it)."""
        if self._config.access_denied:
            raise _access_denied(f"connect:{operation.name}")
        check_signature(authorization)
        if not self._buckets[operation.name].take():
            raise ServiceError("ThrottlingException", "Rate exceeded")
        if faults.drop_before:
            self._counters.add(operation.prefix + "dropped_before")
            return _DROP
        if faults.bad_200 is not None:
            self._counters.add(operation.prefix + "bad_200")
            return faults.bad_200
        if faults.internal_error:
            raise ServiceError(
                "InternalServiceException", "Request processing failed (sandbox fail_rate)"
            )
        return None

    def _done(self, operation: _Operation, faults: _Faults, reply: Reply) -> Reply:
        """The answer to a call that changed something: ``reply``, or a dropped connection."""
        self._counters.add(operation.success)
        if faults.drop_after:
            self._counters.add(operation.prefix + "dropped_after")
            return _DROP
        return reply

    def _start(self, request: dict[str, Any], faults: _Faults) -> Reply:
        config = self._config
        token = request.get("ClientToken")
        body = _canonical(request)
        if isinstance(token, str) and token in self._tokens:
            return self._replay(token, body)
        check_request(request, now=time.time())
        check_resources(request, config)
        self._check_quota(request, config)
        contact_id = self._create(request, token, body, config)
        return self._done(START, faults, Reply(200, {"ContactId": contact_id}))

    def _stop(self, request: dict[str, Any], faults: _Faults) -> Reply:
        check_stop_request(request)
        instance_id = known_instance(self._config, request["InstanceId"])
        contact_id = request["ContactId"]
        task = self._active.get(contact_id)
        if task is None or task["request"]["InstanceId"] != instance_id:
            raise ServiceError(
                "ContactNotFoundException",
                f"Contact '{contact_id}' not found in instance '{instance_id}', or it has ended",
            )
        self._end(contact_id, STOPPED)
        return self._done(STOP, faults, Reply(200, {}))

    def _end(self, contact_id: str, state: str) -> None:
        task = self._active.pop(contact_id)
        task["State"] = state
        task["EndedAt"] = time.time()

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
            "State": ACTIVE,
            "EndedAt": None,
        }
        if config.ledger_path is not None:
            try:
                append_task(config.ledger_path, task)
            except OSError as error:
                raise ServiceError(
                    "InternalServiceException", f"sandbox ledger not writable: {error}"
                ) from error
        self._tasks.append(task)
        self._active[task["ContactId"]] = task
        if isinstance(token, str):
            self._tokens[token] = _Remembered(body, task["ContactId"])
        if request.get("PreviousContactId"):
            self._per_previous_contact[request["PreviousContactId"]] += 1
        return task["ContactId"]


def _access_denied(action: str) -> ServiceError:
    return ServiceError(
        "AccessDeniedException",
        f"User: {defaults.CALLER_ARN} is not authorized to perform: {action} "
        "(sandbox access_denied mode)",
    )


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
