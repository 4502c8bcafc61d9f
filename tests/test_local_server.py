"""`Semphony.local()`: the embedded server dies with the script that started it, however the script
ends (a Jupyter restart or a scheduler sends SIGTERM or SIGKILL), and removes its data folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

_SCRIPT = """
import json, sys, time
from semphony import Semphony
client = Semphony.local(seed=1)
server = client.local_server
print(json.dumps({"pid": server.process.pid, "data_dir": str(server.data_dir)}), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose: reap it if it is our grandchild's (it is not ours).
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" not in status


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_the_embedded_server_dies_with_its_parent_and_removes_its_folder(
    how: signal.Signals,
) -> None:
    script = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    try:
        assert script.stdout is not None
        started = json.loads(script.stdout.readline())
        server_pid, data_dir = int(started["pid"]), Path(started["data_dir"])
        assert _alive(server_pid)
        assert data_dir.is_dir()
        script.send_signal(how)
        script.wait(timeout=30)
        deadline = time.monotonic() + 30
        while (_alive(server_pid) or data_dir.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(server_pid), "the embedded server outlived its parent"
        assert not data_dir.exists(), "the embedded server left its temporary folder behind"
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
