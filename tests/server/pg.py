"""A throwaway PostgreSQL cluster for the tests, and a TCP relay that can cut its connections.

`Cluster.start()` finds the server binaries with ``pg_config --bindir`` (or
``$SEMPHONY_PG_BINDIR``), makes a folder of its own under /tmp, runs ``initdb`` there (trust
authentication: it listens on 127.0.0.1 only) and starts the server on a free loopback port with
its socket directory inside that folder. ``initdb`` refuses to run as root, so as root the folder
is given to the ``postgres`` system user and both run as that user (pytest's own temporary tree is
private to root, hence a folder outside it). Each test gets a schema of its own
(`Cluster.schema_url`), dropped afterwards: far cheaper than a database per test.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg

__all__ = ["Cluster", "Relay", "bindir", "unavailable_reason"]

_DBNAME = "semphony_test"
_USER = "postgres"


def bindir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    explicit = os.environ.get("SEMPHONY_PG_BINDIR")
    candidates: list[str] = [explicit] if explicit else []
    if not explicit and shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    for folder in candidates:
        if folder and all((Path(folder) / name).is_file() for name in ("initdb", "pg_ctl")):
            return Path(folder)
    return None


def unavailable_reason() -> str | None:
    """Why no cluster can be started here (None when one can)."""
    if bindir() is None:
        return (
            "PostgreSQL server binaries not found (pg_config --bindir names none with initdb and "
            "pg_ctl; on Debian: apt-get install postgresql, or set SEMPHONY_PG_BINDIR)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(_USER)
        except KeyError:
            return "running as root and there is no `postgres` system user to run initdb as"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One PostgreSQL server in a temporary folder, for one test session."""

    def __init__(self) -> None:
        found = bindir()
        assert found is not None, unavailable_reason()
        self.bindir = found
        self.root = Path(tempfile.mkdtemp(prefix="semphony-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            user = pwd.getpwnam(_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self.root.chmod(0o700)

    def _run(self, *argv: str) -> None:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", _USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.root)
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed: {done.stderr}{done.stdout}{tail}")

    def start(self) -> Cluster:
        # The test cluster trades durability for speed: a crash loses it anyway.
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", _USER, "-E", "UTF8",
                  "--no-locale", "--no-sync")  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {_DBNAME}")
        return self

    def url(self, dbname: str = _DBNAME, port: int | None = None) -> str:
        return f"postgresql://{_USER}@127.0.0.1:{port or self.port}/{dbname}"

    def new_schema(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return name

    def schema_url(self, schema: str, port: int | None = None) -> str:
        """A URL whose connections see `schema` only (search_path), through `port` if given."""
        return f"{self.url(port=port)}?options={quote(f'-csearch_path={schema}')}"

    def drop_schema(self, schema: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class Relay:
    """A TCP relay on a free loopback port to `target_port`: `cut()` drops every connection and
    hangs up on new ones (a database that went away), `restore()` relays again."""

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._cut = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def restore(self) -> None:
        self._cut = False

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self._cut = True
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def close(self) -> None:
        self.cut()
        self._listener.close()
