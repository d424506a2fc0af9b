"""What the sandbox accepts (ids, task templates), how fast (quotas) and how it misbehaves
(faults)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importer.sandbox import defaults
from importer.sandbox.templates import default_template, validate_template

_ID_FIELDS = ("instance_ids", "contact_flow_ids", "quick_connect_ids", "task_template_ids")
_PROBABILITIES = ("fail_rate", "drop_before_rate", "drop_after_rate", "bad_200_rate")


@dataclass(frozen=True)
class SandboxConfig:
    """Settings of one sandbox; invalid values raise ValueError.

    Fault probabilities are independent draws per StartTaskContact or StopContact request,
    applied in this order: drop the connection before handling, answer 200 with something
    that is not Amazon Connect's answer, answer 500, (handle the request), and, only when a
    task was created or stopped, drop the connection instead of answering.
    """

    rate: float = 2.0
    """StartTaskContact requests per second the token bucket refills (0: no refill)."""
    burst: int = 5
    """Token bucket size: StartTaskContact requests admitted at once."""
    stop_rate: float = 2.0
    """StopContact's own bucket: AWS defines throttling limits per API, and StopContact has
    the default quota of 2 requests/s, burst 5 (Amazon Connect service quotas)."""
    stop_burst: int = 5
    active_task_cap: int | None = None
    """Open tasks (created, neither stopped nor closed) at which StartTaskContact answers 402
    (None: no cap)."""
    latency_ms: tuple[float, float] = (0.0, 0.0)
    """Each answer is delayed by a uniform draw from this range."""
    fail_rate: float = 0.0
    """Probability of 500 InternalServiceException (nothing created)."""
    drop_before_rate: float = 0.0
    """Probability of closing the connection without handling the request."""
    drop_after_rate: float = 0.0
    """Probability of creating (or stopping) the task, then closing the connection without
    answering."""
    bad_200_rate: float = 0.0
    """Probability of answering 200 without handling the request (nothing created or
    stopped), with a body that is not the service's answer, as a proxy in the way might: an
    HTML login page, an empty body, ``{}`` or ``{"ContactId": null}``."""
    access_denied: bool = False
    """Answer 403 AccessDeniedException to every Amazon Connect call (STS GetCallerIdentity,
    which needs no permission, still answers)."""
    seed: int | None = None
    """Seed of the fault and latency draws."""
    ledger_path: Path | str | None = None
    """Append every created task to this JSON-lines file (stored as a Path)."""
    instance_ids: tuple[str, ...] = (defaults.INSTANCE_ID,)
    contact_flow_ids: tuple[str, ...] = defaults.CONTACT_FLOW_IDS
    quick_connect_ids: tuple[str, ...] = defaults.QUICK_CONNECT_IDS
    task_template_ids: tuple[str, ...] = defaults.TASK_TEMPLATE_IDS
    """Accepted template ids; an id without a definition in ``task_templates`` answers the
    default form (importer.sandbox.templates.DEFAULT_FORM) as 'Sandbox task template N'."""
    task_templates: tuple[dict[str, Any], ...] = ()
    """Templates in GetTaskTemplate's output shape (importer.sandbox.templates); their ids
    join ``task_template_ids``, and their ContactFlowId must be one of ``contact_flow_ids``."""

    def __post_init__(self) -> None:
        for prefix in ("", "stop_"):
            rate, burst = getattr(self, f"{prefix}rate"), getattr(self, f"{prefix}burst")
            if not (math.isfinite(rate) and rate >= 0):
                raise ValueError(f"{prefix}rate must be a number >= 0, not {rate}")
            if burst < 1:
                raise ValueError(f"{prefix}burst must be at least 1, not {burst}")
        if self.active_task_cap is not None and self.active_task_cap < 0:
            raise ValueError(f"active_task_cap must be >= 0, not {self.active_task_cap}")
        low, high = self.latency_ms
        if not 0 <= low <= high:
            raise ValueError(f"latency_ms must be (min, max) with 0 <= min <= max, not {low, high}")
        object.__setattr__(self, "latency_ms", (float(low), float(high)))
        for name in _PROBABILITIES:
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1, not {getattr(self, name)}")
        for name in _ID_FIELDS:
            ids = tuple(getattr(self, name))
            if not all(isinstance(value, str) and value for value in ids):
                raise ValueError(f"{name} must be non-empty strings, not {ids}")
            object.__setattr__(self, name, ids)
        if not self.instance_ids:
            raise ValueError("instance_ids must name at least one instance")
        self._adopt_templates()
        if self.ledger_path is not None:
            object.__setattr__(self, "ledger_path", Path(self.ledger_path))

    def _adopt_templates(self) -> None:
        """Validate ``task_templates`` and add their ids to ``task_template_ids``."""
        templates = tuple(validate_template(template) for template in self.task_templates)
        ids = [template["Id"] for template in templates]
        repeated = sorted({template_id for template_id in ids if ids.count(template_id) > 1})
        if repeated:
            raise ValueError(f"task_templates: two templates have the id {repeated[0]}")
        for template in templates:
            flow = template.get("ContactFlowId")
            if flow and flow not in self.contact_flow_ids:
                raise ValueError(
                    f"task template '{template['Id']}' runs contact flow {flow}, which the "
                    "sandbox does not accept (add it to the contact flow ids)"
                )
        added = tuple(
            template_id for template_id in ids if template_id not in self.task_template_ids
        )
        object.__setattr__(self, "task_templates", templates)
        object.__setattr__(self, "task_template_ids", self.task_template_ids + added)

    def task_template(self, template_id: str) -> dict[str, Any] | None:
        """The template GetTaskTemplate answers for ``template_id`` (None: not accepted),
        without InstanceId and Arn."""
        if template_id not in self.task_template_ids:
            return None
        for template in self.task_templates:
            if template["Id"] == template_id:
                return template
        number = self.task_template_ids.index(template_id) + 1
        flow = self.contact_flow_ids[0] if self.contact_flow_ids else None
        return default_template(template_id, number, flow)
