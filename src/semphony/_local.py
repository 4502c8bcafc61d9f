"""The embedded control server: the simulated SEM started as a child process on a loopback port.

The child dies with its parent, however the parent ends. It is started with `--watch-stdin` and a
pipe for its standard input that only this process holds: when this process exits, the kernel
closes the pipe (SIGKILL and a crash included), the child reads end-of-file, shuts down and, with
`--remove-data-dir`, deletes its temporary data folder. A pipe behaves so on Linux, macOS and
Windows alike; a Linux death signal would not.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from semphony._base_client import logger, token_from_file
from semphony._exceptions import SemphonyError

__all__ = ["LocalServer"]

_READY = re.compile(r"listening on (https?://\S+)")
_STARTUP_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0

# Servers still running at interpreter exit are stopped then, so a forgotten close() leaks nothing
# (held strongly: a client dropped without close() must not orphan its server).
_RUNNING: set[LocalServer] = set()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


class LocalServer:
    """A `python -m semphony.server` child process bound to 127.0.0.1 on a free port."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        *,
        base_url: str,
        token: str,
        data_dir: Path,
        owns_data_dir: bool,
    ) -> None:
        self.process = process
        self.base_url = base_url
        self.token = token
        self.data_dir = data_dir
        self._owns_data_dir = owns_data_dir
        _RUNNING.add(self)

    def __repr__(self) -> str:
        return f"LocalServer(base_url={self.base_url!r}, pid={self.process.pid})"

    @classmethod
    def start(
        cls,
        *,
        seed: int | None = None,
        specimen_kind: str | None = None,
        specimen: str | os.PathLike[str] | None = None,
        specimen_pixel_um: float | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        realtime: float | None = None,
        extra_args: tuple[str, ...] = (),
        startup_timeout_s: float = _STARTUP_TIMEOUT_S,
    ) -> LocalServer:
        """Start the simulated server; return once it listens (its token read from the data dir)."""
        if specimen is not None and specimen_kind is not None:
            raise ValueError("give either specimen (an image file) or specimen_kind, not both")
        if (specimen is None) != (specimen_pixel_um is None):
            raise ValueError("specimen and specimen_pixel_um go together: give both or neither")
        owns = data_dir is None
        directory = Path(tempfile.mkdtemp(prefix="semphony-")) if owns else Path(data_dir or ".")
        directory.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, "-m", "semphony.server", "--host", "127.0.0.1", "--port", "0"]
        args += ["--data-dir", str(directory)]
        if seed is not None:
            args += ["--seed", str(int(seed))]
        if specimen_kind is not None:
            args += ["--specimen-kind", specimen_kind]
        if specimen is not None:
            args += ["--specimen", str(specimen), "--specimen-pixel-um", repr(specimen_pixel_um)]
        if realtime is not None:
            args += ["--realtime", repr(float(realtime))]
        args += ["--watch-stdin"] + (["--remove-data-dir"] if owns else [])
        args += list(extra_args)
        stdout_path = directory / "server.stdout.log"
        stderr_path = directory / "server.log"
        with open(stdout_path, "wb") as out, open(stderr_path, "ab") as err:
            # A session of its own: the user's Ctrl-C must reach only the script, which then still
            # needs the server to cancel the running operation and release the lease.
            process = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,  # the lifeline: closed when this process ends
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        try:
            base_url = _wait_ready(process, stdout_path, stderr_path, startup_timeout_s)
            token = _read_token(directory / "token", process, startup_timeout_s)
        except BaseException:
            _terminate(process)
            if owns:
                shutil.rmtree(directory, ignore_errors=True)
            raise
        logger.info("started local control server %s (pid %d)", base_url, process.pid)
        return cls(process, base_url=base_url, token=token, data_dir=directory, owns_data_dir=owns)

    @property
    def artifacts_dir(self) -> Path:
        """Where the server stores its images (`<image_id>.tiff`), on this machine."""
        return self.data_dir / "artifacts"

    @property
    def running(self) -> bool:
        """Whether the child process is still alive."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its data dir if we created it."""
        _RUNNING.discard(self)
        if self.running:
            _terminate(self.process)
            logger.info("stopped local control server %s", self.base_url)
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Close the lifeline (the child then shuts down on its own); SIGTERM, SIGKILL if it lingers."""
    if process.stdin is not None and not process.stdin.closed:
        with contextlib.suppress(OSError):
            process.stdin.close()
    for ask in (None, process.terminate, process.kill):
        if process.poll() is not None:
            return
        if ask is not None:
            ask()
        try:
            process.wait(timeout=_STOP_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:].strip()
    except OSError:
        return ""


def _wait_ready(
    process: subprocess.Popen[bytes], stdout: Path, stderr: Path, timeout_s: float
) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        match = _READY.search(_tail(stdout, 10_000))
        if match is not None:
            return match.group(1).rstrip("/")
        code = process.poll()
        if code is not None:
            raise SemphonyError(
                f"the local control server exited with code {code} before it listened:\n"
                f"{_tail(stderr) or '(no output)'}"
            )
        if time.monotonic() > deadline:
            raise SemphonyError(
                f"the local control server did not start within {timeout_s:g} s:\n"
                f"{_tail(stderr) or '(no output)'}"
            )
        time.sleep(0.02)


def _read_token(path: Path, process: subprocess.Popen[bytes], timeout_s: float) -> str:
    # The server writes its token before it listens; wait briefly in case of a slow filesystem.
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            token = token_from_file(path.read_text()) or ""
        except FileNotFoundError:
            token = ""
        if token:
            return token
        if process.poll() is not None or time.monotonic() > deadline:
            raise SemphonyError(f"the local control server wrote no token to {path}")
        time.sleep(0.02)
