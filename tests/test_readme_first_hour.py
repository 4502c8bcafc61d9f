"""The README's "Your first hour", run as written: serve, the printed token lines, the SDK script,
then the CLI's save, remount and find with the report."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_EXPORT = re.compile(r"^\s*export (SEMPHONY_[A-Z_]+)=(\S+)$")


def _block(info: str) -> str:
    """The fenced block of the README whose info string is `info`."""
    match = re.search(rf"^```{re.escape(info)}\n(.*?)^```$", README.read_text(), re.M | re.S)
    assert match is not None, f"README.md has no ```{info} block"
    return match.group(1)


def _commands(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.slow
def test_the_first_hour_runs_as_written(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEMPHONY_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path)  # nothing of the developer's own setup leaks in
    (serve,) = _commands(_block("sh first-hour-server"))
    server = subprocess.Popen(
        shlex.split(serve),
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stderr is not None
        first = server.stdout.readline()
        assert first.startswith("semphony control server listening on http://127.0.0.1:")
        exports: dict[str, str] = {}
        while len(exports) < 2:  # what it tells the person follows the URL (on stderr)
            line = server.stderr.readline()
            assert line, "serve ended before printing the export lines"
            if (m := _EXPORT.match(line)) is not None:
                exports[m[1]] = m[2]
        # Keep reading its log, so that a full pipe never stalls the server.
        threading.Thread(target=server.stderr.read, daemon=True).start()
        assert set(exports) == {"SEMPHONY_BASE_URL", "SEMPHONY_TOKEN_FILE"}
        env.update(exports)  # "run those two export lines as printed"
        (tmp_path / "first_hour.py").write_text(_block("python first-hour"))
        for command in _commands(_block("sh first-hour")):
            done = subprocess.run(
                shlex.split(command),
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            if command.startswith("semphony roi find"):
                assert "found ROI 'site'" in done.stdout
        assert (tmp_path / "first.tiff").read_bytes()[:4] in (b"II*\x00", b"MM\x00*")
        assert (tmp_path / "find.png").read_bytes().startswith(b"\x89PNG")
    finally:
        server.terminate()  # as Ctrl-C in the first terminal would
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
