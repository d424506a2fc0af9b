"""The HTTP side: a threaded server on 127.0.0.1 speaking Connect's rest-json wire format.

Routes (``ROUTES``)::

    PUT  /contact/task                                          StartTaskContact
    POST /contact/stop                                          StopContact
    GET  /instance/{InstanceId}                                 DescribeInstance
    GET  /contact-flows/{InstanceId}/{ContactFlowId}            DescribeContactFlow
    GET  /instance/{InstanceId}/task/template/{TaskTemplateId}  GetTaskTemplate
    GET  /quick-connects/{InstanceId}/{QuickConnectId}          DescribeQuickConnect
    GET  /users/{InstanceId}/{UserId}                           DescribeUser
    POST /search-users                                          SearchUsers
    POST /                                                      STS GetCallerIdentity (query)
    GET  /_sandbox/counters
    GET  /_sandbox/tasks
    POST /_sandbox/close-tasks                                  JSON body {"n": N} optional
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import socketserver
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from importer.sandbox import sts
from importer.sandbox.resources import READ_OPERATIONS, ReadOperation
from importer.sandbox.service import ConnectService, Reply

HOST = "127.0.0.1"
START_TASK_PATH = "/contact/task"
STOP_CONTACT_PATH = "/contact/stop"
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
        """Bind without HTTPServer's reverse DNS lookup of the host name (slow offline), and
        on Windows without SO_REUSEADDR, which there lets a second server bind a port in use
        (and get none of its requests) instead of failing: a taken port stays an error."""
        self.allow_reuse_address = sys.platform != "win32"
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

    def dispatch(self) -> None:
        """Read the body, then hand the request to the first route that matches it."""
        payload = self._read_body()
        path = self._path()
        for candidate in ROUTES:
            matched = candidate.method == self.command and candidate.pattern.fullmatch(path)
            if matched:
                params = {name: unquote(value) for name, value in matched.groupdict().items()}
                candidate.handle(self, params, payload)
                return
        self._unknown_operation()

    do_GET = do_PUT = do_POST = dispatch

    def start_task(self, _params: dict[str, str], payload: bytes) -> None:
        self._answer(self.server.service.start_task(self.headers.get("Authorization"), payload))

    def stop_contact(self, _params: dict[str, str], payload: bytes) -> None:
        self._answer(self.server.service.stop_contact(self.headers.get("Authorization"), payload))

    def _answer(self, reply: Reply) -> None:
        """Send a rate-limited call's reply: after its delay, as JSON, raw, or a drop."""
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.drop:
            self.close_connection = True
            _shut(self.connection)
            return
        if reply.raw is not None:
            self._send(reply.status, reply.raw, reply.content_type)
            return
        self._send_json(reply.status, reply.body, reply.error_code)

    def read(self, operation: ReadOperation, params: dict[str, str], payload: bytes) -> None:
        authorization = self.headers.get("Authorization")
        reply = self.server.service.read(operation, authorization, params, payload)
        self._send_json(reply.status, reply.body, reply.error_code)

    def caller_identity(self, _params: dict[str, str], payload: bytes) -> None:
        reply = self.server.service.caller_identity(self.headers.get("Authorization"), payload)
        self._send(reply.status, reply.body, "text/xml")

    def counters(self, _params: dict[str, str], _payload: bytes) -> None:
        self._send_json(200, self.server.service.counters())

    def tasks(self, _params: dict[str, str], _payload: bytes) -> None:
        self._send_json(200, self.server.service.tasks())

    def close_tasks(self, _params: dict[str, str], payload: bytes) -> None:
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
        self._send(status, json.dumps(body).encode("utf-8"), "application/json", error_code)

    def _send(
        self, status: int, data: bytes, content_type: str, error_code: str | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_code is not None:
            self.send_header("x-amzn-ErrorType", error_code)
        self.end_headers()
        self.wfile.write(data)


RouteHandler = Callable[[RequestHandler, dict[str, str], bytes], None]
"""Answers a request, given its path parameters and body."""


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handle: RouteHandler


def route(method: str, template: str, handle: RouteHandler) -> Route:
    """A route for a path template whose ``{Name}`` parts each match one path segment."""
    parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ..., literal
    pattern = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return Route(method, re.compile(pattern), handle)


def _read_call(operation: ReadOperation) -> RouteHandler:
    def handle(handler: RequestHandler, params: dict[str, str], payload: bytes) -> None:
        handler.read(operation, params, payload)

    return handle


ROUTES = (
    route("PUT", START_TASK_PATH, RequestHandler.start_task),
    route("POST", STOP_CONTACT_PATH, RequestHandler.stop_contact),
    *(
        route(operation.method, operation.path, _read_call(operation))
        for operation in READ_OPERATIONS
    ),
    route("POST", sts.PATH, RequestHandler.caller_identity),
    route("GET", COUNTERS_PATH, RequestHandler.counters),
    route("GET", TASKS_PATH, RequestHandler.tasks),
    route("POST", CLOSE_TASKS_PATH, RequestHandler.close_tasks),
)


def _shut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
