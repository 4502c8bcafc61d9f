"""Start `semphony serve` on a free loopback port with a temporary data dir, run the
schemathesis CLI against it with the project's hooks, stop the server; exit with st's code.

    python -m tests.fuzz.run --max-time 120
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "fuzz-operator-token-0123456789"
_URL = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def _start(data_dir: str) -> tuple[subprocess.Popen[str], str]:
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen(
        [str(bin_dir / "semphony"), "serve", "--port", "0", "--data-dir", data_dir,
         "--token", TOKEN, "--realtime", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    deadline = time.monotonic() + 30
    for line in server.stdout:
        match = _URL.search(line)
        if match:
            return server, match.group(1)
        if time.monotonic() > deadline:
            break
    server.kill()
    raise SystemExit("semphony serve did not announce its URL")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-time", type=int, default=120, help="seconds per st run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="semphony-fuzz-") as data_dir:
        server, url = _start(data_dir)
        try:
            env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks", "PYTHONPATH": str(ROOT)}
            st = Path(sys.executable).parent / "st"
            # The token goes through the contract's security scheme, not a fixed -H header:
            # with -H every request carries it and the "missing Authorization" cases cannot
            # be made (ST203 would then blame the server for what the fuzzer sent).
            config = Path(data_dir) / "schemathesis.toml"
            config.write_text(f'[auth.openapi.bearerAuth]\nbearer = "{TOKEN}"\n')
            command = [
                str(st), "--config-file", str(config), "run",
                str(ROOT / "openapi" / "semphony.yaml"), "--url", url,
                "--checks", "all",
                "--exclude-checks", "use_after_free",
                "--phases", "examples,coverage,fuzzing,stateful",
                "--max-time", str(args.max_time), "--seed", "20240611",
            ]  # fmt: skip
            return subprocess.call(command, env=env, cwd=data_dir)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
