"""Loopback servers that misbehave on purpose, and a proxy that loses answers (SDK tests)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from semphony.client import Semphony

HEALTH_PATH = "/v1/health"
HEALTH = {"status": "ok", "api_version": "2.0", "server_version": "0.1.0", "driver": "sim"}
TOKEN = "s3cret-token-never-logged"


@dataclass(frozen=True)
class Canned:
    """One scripted answer: status, headers and raw body bytes."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0

    @classmethod
    def json(cls, status: int, doc: object, *, content_type: str = "application/json") -> Canned:
        return cls(status, json.dumps(doc).encode(), (("Content-Type", content_type),))

    @classmethod
    def problem(cls, status: int, **fields: Any) -> Canned:
        doc = {"type": "about:blank", "title": "Problem", "status": status, "detail": "", **fields}
        return cls.json(status, doc, content_type="application/problem+json")

    @classmethod
    def html(cls, status: int, text: str = "<html><body>Please log in</body></html>") -> Canned:
        return cls(status, text.encode(), (("Content-Type", "text/html; charset=utf-8"),))


@dataclass(frozen=True)
class Seen:
    """A request the scripted server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedServer:
    """An HTTP server on 127.0.0.1 answering each path from a script (the last answer repeats)."""

    health: dict[str, Any]
    scripts: dict[tuple[str, str], list[Canned]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        with self._lock:
            self.scripts.clear()
            self.seen.clear()

    def script(self, method: str, path: str, *answers: Canned) -> None:
        with self._lock:
            self.scripts[(method.upper(), path)] = list(answers)

    def requests_to(self, method: str, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.method == method.upper() and s.path == path]

    def _answer(self, method: str, path: str) -> Canned:
        with self._lock:
            answers = self.scripts.get((method, path))
            if answers:
                return answers.pop(0) if len(answers) > 1 else answers[0]
        if method == "GET" and path == HEALTH_PATH:
            return Canned.json(200, self.health)
        return Canned.problem(404, title="Not Found", detail=f"no script for {method} {path}")


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            with server._lock:
                server.seen.append(Seen(self.command, path, dict(self.headers.items()), body))
            answer = server._answer(self.command, path)
            if answer.delay_s:
                time.sleep(answer.delay_s)  # a server too slow for the client's timeout
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_DELETE = do_PUT = _serve  # noqa: N815 (http.server names)

    return Handler


def serve_scripted(health: dict[str, Any]) -> Iterator[ScriptedServer]:
    """Run a ScriptedServer for the duration of a fixture."""
    scripted = ScriptedServer(health=health)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(scripted))
    httpd.daemon_threads = True
    scripted.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield scripted
    finally:
        httpd.shutdown()
        httpd.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class DroppingProxy:
    """A reverse proxy that forwards to `upstream` and, for the first `drops` requests matching
    `match`, lets the server act and then hangs up without passing the answer on."""

    upstream: str
    match: Callable[[str, str], bool]
    drops: int = 1
    port: int = 0
    forwarded: list[tuple[str, str, str | None]] = field(default_factory=list)
    dropped: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _proxy_handler(proxy: DroppingProxy, client: httpx.Client) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
            }
            upstream = client.request(self.command, self.path, content=body, headers=headers)
            key = self.headers.get("Idempotency-Key")
            record = (self.command, self.path.split("?", 1)[0], key)
            with lock:
                proxy.forwarded.append(record)
                drop = proxy.drops > 0 and proxy.match(self.command, record[1])
                if drop:
                    proxy.drops -= 1
                    proxy.dropped.append(record)
            if drop:
                # The server has acted; the client never hears about it.
                self.close_connection = True
                return
            self.send_response(upstream.status_code)
            for name, value in upstream.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)

        do_GET = do_POST = do_DELETE = do_PUT = _serve  # noqa: N815 (http.server names)

    return Handler


def serve_dropping_proxy(
    upstream: str, match: Callable[[str, str], bool], drops: int = 1
) -> Iterator[DroppingProxy]:
    """Run a DroppingProxy for the duration of a fixture."""
    proxy = DroppingProxy(upstream=upstream, match=match, drops=drops)
    with httpx.Client(base_url=upstream, timeout=60) as client:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(proxy, client))
        httpd.daemon_threads = True
        proxy.port = int(httpd.server_address[1])
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield proxy
        finally:
            httpd.shutdown()
            httpd.server_close()


def local_client(**options: Any) -> Iterator[Semphony]:
    """A `Semphony.local()` client for the duration of a fixture; the server stops after."""
    client = Semphony.local(**options)
    try:
        yield client
    finally:
        client.close()
