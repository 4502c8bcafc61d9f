"""Start `semphony serve` on a free loopback port with a temporary data dir, run the
schemathesis CLI against it with the project's hooks, stop the server; exit with st's code.

    python -m tests.fuzz.run --max-time 120

Among the contract's ~270 links a random walk of the stateful phase rarely gets from a run to a
finished scan and its download (a second, stateful-only run over the acquisition's own operations
fared no better: its scenarios met the lease of the last). So that `GET /v1/artifacts/{image_id}`
is tested on a real artifact whatever the walk does, the server acquires one image first and the
hooks give its id to half the download cases; the run fails unless some download answered 200.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.fuzz.instrument import prepare

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "fuzz-operator-token-0123456789"
_URL = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def _start(data_dir: str) -> tuple[subprocess.Popen[str], str]:
    """Start the server, its output going to a file: a pipe nobody reads once the URL is known
    fills up and blocks the server's logging, and with it every request that logs."""
    bin_dir = Path(sys.executable).parent
    log = Path(data_dir) / "serve.log"
    with log.open("w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [str(bin_dir / "semphony"), "serve", "--port", "0", "--data-dir", data_dir,
             "--token", TOKEN, "--realtime", "0"],
            stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.poll() is None:
        match = _URL.search(log.read_text(encoding="utf-8", errors="replace"))
        if match:
            return server, match.group(1)
        time.sleep(0.1)
    server.kill()
    server.wait()
    raise SystemExit(f"semphony serve did not announce its URL:\n{log.read_text()[-2000:]}")


def _report(tally: Path) -> list[list[object]]:
    """Print the answers by phase and operation: status (reason) x count; return the rows."""
    if not tally.exists():
        print("no tally written by the hooks", file=sys.stderr)
        return []
    rows: list[list[object]] = json.loads(tally.read_text())
    by_op: dict[tuple[str, str], list[str]] = {}
    for phase, operation, status, reason, count in rows:
        label = f"{status} {reason}".strip()
        by_op.setdefault((str(phase), str(operation)), []).append(f"{label} x{count}")
    print("\nanswers by phase and operation (status reason x count):")
    for (phase, operation), answers in sorted(by_op.items()):
        print(f"  {phase:9} {operation:22} {', '.join(answers)}")
    return rows


def _downloads(rows: list[list[object]]) -> int:
    """How many downloads of an artifact answered 200, in any phase."""
    return sum(
        int(str(count))
        for _, operation, status, _, count in rows
        if (operation, status) == ("download_artifact", 200)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-time", type=int, default=120, help="seconds per st run")
    phases = "examples,coverage,fuzzing,stateful"
    parser.add_argument("--phases", default=phases, help="st's --phases (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="semphony-fuzz-") as data_dir:
        server, url = _start(data_dir)
        try:
            # Ready to scan from the first case: pumped, beam on, the lease free.
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as api:
                image_id = prepare(api)
            st = Path(sys.executable).parent / "st"
            # The token goes through the contract's security scheme, not a fixed -H header:
            # with -H every request carries it and the "missing Authorization" cases cannot
            # be made (ST203 would then blame the server for what the fuzzer sent).
            config = Path(data_dir) / "schemathesis.toml"
            # Negative data is the stateless phases' business: scenarios go deep with valid calls.
            config.write_text(
                f'[auth.openapi.bearerAuth]\nbearer = "{TOKEN}"\n\n'
                '[phases.stateful.generation]\nmode = "positive"\n'
            )
            runs: tuple[tuple[str, str, int, list[str]], ...] = (
                ("every operation", args.phases, args.max_time, []),
            )
            code = 0
            rows: list[list[object]] = []
            downloads = 0
            for index, (title, phases, budget, extra) in enumerate(runs):
                tally = Path(data_dir) / f"tally-{index}.json"
                env = {
                    **os.environ,
                    "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
                    "PYTHONPATH": str(ROOT),
                    "SEMPHONY_FUZZ_TALLY": str(tally),
                    "SEMPHONY_FUZZ_URL": url,
                    "SEMPHONY_FUZZ_TOKEN": TOKEN,
                    "SEMPHONY_FUZZ_IMAGE_ID": image_id,
                }
                command = [
                    str(st), "--config-file", str(config), "run",
                    str(ROOT / "openapi" / "semphony.yaml"), "--url", url,
                    "--checks", "all",
                    "--exclude-checks", "use_after_free",
                    "--phases", phases,
                    "--max-time", str(budget), "--seed", "20240611", *extra,
                ]  # fmt: skip
                print(f"\n== st over {title} ({phases}; {budget} s)", flush=True)
                result = subprocess.call(command, env=env, cwd=data_dir)
                code = code or result
                rows = _report(tally)
                downloads += _downloads(rows)
            print(f"\ndownloads of an artifact answered 200: {downloads}")
            if downloads == 0:
                print("the run never downloaded an artifact: GET /v1/artifacts/{image_id} untested")
                code = code or 1
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
                print("semphony serve did not stop within 30 s of SIGTERM", file=sys.stderr)
                code = 1
        return code


if __name__ == "__main__":
    sys.exit(main())
