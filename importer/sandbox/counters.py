"""What the sandbox has seen: one counter per outcome of a StartTaskContact or StopContact
call."""

from __future__ import annotations

from dataclasses import asdict, dataclass

COUNTER_BY_ERROR = {
    "AccessDeniedException": "access_denied",
    "MissingAuthenticationTokenException": "unsigned",
    "InvalidSignatureException": "unsigned",
    "ThrottlingException": "throttled",
    "InternalServiceException": "internal_errors",
    "IdempotentParameterMismatchException": "mismatches",
    "ServiceQuotaExceededException": "quota_exceeded",
    "ContactNotFoundException": "not_found",
}
"""Error codes with their own counter; every other error (400, 404) counts as rejected."""
FAULTS = ("internal_errors", "dropped_before", "dropped_after", "bad_200")


@dataclass
class Counters:
    """Every StartTaskContact call counts in ``requests`` and in exactly one outcome below:

    requests == created + replays + mismatches + throttled + quota_exceeded + access_denied
    + unsigned + rejected + internal_errors + dropped_before + bad_200 (``dropped_after``
    tasks are among ``created``).

    Every StopContact call counts in ``stop_requests`` and in exactly one outcome:

    stop_requests == stopped + stop_not_found + stop_throttled + stop_access_denied
    + stop_unsigned + stop_rejected + stop_internal_errors + stop_dropped_before
    + stop_bad_200 (``stop_dropped_after`` stops are among ``stopped``).

    The read calls (preflight, GetTaskTemplate, SearchUsers...) count in ``reads`` alone.
    """

    requests: int = 0
    created: int = 0
    replays: int = 0
    mismatches: int = 0
    throttled: int = 0
    quota_exceeded: int = 0
    access_denied: int = 0
    unsigned: int = 0
    rejected: int = 0
    internal_errors: int = 0
    dropped_before: int = 0
    dropped_after: int = 0
    bad_200: int = 0
    """200 answers without a ContactId, the request not handled (``bad_200_rate``)."""
    closed: int = 0
    """Tasks closed by ``close_tasks`` (as agents would)."""
    stop_requests: int = 0
    stopped: int = 0
    """Tasks ended by StopContact."""
    stop_not_found: int = 0
    """StopContact answered ContactNotFoundException: unknown, or already ended."""
    stop_throttled: int = 0
    stop_access_denied: int = 0
    stop_unsigned: int = 0
    stop_rejected: int = 0
    stop_internal_errors: int = 0
    stop_dropped_before: int = 0
    stop_dropped_after: int = 0
    stop_bad_200: int = 0
    reads: int = 0
    """DescribeInstance, DescribeContactFlow, GetTaskTemplate, DescribeQuickConnect,
    SearchUsers, DescribeUser and STS GetCallerIdentity calls, whatever their answer."""

    @property
    def active(self) -> int:
        return self.created - self.closed - self.stopped

    def add(self, name: str) -> None:
        setattr(self, name, getattr(self, name) + 1)

    def count_error(self, code: str, prefix: str = "") -> None:
        """Count an error answer; ``prefix`` names the operation (``stop_``: StopContact)."""
        self.add(prefix + COUNTER_BY_ERROR.get(code, "rejected"))

    def snapshot(self) -> dict[str, int]:
        """The counters plus ``faults`` and ``stop_faults`` (all injected faults of each
        operation) and ``active`` (open tasks)."""
        return {
            **asdict(self),
            "faults": sum(getattr(self, name) for name in FAULTS),
            "stop_faults": sum(getattr(self, f"stop_{name}") for name in FAULTS),
            "active": self.active,
        }
