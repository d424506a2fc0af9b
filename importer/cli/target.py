"""Where a command's AWS calls go: Amazon Connect and STS in AWS (importer.clients), or,
with ``--sandbox``, a sandbox started here, with dummy credentials."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from importer.aws import make_client
from importer.cli.console import say
from importer.clients import Clients, Connector, aws_connector
from importer.errors import UsageError
from importer.options import RunOptions
from importer.sandbox import Sandbox, SandboxConfig
from importer.sandbox import defaults as sandbox_defaults


def connector(options: RunOptions, announce: Callable[[Sandbox], str]) -> Connector:
    """The command's clients: with --sandbox, of a sandbox started when they are opened
    (and stopped after), which ``announce`` describes; else as importer.clients makes them."""
    if not options.sandbox:
        return aws_connector(options)

    @contextlib.contextmanager
    def sandboxed(concurrency: int) -> Iterator[Clients]:
        if options.endpoint_url:
            raise UsageError("--sandbox and --endpoint-url cannot be combined")
        timeouts = {
            "connect_timeout": options.connect_timeout,
            "read_timeout": options.read_timeout,
        }
        with Sandbox(SandboxConfig()) as sandbox:
            clients = Clients(
                sandbox_client("connect", sandbox.url, concurrency, **timeouts),
                sandbox_client("sts", sandbox.url, 1),
            )
            say(announce(sandbox))
            yield clients

    return sandboxed


def sending_to(sandbox: Sandbox) -> str:
    return (
        f"SANDBOX: sending to the local Amazon Connect emulator at {sandbox.url} "
        f"(quota {sandbox.config.rate:g}/s, burst {sandbox.config.burst}); "
        "nothing is sent to AWS."
    )


def checking_against(sandbox: Sandbox) -> str:
    return (
        f"SANDBOX: checking against the local Amazon Connect emulator at {sandbox.url}; "
        "nothing is sent to AWS."
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
