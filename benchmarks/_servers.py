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

__all__ = ["Emulator", "Server", "emulator", "server", "stop"]

_READY = re.compile(r"listening on (https?://\S+)")
_EMULATOR_READY = re.compile(r"control (\d+) data (\d+) side (\d+)")
_STARTUP_TIMEOUT_S = 60.0


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within 15 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
        stop(process)


@dataclass(frozen=True)
class Emulator:
    """Where a started SharkSEM emulator answers: its control, data and side-channel ports."""

    control_port: int
    data_port: int
    side_port: int


@contextmanager
def emulator(log_dir: Path, extra_args: Sequence[str] = ()) -> Iterator[Emulator]:
    """`semphony sharksem-emulator --port 0` in its own process, stopped (SIGTERM) on exit."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stderr = log_dir / "emulator.log"
    args = [sys.executable, "-m", "semphony.server.drivers.tescan.emulator", "--port", "0"]
    with open(stderr, "wb") as err:
        process = subprocess.Popen(
            [*args, *extra_args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode(errors="replace")  # the banner names the ports
        if (match := _EMULATOR_READY.search(line)) is None:
            log = stderr.read_text()[-2000:]
            raise RuntimeError(f"the emulator did not start: {line!r}\n{log}")
        control, data, side = (int(g) for g in match.groups())
        yield Emulator(control, data, side)
    finally:
        stop(process)
