"""A sandbox in a process of its own, so the client's CPU and GIL are the client's alone.

The benchmarks that compare rows/s and CPU per row with a baseline run the emulator here:
in the benchmark's own process its threads would take CPU time and the GIL from the client
being measured. The child process only listens on 127.0.0.1 (importer.sandbox).
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from importer.sandbox import Sandbox, SandboxConfig


def _serve(config: SandboxConfig, pipe: Connection) -> None:
    """The child: start a sandbox, send its URL, then answer "counters" until "stop"."""
    with Sandbox(config, port=0) as sandbox:
        pipe.send(sandbox.url)
        while True:
            command = pipe.recv()
            if command == "stop":
                return
            tokens = [task["ClientToken"] for task in sandbox.tasks()]
            pipe.send((sandbox.counters(), tokens))


@dataclass
class RemoteSandbox:
    """The child's endpoint, and what it has counted."""

    url: str
    _pipe: Connection

    def counters(self) -> tuple[dict[str, int], list[str]]:
        """The sandbox's counters and the ClientToken of every task it created."""
        self._pipe.send("counters")
        answer: Any = self._pipe.recv()
        return answer


@contextlib.contextmanager
def sandbox_process(config: SandboxConfig) -> Iterator[RemoteSandbox]:
    """A sandbox with ``config`` in a child process (spawned: the same on every OS)."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_serve, args=(config, theirs), daemon=True)
    child.start()
    try:
        yield RemoteSandbox(ours.recv(), ours)
    finally:
        with contextlib.suppress(OSError, EOFError):
            ours.send("stop")
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
            child.join()
