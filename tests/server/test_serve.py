"""The listening socket `semphony serve` binds."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from semphony.server.serve import bind_socket


def test_the_listening_socket_is_tcp_so_asyncio_disables_nagle_on_its_connections() -> None:
    # asyncio sets TCP_NODELAY on accepted sockets only when the listener's proto is IPPROTO_TCP;
    # with proto 0 every keep-alive answer waited out a delayed ACK (~40 ms a request).
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def test_with_a_certificate_and_key_the_server_speaks_tls_only(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:  # the project's machines ship it; a bare laptop may not
        pytest.skip("needs the openssl command to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    request = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    request += ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
    request += ["-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        request,
        check=True,
        capture_output=True,
    )
    args = [
        sys.executable,
        "-m",
        "semphony.server",
        "--port",
        "0",
        "--token",
        "tls-test-token-0123",
    ]
    args += ["--data-dir", str(tmp_path / "data"), "--tls-cert", str(cert), "--tls-key", str(key)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.removeprefix("semphony control server listening on ").strip()
        assert url.startswith("https://127.0.0.1:"), line
        trusted = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=url, verify=trusted, timeout=30) as client:
            health = client.get("/v1/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        plain = url.replace("https://", "http://")
        with pytest.raises(httpx.HTTPError):  # no plain-HTTP answer on the TLS port
            httpx.get(f"{plain}/v1/health", timeout=10)
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
