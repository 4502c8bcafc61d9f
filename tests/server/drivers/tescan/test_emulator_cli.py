"""The emulator as a program: ``python -m ...emulator --port 0`` prints its ports, serves, stops."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading

import pytest

from semphony.server.drivers.tescan import Connection
from semphony.server.drivers.tescan.emulator import side_call
from semphony.server.drivers.tescan.emulator.cli import main

BANNER = re.compile(r"^sharksem emulator listening on (\S+) control (\d+) data (\d+) side (\d+)$")


def _first_line(process: subprocess.Popen[str], timeout_s: float) -> str:
    # A thread, not select(): pipes cannot be selected on Windows.
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    return lines.get(timeout=timeout_s)


def test_the_module_runs_prints_its_ports_and_serves() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "semphony.server.drivers.tescan.emulator",
            "--port",
            "0",
            "--time-scale",
            "0",
            "--seed",
            "3",
            "--protocol-version",
            "3.1.0",
            "--fault",
            "scan_error",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _first_line(process, 60).rstrip("\n")
        match = BANNER.match(line)
        assert match, line
        host, control, data, side = match.groups()
        assert host == "127.0.0.1"
        assert int(data) == int(control) + 1
        assert int(side) == int(control) + 2
        with Connection(host, int(control), timeout_s=5) as conn:
            assert conn.call_str("TcpGetVersion") == "3.1.0"
            assert conn.call_int("ScScanXY", 1, 64, 64, 0, 0, 63, 63, 1) == -1  # --fault
            assert conn.call_int("ScScanXY", 2, 64, 64, 0, 0, 63, 63, 1) == 0
            conn.call("ScStopScan")
        assert side_call((host, int(side)), "status")["time_scale"] == 0.0
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    if sys.platform != "win32":  # terminate() is SIGTERM: a clean stop
        assert process.returncode == 0, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--time-scale", "-1"], "must be a number >= 0"),
        (["--protocol-version", "three"], "not a protocol version"),
        (["--scan-turn", "45"], "invalid choice"),
        (["--port", "70000"], "must be a port"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_a_port_in_use_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"sharksem-emulator: cannot listen on 127.0.0.1:{port}")
    assert "\n" not in err
