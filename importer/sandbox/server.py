"""The HTTP side: a threaded server on 127.0.0.1 speaking Connect's rest-json wire format.

Routes: ``PUT /contact/task`` (StartTaskContact), ``GET /_sandbox/counters``,
``GET /_sandbox/tasks`` and ``POST /_sandbox/close-tasks`` (JSON body ``{"n": N}`` optional).
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from importer.sandbox.service import ConnectService

HOST = "127.0.0.1"
START_TASK_PATH = "/contact/task"
COUNTERS_PATH = "/_sandbox/counters"
TASKS_PATH = "/_sandbox/tasks"
CLOSE_TASKS_PATH = "/_sandbox/close-tasks"

logger = logging.getLogger(__name__)


class SandboxHTTPServer(ThreadingHTTPServer):
    """Serves one ConnectService; tracks open connections so that stopping severs them."""

    daemon_threads = True

    def __init__(self, port: int, service: ConnectService) -> None:
        self.service = service
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((HOST, port), RequestHandler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host name (slow offline)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def sever_connections(self) -> None:
        """Close every open (keep-alive) connection, as a restarting service would."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            _shut(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("connection from %s failed", client_address, exc_info=True)


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 60
    server: SandboxHTTPServer

    def do_PUT(self) -> None:
        payload = self._read_body()
        if self._path() != START_TASK_PATH:
            self._unknown_operation()
            return
        reply = self.server.service.start_task(self.headers.get("Authorization"), payload)
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.drop:
            self.close_connection = True
            _shut(self.connection)
            return
        self._send_json(reply.status, reply.body, reply.error_code)

    def do_GET(self) -> None:
        service = self.server.service
        path = self._path()
        if path == COUNTERS_PATH:
            self._send_json(200, service.counters())
        elif path == TASKS_PATH:
            self._send_json(200, service.tasks())
        else:
            self._unknown_operation()

    def do_POST(self) -> None:
        payload = self._read_body()
        if self._path() != CLOSE_TASKS_PATH:
            self._unknown_operation()
            return
        try:
            n = json.loads(payload or b"{}").get("n")
            closed = self.server.service.close_tasks(n)
        except (ValueError, TypeError, AttributeError) as error:
            self._send_json(400, {"Message": f'expected {{"n": N}} or no body: {error}'})
            return
        self._send_json(200, {"closed": closed})

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _path(self) -> str:
        return urlsplit(self.path).path

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _unknown_operation(self) -> None:
        message = f"No operation at {self.command} {self._path()}"
        self._send_json(404, {"Message": message}, "UnknownOperationException")

    def _send_json(self, status: int, body: Any, error_code: str | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_code is not None:
            self.send_header("x-amzn-ErrorType", error_code)
        self.end_headers()
        self.wfile.write(data)


def _shut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
