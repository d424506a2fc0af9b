"""What the sandbox has seen: one counter per outcome of a StartTaskContact call."""

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
}
"""Error codes with their own counter; every other error (400, 404) counts as rejected."""


@dataclass
class Counters:
    """Every call counts in ``requests`` and in exactly one outcome below.

    requests == created + replays + mismatches + throttled + quota_exceeded + access_denied
    + unsigned + rejected + internal_errors + dropped_before + bad_200 (``dropped_after``
    tasks are among ``created``). The read calls of a preflight check count in ``reads`` alone.
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
    reads: int = 0
    """DescribeInstance, DescribeContactFlow, GetTaskTemplate, DescribeQuickConnect and STS
    GetCallerIdentity calls, whatever their answer."""

    @property
    def active(self) -> int:
        return self.created - self.closed

    def count_error(self, code: str) -> None:
        name = COUNTER_BY_ERROR.get(code, "rejected")
        setattr(self, name, getattr(self, name) + 1)

    def snapshot(self) -> dict[str, int]:
        """The counters plus ``faults`` (all injected faults) and ``active`` (open tasks)."""
        return {
            **asdict(self),
            "faults": self.internal_errors
            + self.dropped_before
            + self.dropped_after
            + self.bad_200,
            "active": self.active,
        }
