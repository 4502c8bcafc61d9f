"""A control server in its own process, for the benchmarks that talk to one over loopback."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Server", "server"]

_READY = re.compile(r"listening on (https?://\S+)")
_STARTUP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Server:
    """Where a started server answers, its operator token and its process id."""

    url: str
    token: str
    pid: int


def _operator_token(path: Path) -> str:
    for line in path.read_text().splitlines():
        parts = line.split()  # `role name token`, or the older `role token`
        if len(parts) in (2, 3) and parts[0] == "operator":
            return parts[-1]
    raise RuntimeError(f"no `operator <token>` line in {path}")


@contextmanager
def server(data_dir: Path, extra_args: Sequence[str] = ()) -> Iterator[Server]:
    """`python -m semphony.server` on a free loopback port, stopped (SIGTERM) on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stdout = data_dir / "stdout.log"
    stderr = data_dir / "stderr.log"
    args = [sys.executable, "-m", "semphony.server", "--port", "0", "--data-dir", str(data_dir)]
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen(
            [*args, *extra_args], stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while (match := _READY.search(stdout.read_text())) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{stderr.read_text()[-2000:]}")
            time.sleep(0.05)
        token = _operator_token(data_dir / "token")
        yield Server(match.group(1).rstrip("/"), token, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
