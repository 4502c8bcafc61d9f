"""The listening socket `semphony serve` binds."""

from __future__ import annotations

import socket

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
