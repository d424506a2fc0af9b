"""Where a use case's AWS calls go: the Connect and STS clients, opened when it needs them.

A :data:`Connector` opens the clients for a number of requests in flight and, on the way
out, stops whatever it started. :func:`aws_connector` makes boto3 clients from the options
(``endpoint_url`` points the Connect client only; STS follows the usual AWS configuration,
``AWS_ENDPOINT_URL_STS`` when set). The CLI brings its own for ``--sandbox``, which starts
an emulator first: the core never imports it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from importer.aws import make_client
from importer.options import RunOptions


@dataclass(frozen=True)
class Clients:
    """The boto3 clients a use case calls (shared by its threads)."""

    connect: Any
    sts: Any


Connector = Callable[[int], AbstractContextManager[Clients]]
"""Opens the clients for this many requests in flight at once."""


def aws_connector(options: RunOptions) -> Connector:
    """Clients of Amazon Connect and STS as the options and the AWS configuration say."""

    @contextlib.contextmanager
    def opened(concurrency: int) -> Iterator[Clients]:
        yield Clients(
            make_client(
                region=options.region,
                profile=options.profile,
                endpoint_url=options.endpoint_url,
                concurrency=concurrency,
                connect_timeout=options.connect_timeout,
                read_timeout=options.read_timeout,
            ),
            make_client(service="sts", region=options.region, profile=options.profile),
        )

    return opened
