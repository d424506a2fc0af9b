"""``Sandbox``: start, stop and restart the emulator, and look inside it from Python."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from importer.sandbox.config import SandboxConfig
from importer.sandbox.server import HOST, SandboxHTTPServer
from importer.sandbox.service import ConnectService


class Sandbox:
    """A local Amazon Connect endpoint on 127.0.0.1 that real boto3 clients talk to.

    ``port=0`` picks a free port at the first start; restarts keep it.
    """

    def __init__(self, config: SandboxConfig | None = None, port: int = 0) -> None:
        self._service = ConnectService(config or SandboxConfig())
        self._port = port
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the sandbox has not been started")
        return self._port

    @property
    def url(self) -> str:
        """The endpoint URL, e.g. ``http://127.0.0.1:8000``."""
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def config(self) -> SandboxConfig:
        return self._service.config

    def start(self) -> Sandbox:
        """Listen and serve in a daemon thread; OSError if the port cannot be bound."""
        with self._lifecycle:
            if self._server is None:
                server = SandboxHTTPServer(self._port, self._service)
                self._port = server.server_address[1]
                self._thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.01},
                    name=f"connect-sandbox-{self._port}",
                    daemon=True,
                )
                self._thread.start()
                self._server = server
        return self

    def stop(self) -> None:
        """Stop listening and sever open connections; requests in flight may still finish."""
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            if server is None:
                return
            server.shutdown()
            server.server_close()
            server.sever_connections()
            if thread is not None:
                thread.join(timeout=5)

    def restart(self) -> None:
        """Stop and start again on the same port; remembered tokens and tasks survive."""
        self.stop()
        self.start()

    def counters(self) -> dict[str, int]:
        return self._service.counters()

    def tasks(self) -> list[dict[str, Any]]:
        """Created tasks, oldest first: ContactId, ClientToken, request (the body), CreatedAt,
        State (active, stopped by StopContact, or closed) and EndedAt."""
        return self._service.tasks()

    def configure(self, **changes: Any) -> SandboxConfig:
        """Change SandboxConfig fields while running (thread-safe); returns the new config."""
        return self._service.configure(**changes)

    def close_tasks(self, n: int | None = None) -> int:
        """Close the ``n`` oldest active tasks (all when None), as agents would, freeing the
        active-task cap; returns how many were closed."""
        return self._service.close_tasks(n)
