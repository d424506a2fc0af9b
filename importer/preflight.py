"""Preflight: before anything is sent, one cheap read call each shows that the credentials
work and that every instance, contact flow, task template and quick connect the requests
refer to exists.

The IAM actions the check calls (the README's ``PreflightReads`` statement):

    sts:GetCallerIdentity          the credentials (needs no permission; cannot be denied)
    connect:DescribeInstance       each InstanceId
    connect:DescribeContactFlow    each ContactFlowId
    connect:GetTaskTemplate        each TaskTemplateId
    connect:DescribeQuickConnect   each QuickConnectId

Errors are classified by ``importer.aws.classify``. Throttling and 5xx answers are retried a
few times with the executor's :class:`~importer.retry_policy.RetryPolicy`, without jitter
(the clients' own retries are off); an endpoint that cannot be reached ends the check at
once. Credentials that do not work end it too: every other call would fail alike.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from importer.aws import call
from importer.errors import ApiError, ErrorKind
from importer.retry_policy import RetryPolicy
from importer.task_templates import TaskTemplate

MAX_RESOURCES = 100
"""At most this many instances, flows, templates and quick connects are checked."""
ATTEMPTS = 4
"""Calls per resource while the answer is a throttle or a 5xx."""
FIRST_BACKOFF_S = 1.0
"""Pause before the second attempt; it doubles before each later one."""


class Kind(StrEnum):
    """What a check is about."""

    CREDENTIALS = "credentials"
    INSTANCE = "instance"
    CONTACT_FLOW = "contact flow"
    TASK_TEMPLATE = "task template"
    QUICK_CONNECT = "quick connect"
    USER = "user"
    ATTACHMENT = "attachment"


@dataclass(frozen=True)
class Found:
    """What a describe call says about a resource that exists."""

    name: str
    details: str
    problem: str = ""
    """Why the resource cannot take tasks although it exists (empty: it can)."""


@dataclass(frozen=True)
class Probe:
    """How one kind of resource is checked."""

    kind: Kind
    field: str
    """The request field (and default column name) that names the resource."""
    option: str
    """The command-line option that gives rows a default."""
    method: str
    """The boto3 Connect client method; it takes InstanceId and ``field``."""
    action: str
    """The IAM action the call needs."""
    read: Callable[[dict[str, Any]], Found]


def _instance(answer: dict[str, Any]) -> Found:
    instance = answer.get("Instance", {})
    status = instance.get("InstanceStatus", "ACTIVE")
    problem = f"its status is {status}: tasks need an ACTIVE instance" if status != "ACTIVE" else ""
    return Found(instance.get("InstanceAlias", ""), status, problem)


def _contact_flow(answer: dict[str, Any]) -> Found:
    flow = answer.get("ContactFlow", {})
    details = ", ".join(filter(None, (flow.get("Type"), flow.get("State"), flow.get("Status"))))
    return Found(flow.get("Name", ""), details)


def _task_template(answer: dict[str, Any]) -> Found:
    status, flow = answer.get("Status", "ACTIVE"), answer.get("ContactFlowId")
    if status != "ACTIVE":
        problem = f"it is {status}: tasks can only be created from ACTIVE templates"
    elif not flow:
        problem = "it has no contact flow: a task that names only a template needs one"
    else:
        problem = ""
    return Found(answer.get("Name", ""), f"{status}, flow {flow}" if flow else status, problem)


def _quick_connect(answer: dict[str, Any]) -> Found:
    quick_connect = answer.get("QuickConnect", {})
    kind = quick_connect.get("QuickConnectConfig", {}).get("QuickConnectType", "")
    return Found(quick_connect.get("Name", ""), kind)


INSTANCE = Probe(
    Kind.INSTANCE,
    "InstanceId",
    "--instance-id",
    "describe_instance",
    "connect:DescribeInstance",
    _instance,
)
ROUTING = (
    Probe(
        Kind.CONTACT_FLOW,
        "ContactFlowId",
        "--contact-flow-id",
        "describe_contact_flow",
        "connect:DescribeContactFlow",
        _contact_flow,
    ),
    Probe(
        Kind.TASK_TEMPLATE,
        "TaskTemplateId",
        "--task-template-id",
        "get_task_template",
        "connect:GetTaskTemplate",
        _task_template,
    ),
    Probe(
        Kind.QUICK_CONNECT,
        "QuickConnectId",
        "--quick-connect-id",
        "describe_quick_connect",
        "connect:DescribeQuickConnect",
        _quick_connect,
    ),
)
TemplateAnswers = Callable[[str, str], TaskTemplate | ApiError | None]
"""Task templates already fetched, by (instance id, template id): preflight reports them
without calling GetTaskTemplate again."""
IAM_ACTIONS = ("sts:GetCallerIdentity", INSTANCE.action, *(probe.action for probe in ROUTING))
"""Every action the check calls, in the order it calls them."""


@dataclass
class Resources:
    """The distinct resources some requests refer to, in the order first seen."""

    instances: dict[str, None] = field(default_factory=dict)
    """Instance ids (a dict as an ordered set)."""
    routing: dict[tuple[str, Probe, str], None] = field(default_factory=dict)
    """(instance id, probe, resource id) for each flow, template and quick connect."""

    def add(self, request: Mapping[str, Any]) -> None:
        """Note the instance and the flow, template or quick connect a request names."""
        instance = request.get(INSTANCE.field)
        if not isinstance(instance, str) or not instance:
            return
        self.instances[instance] = None
        for probe in ROUTING:
            value = request.get(probe.field)
            if isinstance(value, str) and value:
                self.routing[instance, probe, value] = None

    def __len__(self) -> int:
        return len(self.instances) + len(self.routing)


@dataclass(frozen=True)
class Check:
    """One check: what was checked, its id, whether it passed and a sentence saying so."""

    kind: Kind
    id: str
    ok: bool
    message: str
    code: str = ""
    """The error code of a failed call (e.g. ResourceNotFoundException)."""
    instance: str = ""
    """The instance a flow, template or quick connect was looked for in."""


@dataclass
class PreflightReport:
    checks: list[Check] = field(default_factory=list)
    caller_arn: str | None = None
    """Who the credentials belong to (STS GetCallerIdentity), None if that failed."""
    not_checked: int = 0
    """Resources not called: past the cap, inside a missing instance, or after a failure
    that ended the check."""
    capped: bool = False
    """The requests refer to more than MAX_RESOURCES resources."""

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


class _Unreachable(Exception):
    """An endpoint could not be reached: no further call would get through."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.message)
        self.check = check


