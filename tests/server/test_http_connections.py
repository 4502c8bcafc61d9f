"""Connections: no redirect built from the Host header, no half-sent request held open, and a
request id on every problem.

The read-timeout tests open raw sockets to a server whose timeouts are 1 s, wait the timeout and a
margin, and count the sockets still open: a count, not a measured latency.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from semphony.server.app import create_app
from semphony.server.settings import ServerSettings
from semphony.server.timeouts import BodyReadTimeoutMiddleware
from tests.server.conftest import OPERATOR_TOKEN, Served, make_settings, serve_in_thread

TIMEOUT_S = 1.0
# The protocol's backstop closes an unread body 1 s after the timeout; 2 s more is the margin.
SETTLE_S = TIMEOUT_S + 3.0
AUTH = f"Authorization: Bearer {OPERATOR_TOKEN}\r\n"
_SERVE_DEFAULT_TIMEOUT_S = max(
    ServerSettings.model_fields[name].default for name in ("header_timeout_s", "body_timeout_s")
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = make_settings(
        Path(tmp_path_factory.mktemp("connections")) / "data",
        header_timeout_s=TIMEOUT_S,
        body_timeout_s=TIMEOUT_S,
    )
    server = serve_in_thread(settings)
    yield server
    server.stop()


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with served.client(OPERATOR_TOKEN) as c:
        yield c


def _open(served: Served, first: bytes, sockets: ExitStack) -> socket.socket:
    host, port = served.base_url.removeprefix("http://").split(":")
    sock = sockets.enter_context(socket.create_connection((host, int(port)), timeout=5))
    if first:
        sock.sendall(first)
    return sock


def _drain(sock: socket.socket) -> tuple[bool, bytes]:
    """Whether the server closed `sock`, and what it sent, without waiting."""
    sock.setblocking(False)
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except BlockingIOError:
            return False, received
        except ConnectionError:
            return True, received
        if not chunk:
            return True, received
        received += chunk


def _response(raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def _assert_timed_out_with_request_id(raw: bytes, part: str) -> None:
    status, headers, problem = _response(raw)
    assert status == 408
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert problem["reason"] == "request.timeout"
    assert part in problem["detail"]
    assert problem["request_id"] == headers["x-request-id"]


# -------------------------------------------------------------------------- trailing slashes


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/runs/"), ("POST", "/v1/runs/")])
def test_a_trailing_slash_is_a_404_never_a_redirect_built_from_the_host_header(
    client: httpx.Client, method: str, path: str
) -> None:
    response = client.request(
        method, path, headers={"Host": "attacker.example"}, json={"name": "r"}
    )
    assert response.status_code == 404, response.text
    assert "location" not in response.headers
    assert response.json()["reason"] == "not_found"
    assert "attacker.example" not in response.text
    assert "no trailing slash" in response.json()["detail"]


# ----------------------------------------------------------------------------- read timeouts


def test_half_sent_request_heads_are_closed_after_the_header_timeout(served: Served) -> None:
    with ExitStack() as sockets:
        partial = [
            _open(served, b"POST /v1/runs HTTP/1.1\r\nHost: x\r\nConte", sockets) for _ in range(50)
        ]
        silent = [_open(served, b"", sockets) for _ in range(10)]
        dripping = _open(served, b"G", sockets)
        deadline = time.monotonic() + SETTLE_S
        for byte in b"ET /v1/health HTTP/1.1\r\nHost: x\r\n":
            if time.monotonic() > deadline:
                break
            try:
                dripping.send(bytes([byte]))  # one byte at a time, each well inside the timeout
            except OSError:
                break
            time.sleep(0.2)
        time.sleep(max(0.0, deadline - time.monotonic()))
        drained = [_drain(s) for s in [*partial, *silent, dripping]]
    still_open = sum(1 for closed, _ in drained if not closed)
    assert still_open == 0
    for _, raw in drained[:50]:
        _assert_timed_out_with_request_id(raw, "head")
    assert all(raw == b"" for _, raw in drained[50:60])  # nothing sent, nothing answered


def test_half_sent_bodies_are_answered_408_and_closed_after_the_body_timeout(
    served: Served,
) -> None:
    head = f"POST /v1/runs HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Type: application/json\r\n"
    with ExitStack() as sockets:
        plain = [
            _open(served, f'{head}Content-Length: 100\r\n\r\n{{"name":'.encode(), sockets)
            for _ in range(40)
        ]
        keyed = [
            _open(
                served,
                f"{head}Idempotency-Key: half-{i}\r\nContent-Length: 100\r\n\r\n{{".encode(),
                sockets,
            )
            for i in range(10)
        ]
        chunked = _open(
            served, f'{head}Transfer-Encoding: chunked\r\n\r\n4\r\n{{"na\r\n'.encode(), sockets
        )
        time.sleep(SETTLE_S)
        drained = [_drain(s) for s in [*plain, *keyed, chunked]]
    assert sum(1 for closed, _ in drained if not closed) == 0
    for _, raw in drained:
        _assert_timed_out_with_request_id(raw, "body")


def test_a_half_sent_body_nobody_reads_is_closed_after_the_body_timeout(served: Served) -> None:
    # An unknown path is answered at once and its body is never read: the protocol closes it.
    head = "POST /v1/nowhere HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    with ExitStack() as sockets:
        socks = [
            _open(served, f"{head}Content-Length: 100000\r\n\r\n[".encode(), sockets)
            for _ in range(20)
        ]
        time.sleep(TIMEOUT_S / 2)
        for sock in socks:
            sock.sendall(b"1,")  # still dripping after the 404: the keep-alive timer is off
        time.sleep(SETTLE_S)
        drained = [_drain(s) for s in socks]
    assert sum(1 for closed, _ in drained if not closed) == 0
    assert all(_response(raw)[0] == 404 for _, raw in drained)


@pytest.mark.slow
def test_semphony_serve_closes_half_sent_requests_after_its_default_timeouts(
    tmp_path: Path,
) -> None:
    args = [sys.executable, "-m", "semphony.server", "--port", "0", "--token", OPERATOR_TOKEN]
    args += ["--data-dir", str(tmp_path / "data")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.removeprefix("semphony control server listening on ").strip()
        host, port = url.removeprefix("http://").split(":")
        head = f"POST /v1/runs HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Type: application/json\r\n"
        with ExitStack() as sockets:
            socks = [socket.create_connection((host, int(port)), timeout=5) for _ in range(20)]
            for sock in socks:
                sockets.enter_context(sock)
            for sock in socks[:10]:
                sock.sendall(b"GET /v1/health HTTP/1.1\r\nHo")
            for sock in socks[10:]:
                sock.sendall(f"{head}Content-Length: 50\r\n\r\n{{".encode())
            time.sleep(_SERVE_DEFAULT_TIMEOUT_S + 3.0)
            drained = [_drain(s) for s in socks]
        assert sum(1 for closed, _ in drained if not closed) == 0
        assert all(_response(raw)[0] == 408 for _, raw in drained)
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_a_slow_request_that_arrives_within_the_timeouts_is_served(served: Served) -> None:
    body = b'{"name": "slow but in time"}'
    head = (
        f"POST /v1/runs HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with ExitStack() as sockets:
        sock = _open(served, head[:20], sockets)
        time.sleep(TIMEOUT_S / 4)
        sock.sendall(head[20:] + body[:5])
        time.sleep(TIMEOUT_S / 4)
        sock.sendall(body[5:])
        sock.settimeout(10)
        raw = b""
        while b"\r\n\r\n" not in raw or not raw.rstrip().endswith(b"}"):
            raw += sock.recv(65536)
    status, headers, created = _response(raw)
    assert status == 201, raw
    assert created["name"] == "slow but in time"
    assert headers.get("connection") != "close"


def test_the_body_timeout_does_not_cut_a_request_whose_body_is_in() -> None:
    # A streaming response listens for the disconnect with receive() for as long as it streams;
    # that wait, after the body, has no deadline.
    timeout_s = 0.2
    seen: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(await receive())
        seen.append(await receive())  # the disconnect, long after the timeout
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sent: list[Message] = []
    incoming = iter([{"type": "http.request", "body": b"{}", "more_body": False}])

    async def receive() -> Message:
        message = next(incoming, None)
        if message is None:
            await anyio.sleep(timeout_s * 3)
            return {"type": "http.disconnect"}
        return message

    async def send(message: Message) -> None:
        sent.append(message)

    async def main() -> None:
        middleware = BodyReadTimeoutMiddleware(app, timeout_s=timeout_s)
        await middleware({"type": "http", "path": "/", "headers": []}, receive, send)

    anyio.run(main)
    assert [m["type"] for m in seen] == ["http.request", "http.disconnect"]
    assert sent[0]["status"] == 200


# --------------------------------------------------------------------------------- request ids


def _same_request_id(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    request_id = response.json().get("request_id")
    assert request_id is not None, response.text
    assert request_id == response.headers["x-request-id"]
    return str(request_id)


def test_idempotency_problems_carry_the_request_id(client: httpx.Client) -> None:
    key = {"Idempotency-Key": "ids-1"}
    assert client.post("/v1/runs", json={"name": "a"}, headers=key).status_code == 201
    mismatch = client.post("/v1/runs", json={"name": "b"}, headers=key)
    assert (mismatch.status_code, mismatch.json()["reason"]) == (422, "idempotency.mismatch")
    _same_request_id(mismatch)
    invalid = client.post("/v1/runs", json={"name": "c"}, headers={"Idempotency-Key": "a b"})
    assert invalid.status_code == 422
    _same_request_id(invalid)


def test_body_limit_problems_carry_the_request_id(client: httpx.Client, served: Served) -> None:
    limit = served.settings.max_body_bytes
    declared = client.post(
        "/v1/runs", content=b" " * (limit + 1), headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    _same_request_id(declared)

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    streamed = client.post(
        "/v1/runs",
        content=chunks(),
        headers={"Content-Type": "application/json", "Idempotency-Key": "big-1"},
    )
    assert streamed.status_code == 413
    _same_request_id(streamed)


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status"),
    [
        ("/v1/runs", b"[", "application/json", 400),
        ("/v1/runs", b"name=r", "application/x-www-form-urlencoded", 415),
        ("/v1/runs", b"{}", "application/json", 422),
        ("/v1/runs/", b"{}", "application/json", 404),
    ],
)
def test_every_other_problem_carries_the_request_id(
    client: httpx.Client, path: str, body: bytes, content_type: str, status: int
) -> None:
    response = client.post(path, content=body, headers={"Content-Type": content_type})
    assert response.status_code == status
    _same_request_id(response)


def test_an_unexpected_error_carries_the_request_id_in_body_and_header(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "data"))

    async def explode() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/explode", explode)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.get("/v1/explode")

    response = anyio.run(call)
    assert response.status_code == 500
    assert response.json()["reason"] == "server.error"
    _same_request_id(response)
