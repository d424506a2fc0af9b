"""What the sandbox accepts (ids), how fast (quota) and how it misbehaves (faults)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from importer.sandbox import defaults

_ID_FIELDS = ("instance_ids", "contact_flow_ids", "quick_connect_ids", "task_template_ids")
_PROBABILITIES = ("fail_rate", "drop_before_rate", "drop_after_rate", "bad_200_rate")


@dataclass(frozen=True)
class SandboxConfig:
    """Settings of one sandbox; invalid values raise ValueError.

    Fault probabilities are independent draws per request, applied in this order: drop the
    connection before handling, answer 200 with something that is not Amazon Connect's
    answer, answer 500, (handle the request), and, only when a task was created, drop the
    connection instead of answering.
    """

    rate: float = 2.0
    """Requests per second the token bucket refills (0: no refill)."""
    burst: int = 5
    """Token bucket size: requests admitted at once."""
    active_task_cap: int | None = None
    """Created-minus-closed tasks at which StartTaskContact answers 402 (None: no cap)."""
    latency_ms: tuple[float, float] = (0.0, 0.0)
    """Each answer is delayed by a uniform draw from this range."""
    fail_rate: float = 0.0
    """Probability of 500 InternalServiceException (nothing created)."""
    drop_before_rate: float = 0.0
    """Probability of closing the connection without handling the request."""
    drop_after_rate: float = 0.0
    """Probability of creating the task, then closing the connection without answering."""
    bad_200_rate: float = 0.0
    """Probability of answering 200 without handling the request (nothing created), with a
    body that is no StartTaskContact answer, as a proxy in the way might: an HTML login
    page, an empty body, ``{}`` or ``{"ContactId": null}``."""
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

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate >= 0):
            raise ValueError(f"rate must be a number >= 0, not {self.rate}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, not {self.burst}")
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
        if self.ledger_path is not None:
            object.__setattr__(self, "ledger_path", Path(self.ledger_path))