class Preflight:
    """Runs the checks with a Connect client and an STS client (boto3 or compatible)."""

    def __init__(
        self,
        connect: Any,
        sts: Any,
        *,
        max_resources: int = MAX_RESOURCES,
        attempts: int = ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        templates: TemplateAnswers | None = None,
    ) -> None:
        self._templates = templates
        self._connect = connect
        self._sts = sts
        self._max_resources = max_resources
        self._retry = RetryPolicy(attempts, FIRST_BACKOFF_S, jitter=False)
        self._sleep = sleep

    def run(self, resources: Resources) -> PreflightReport:
        """Check the credentials, then each instance, then what the requests route to."""
        report = PreflightReport(
            not_checked=len(resources), capped=len(resources) > self._max_resources
        )
        try:
            report.checks.append(self._check_caller(report))
            if report.ok:
                self._check_resources(resources, report)
        except _Unreachable as stop:
            report.checks.append(stop.check)
        return report

    def _check_resources(self, resources: Resources, report: PreflightReport) -> None:
        planned = self._plan(resources)
        missing: set[str] = set()
        for instance, probe, resource_id in planned:
            if instance in missing:
                continue
            report.not_checked -= 1
            check = self._check(probe, instance, resource_id)
            if probe is INSTANCE and check.code == "ResourceNotFoundException":
                check = dataclasses.replace(
                    check, message=check.message + _not_checked_within(instance, planned)
                )
                missing.add(instance)
            report.checks.append(check)

    def _plan(self, resources: Resources) -> list[tuple[str, Probe, str]]:
        """The calls to make: every instance first, then flows, templates and quick connects,
        at most ``max_resources`` in all."""
        instances = [(instance, INSTANCE, instance) for instance in resources.instances]
        return [*instances, *resources.routing][: self._max_resources]

    def _check_caller(self, report: PreflightReport) -> Check:
        answer = self._call(self._sts, "get_caller_identity", {})
        if isinstance(answer, ApiError):
            self._stop_if_unreachable(answer, Kind.CREDENTIALS, "", self._sts)
            message = (
                f"the credentials do not work: STS GetCallerIdentity answered {answer.code}: "
                f"{answer.message}"
            )
            return Check(Kind.CREDENTIALS, "", False, message, answer.code)
        report.caller_arn = answer["Arn"]
        message = f"credentials work: {answer['Arn']} (account {answer['Account']})"
        return Check(Kind.CREDENTIALS, answer["Arn"], True, message)

    def _check(self, probe: Probe, instance: str, resource_id: str) -> Check:
        params = {INSTANCE.field: instance}
        if probe is not INSTANCE:
            params[probe.field] = resource_id
        answer = self._call(self._connect, probe.method, params)
        subject = f"{probe.kind} {resource_id}"
        if isinstance(answer, ApiError):
            self._stop_if_unreachable(answer, probe.kind, resource_id, self._connect)
            message = self._failure(probe, subject, instance, answer)
            return Check(probe.kind, resource_id, False, message, answer.code, instance)
        found = probe.read(answer)
        named = f"{subject} '{found.name}'" if found.name else subject
        if found.problem:
            message = f"{named} exists, but {found.problem}"
            return Check(probe.kind, resource_id, False, message, instance=instance)
        details = f" ({found.details})" if found.details else ""
        return Check(probe.kind, resource_id, True, f"{named} found{details}", instance=instance)

    def _failure(self, probe: Probe, subject: str, instance: str, error: ApiError) -> str:
        if error.code == "ContactFlowNotPublishedException":
            return f"{subject} in instance {instance} is not published: publish it, then retry"
        if error.kind is ErrorKind.CONFIG_NOT_FOUND:
            where = (
                f"in region {self._connect.meta.region_name} (is it the instance's region?)"
                if probe is INSTANCE
                else f"in instance {instance}"
            )
            return f"{subject} not found {where}: fix the {probe.field} column or {probe.option}"
        if error.code == "AccessDeniedException":
            return (
                f"{subject}: access denied: the IAM policy must allow {probe.action} "
                f"({error.message})"
            )
        if error.kind is ErrorKind.ACCESS_DENIED:
            return f"{subject}: the credentials were refused ({error.code}: {error.message})"
        if error.kind is ErrorKind.THROTTLE:
            return (
                f"{subject}: still throttled after {self._retry.attempts} attempts ({error.code}); "
                "try again later"
            )
        operation = probe.action.removeprefix("connect:")
        return f"{subject}: {operation} answered {error.code}: {error.message}"

    def _stop_if_unreachable(
        self, error: ApiError, kind: Kind, resource_id: str, client: Any
    ) -> None:
        """Raise _Unreachable for a transport fault: no answer came back at all."""
        if error.kind is ErrorKind.TRANSIENT and error.http_status is None:
            message = (
                f"cannot reach {client.meta.endpoint_url} ({error.code}: {error.message}); "
                "nothing further was checked"
            )
            raise _Unreachable(Check(kind, resource_id, False, message, error.code))

    def _call(self, client: Any, method: str, params: dict[str, str]) -> dict[str, Any] | ApiError:
        """The answer, or the classified error once retrying no longer helps (a template
        the rows were checked against is not fetched again)."""
        if method == "get_task_template" and self._templates is not None:
            found = self._templates(params[INSTANCE.field], params["TaskTemplateId"])
            if found is not None:
                return dict(found.answer) if isinstance(found, TaskTemplate) else found
        return read_call(client, method, params, self._retry, self._sleep)


def read_call(
    client: Any,
    method: str,
    params: Mapping[str, str],
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any] | ApiError:
    """A read call's answer, or the classified error once retrying (throttles and 5xx
    answers, ``retry``: preflight's policy by default) no longer helps."""
    retry = retry or RetryPolicy(ATTEMPTS, FIRST_BACKOFF_S, jitter=False)
    retrying = retry.retrying(
        lambda error: isinstance(error, ApiError) and worth_retrying(error), sleep=sleep
    )
    try:
        return retrying(call, getattr(client, method), **params)
    except ApiError as error:
        return error


def worth_retrying(error: ApiError) -> bool:
    """A throttle or a 5xx answer; not a transport fault, which ends the check."""
    return error.kind is ErrorKind.THROTTLE or (
        error.kind is ErrorKind.TRANSIENT and error.http_status is not None
    )


def _not_checked_within(instance: str, planned: list[tuple[str, Probe, str]]) -> str:
    inside = sum(1 for owner, probe, _ in planned if owner == instance and probe is not INSTANCE)
    if not inside:
        return ""
    return f"; the {inside} flows, templates and quick connects named with it were not checked"
