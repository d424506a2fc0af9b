"""Where a command's AWS calls go: Amazon Connect and STS in AWS, or a sandbox started here.

``--endpoint-url`` points the Connect client only; the STS client follows the usual AWS
configuration (``AWS_ENDPOINT_URL_STS`` when set). With ``--sandbox`` both clients talk to
an in-process sandbox, with dummy credentials.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from importer.aws import CONNECT_TIMEOUT, READ_TIMEOUT, make_client
from importer.errors import UsageError
from importer.sandbox import Sandbox, SandboxConfig
from importer.sandbox import defaults as sandbox_defaults


@dataclass(frozen=True)
class Target:
    """The clients a command uses, and the sandbox they talk to, if any."""

    connect: Any
    sts: Any
    sandbox: Sandbox | None = None


@contextlib.contextmanager
def open_target(args: argparse.Namespace, concurrency: int = 1) -> Iterator[Target]:
    """Start the sandbox if ``args.sandbox``, build both clients; stop the sandbox after.
    The Connect client waits ``args.connect_timeout`` and ``args.read_timeout`` (run and
    retry have them; other commands use the defaults)."""
    timeouts = {
        "connect_timeout": getattr(args, "connect_timeout", CONNECT_TIMEOUT),
        "read_timeout": getattr(args, "read_timeout", READ_TIMEOUT),
    }
    if not args.sandbox:
        region, profile = args.region, args.profile
        yield Target(
            make_client(
                region=region,
                profile=profile,
                endpoint_url=args.endpoint_url,
                concurrency=concurrency,
                **timeouts,
            ),
            make_client(service="sts", region=region, profile=profile),
        )
        return
    if args.endpoint_url:
        raise UsageError("--sandbox and --endpoint-url cannot be combined")
    with Sandbox(SandboxConfig()) as sandbox:
        yield Target(
            sandbox_client("connect", sandbox.url, concurrency, **timeouts),
            sandbox_client("sts", sandbox.url, 1),
            sandbox,
        )


def sandbox_client(service: str, url: str, concurrency: int = 1, **timeouts: float) -> Any:
    """A real boto3 client with dummy credentials, pointed at a sandbox."""
    return make_client(
        service=service,
        region=sandbox_defaults.REGION,
        endpoint_url=url,
        concurrency=concurrency,
        access_keys=("sandbox", "sandbox"),
        **timeouts,
    )
