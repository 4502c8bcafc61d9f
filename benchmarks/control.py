"""Whether the control path survives readers: control-call latency with and without load.

The server runs in its own process (`python -m semphony.server`, i.e. `semphony serve`, with
`--realtime 1.0 --port 0` on 127.0.0.1, a temporary data dir and a token passed with `--token`),
once per phase:

- **pump**: a pump running (180 s in real time; cancelled early and restarted as needed). Beam off
  is not measured here: the beam cannot be on before the chamber is pumped;
- **scan**: the beam on and a 1024² scan at 8 µs running (8.45 s a frame, stoppable every 0.13 s;
  restarted when it ends or is stopped).

Each phase's data dir is prepared beforehand by a server at `--realtime 0` (pumped, a 2048² 8-bit
image of 4.2 MB acquired for the downloads, then the chamber vented for the pump phase), so that
neither phase waits 180 s for vacuum. Each phase measures the control calls first on the idle
server, then on the same server under load from separate processes (`_control_load`): N
long-polls (`GET /v1/operations/{id}?wait_s=30` on the running operation, re-issued as each
returns), 32 state pollers in a tight loop and 8 artifact downloads in a loop. Each server is
stopped after its phase, so requests still queued from one phase's load cannot slow the next.

Measured from this process, one keep-alive connection, a fresh Idempotency-Key on each POST (as the
SDK sends): cancel (`DELETE /v1/operations/{id}`), heartbeat, beam off, stop and health, in turn.
Before a sample, outside the timed region, the scene is set up again where it may have changed
(after a call that ends the operation or failed, or near the operation's natural end): the lease,
the beam, a running operation. Only answered and verified calls are latency samples: a non-2xx
answer is a refusal (counted by reason); a timeout, a lost connection or a 2xx without its effect
(the operation still running 10 s after a cancel, the beam still on, or a scan that finished on
its own after the cancel was sent) is a failure; a call sent when its operation had already ended
is void (neither). Heartbeat and health are tried even when the scene could not be read back
first (a starved server); cancel, beam off and stop are not.

Long-polls: an operation's end is the server's recorded `updated_at` of its terminal record; each
poller notes `time.time()` when its answer arrives (all processes share the machine's wall clock);
the delay to the first and to the last of the N answers is taken per end, over the ends of the
operations the pollers were told about. N is 256 (64 with `--quick`, which also takes fewer
samples with shorter budgets and client timeouts: see `_QUICK`).
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks._control_load import TERMINAL, LoadPlan, LoadPool
from benchmarks._control_report import PhaseResult, phase_details, phase_note, phase_rows
from benchmarks._control_scene import PUMP, SCAN, Phase, Scene, SetupError, epoch_s, run_block
from benchmarks._control_table import COLUMNS, LongPollAnswer, end_delays

__all__ = ["run"]

_READY = re.compile(r"listening on (https?://\S+)")
_STARTUP_TIMEOUT_S = 60.0
# SIGTERM, then SIGKILL after this long. A preparing server must save the simulator's state (its
# shutdown waits up to 10 s for an operation to stop); a measured one's data dir is thrown away.
_PREPARE_STOP_S = 20.0
_PHASE_STOP_S = 2.0
_ANSWER_GRACE_S = 2.0  # after the last sample, for long-poll answers still on their way
_IMAGE = {"resolution": [2048, 2048], "bit_depth": 8, "scan_speed_index": 0}


@dataclass(frozen=True)
class _Plan:
    samples_per_call: int
    unloaded_budget_s: float
    loaded_budget_s: float
    load: LoadPlan
    call_timeout_s: float
    setup_timeout_s: float
    settle_s: float  # after naming a new operation to the long-pollers
    warmup_s: float  # after the load starts, before the first loaded sample


_QUICK = _Plan(
    samples_per_call=5,
    unloaded_budget_s=8.0,
    loaded_budget_s=10.0,
    load=LoadPlan(64, 2, 32, 2, 8, 1),
    call_timeout_s=5.0,
    setup_timeout_s=5.0,
    settle_s=0.3,
    warmup_s=1.5,
)
_FULL = _Plan(
    samples_per_call=30,
    unloaded_budget_s=60.0,
    loaded_budget_s=90.0,
    load=LoadPlan(256, 4, 32, 2, 8, 1),
    call_timeout_s=10.0,
    setup_timeout_s=10.0,
    settle_s=0.4,
    warmup_s=3.0,
)


# ------------------------------------------------------------------------------- the server


def _die_with_parent() -> None:
    # Linux: the server gets SIGTERM if this process dies without stopping it (no orphans).
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextmanager
def _server(
    data_dir: Path, token: str, realtime: float, *, grace_s: float
) -> Iterator[tuple[str, int]]:
    """A server on a free loopback port: (URL, pid). SIGTERM on exit, SIGKILL if it lingers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stdout = data_dir.parent / f"server-rt{realtime:g}.out"
    stderr = data_dir.parent / f"server-rt{realtime:g}.err"
    args = [sys.executable, "-m", "semphony.server", "--host", "127.0.0.1", "--port", "0"]
    args += ["--realtime", f"{realtime:g}", "--data-dir", str(data_dir), "--token", token]
    with open(stdout, "wb") as out, open(stderr, "ab") as err:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while (match := _READY.search(stdout.read_text())) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{stderr.read_text()[-2000:]}")
            time.sleep(0.05)
        yield match.group(1).rstrip("/"), process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _threads(pid: int) -> int | None:
    """How many threads the process runs now (Linux), else None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _client(url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=httpx.Timeout(60.0)
    )


def _post(http: httpx.Client, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = http.post(path, json=body)
    if not response.is_success:
        raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
    document: dict[str, Any] = response.json()
    return document


def _finish(http: httpx.Client, op: dict[str, Any]) -> dict[str, Any]:
    while op["status"] not in TERMINAL:
        response = http.get(f"/v1/operations/{op['id']}", params={"wait_s": 30})
        response.raise_for_status()
        op = response.json()
    if op["status"] != "succeeded":
        raise RuntimeError(f"preparing the data dir: {op['kind']} {op['status']}: {op['problem']}")
    return op


def _prepare(data_dir: Path, token: str, *, vented: bool) -> tuple[str, int]:
    """At `--realtime 0`: pump, acquire the image to download, beam off, vent if asked.

    Returns the image id and its size in bytes.
    """
    with (
        _server(data_dir, token, 0.0, grace_s=_PREPARE_STOP_S) as (url, _),
        _client(url, token) as http,
    ):
        run = _post(http, "/v1/runs", {"name": "control-benchmark-prepare"})
        session = _post(http, f"/v1/runs/{run['id']}/sessions", {"holder": "prepare"})
        http.headers["Lease-Secret"] = str(session["lease_secret"])
        at = f"/v1/sessions/{session['id']}"
        _finish(http, _post(http, f"{at}/chamber/pump"))
        _post(http, f"{at}/beam", {"on": True})
        result = _finish(http, _post(http, f"{at}/acquisitions", _IMAGE))["result"]
        _post(http, f"{at}/beam", {"on": False})
        if vented:
            _finish(http, _post(http, f"{at}/chamber/vent"))
        http.delete(at).raise_for_status()
        head = http.get(f"/v1/artifacts/{result['image_id']}")
        head.raise_for_status()
        return str(result["image_id"]), len(head.content)


# ------------------------------------------------------------------------------- one phase


def _phase(phase: Phase, data_dir: Path, token: str, image_id: str, plan: _Plan) -> PhaseResult:
    result = PhaseResult.empty(phase, plan.load.longpolls)
    began = time.monotonic()
    with (
        LoadPool(token, plan.load, image_id, data_dir.parent) as pool,
        _server(data_dir, token, 1.0, grace_s=_PHASE_STOP_S) as (url, pid),
    ):
        pool.spawn()  # the workers import while the server starts, then wait
        result.walls_s["server start"] = time.monotonic() - began
        with _client(url, token) as http:
            run_id = str(_post(http, "/v1/runs", {"name": f"control-benchmark-{phase.name}"})["id"])
            vacuum = http.get("/v1/state").json().get("vacuum")
        wanted = "pumped" if phase.needs_beam else "vented"
        if vacuum != wanted:
            result.skipped = f"the restarted server's chamber is {vacuum}, not {wanted}"
            return result
        scene = Scene(
            url,
            token,
            phase,
            run_id,
            call_timeout_s=plan.call_timeout_s,
            setup_timeout_s=plan.setup_timeout_s,
        )
        try:
            scene.start_session()
            result.unloaded, result.walls_s["unloaded"] = run_block(
                scene, samples_per_call=plan.samples_per_call, budget_s=plan.unloaded_budget_s
            )
            scene.final_check()
            result.server_threads["idle"] = _threads(pid)
            started = time.monotonic()
            pool.start(url)
            result.walls_s["load start"] = time.monotonic() - started
            scene.watch(pool.announce, plan.settle_s)
            with contextlib.suppress(SetupError):
                scene.prepare()  # the first operation named before the warm-up
            time.sleep(plan.warmup_s)
            result.server_threads["loaded, start"] = _threads(pid)
            result.loaded, result.walls_s["loaded"] = run_block(
                scene, samples_per_call=plan.samples_per_call, budget_s=plan.loaded_budget_s
            )
            result.server_threads["loaded, end"] = _threads(pid)
            time.sleep(_ANSWER_GRACE_S)
            scene.final_check()
            cutoff = time.time() - _ANSWER_GRACE_S
            began = time.monotonic()
            result.load = pool.stop()
            result.walls_s["load stop"] = time.monotonic() - began
        finally:
            scene.close()
        began = time.monotonic()
    result.walls_s["server stop"] = time.monotonic() - began
    result.setup_errors = dict(scene.setup_errors)
    result.started_ops = scene.started_ops
    answers = [a for report in result.load for a in report.get("answers", [])]
    # An end the measuring side did not see (a scan that finished on its own) is in the answers.
    seen = {a["op"]: epoch_s(a["updated_at"]) for a in answers if a.get("updated_at")}
    ends = {op: t for op, t in {**seen, **scene.ends}.items() if t <= cutoff}
    result.delays = end_delays(
        ends,
        [
            LongPollAnswer(a["poller"], a["op"], a["sent_at"], a["received_at"])
            for a in answers
            if a["op"] in ends
        ],
        pollers=plan.load.longpolls,
    )
    return result


def run(quick: bool) -> dict[str, object]:
    """Control-call latency with and without load, per phase (see the module docstring)."""
    plan = _QUICK if quick else _FULL
    token = secrets.token_urlsafe(24)
    results: list[PhaseResult] = []
    with tempfile.TemporaryDirectory(prefix="semphony-bench-control-") as tmp:
        work = Path(tmp)
        phases = (PUMP, SCAN)
        started = time.monotonic()
        # Both data dirs at once: nothing is measured yet.
        with ThreadPoolExecutor(len(phases)) as pool:
            images = list(
                pool.map(
                    lambda phase: _prepare(work / phase.name / "data", token, vented=phase is PUMP),
                    phases,
                )
            )
        prepared_s = time.monotonic() - started
        image_bytes = images[0][1]
        for phase, (image_id, _) in zip(phases, images, strict=True):
            started = time.monotonic()
            try:
                result = _phase(phase, work / phase.name / "data", token, image_id, plan)
            except (RuntimeError, SetupError, httpx.HTTPError, OSError) as exc:
                # A phase that could not run is reported, not raised: `make bench` goes on.
                result = PhaseResult.empty(phase, plan.load.longpolls)
                result.skipped = f"failed: {type(exc).__name__}: {exc}"[:300]
            results.append(result)
            results[-1].walls_s["phase"] = time.monotonic() - started
            results[-1].walls_s["prepare data dirs"] = prepared_s
        shutil.rmtree(work, ignore_errors=True)
    rows = [row for result in results for row in phase_rows(result)]
    notes = (
        f"{'quick' if quick else 'full'}: {plan.samples_per_call} samples per call and block "
        f"(unloaded budget {plan.unloaded_budget_s:g} s, loaded {plan.loaded_budget_s:g} s a "
        f"phase), client timeout {plan.call_timeout_s:g} s a call; load: "
        f"{plan.load.longpolls} long-polls in {plan.load.longpoll_processes} processes, "
        f"{plan.load.state_pollers} state pollers in {plan.load.state_processes}, "
        f"{plan.load.downloads} downloads of a {image_bytes / 1e6:.1f} MB TIFF in "
        f"{plan.load.download_processes}. p50/p99 over successful calls only; counts are "
        "ok/refused/failed (failed = timeout, connection error, or no effect read back); met = "
        "p99 within target with no refusal or failure. Long-poll delays are measured from the "
        "server's recorded end of each operation (updated_at), on the shared wall clock; "
        "'full' = every poller answered that end. " + " ".join(phase_note(r) for r in results)
    )
    return {
        "name": "control",
        "columns": COLUMNS,
        "rows": rows,
        "notes": notes,
        "details": {r.phase.name: phase_details(r) for r in results},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, default=str))
