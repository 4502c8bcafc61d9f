"""The `control` benchmark's load, in processes of its own (not the measuring process's GIL).

`LoadPool` starts one worker process a role slice (`python -m benchmarks._control_load ROLE ...`),
each running a few threads with one keep-alive `httpx.Client` each:

- ``longpoll``: `GET /v1/operations/{id}?wait_s=30` on the operation the parent names, re-issued
  as each returns; each thread notes when it first saw that operation terminal (`time.time()`);
- ``state``: `GET /v1/state` in a tight loop;
- ``download``: `GET /v1/artifacts/{image_id}` streamed and discarded, in a loop.

The workers are spawned before the server starts (their imports overlap its start-up) and talk
to the parent over stdin: ``go URL`` (start the load on that server), ``op ID`` (the operation to
wait on now) and ``stop``; end of input (the parent died) stops a worker too, so none outlives
the benchmark. A worker touches ``RESULT.ready`` once its threads run and writes its results to
``RESULT`` (JSON) when stopped, then exits at once without waiting for threads still blocked in
a request. The token comes from the environment (``SEMPHONY_BENCH_TOKEN``), never the command
line.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

__all__ = ["LONGPOLL_WAIT_S", "LoadPlan", "LoadPool", "main"]

LONGPOLL_WAIT_S = 30.0
TOKEN_VARIABLE = "SEMPHONY_BENCH_TOKEN"
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
_REQUEST_TIMEOUT_S = 60.0  # above the 30 s long-poll wait; a stuck request still ends
_KEPT_LATENCIES = 5000
_REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------ worker side


class _Recorder:
    """Counts and timings of one worker's threads, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ok = 0
        self.refused: Counter[str] = Counter()
        self.timeouts = 0
        self.errors = 0
        self.returns = 0  # long-polls whose wait ran out before the operation ended
        self.bytes = 0
        self.latencies_ms: list[float] = []
        self.answers: list[dict[str, Any]] = []
        self.inflight: dict[str, float] = {}  # thread -> when its current request was sent

    def add(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                if name == "refused":
                    self.refused[str(value)] += 1
                elif name == "latency_ms":
                    self.latencies_ms.append(round(float(value), 3))
                elif name == "answer":
                    self.answers.append(value)
                else:
                    setattr(self, name, getattr(self, name) + value)

    def begin(self, thread: str) -> None:
        with self._lock:
            self.inflight[thread] = time.time()

    def end(self, thread: str) -> None:
        with self._lock:
            self.inflight.pop(thread, None)

    def snapshot(self) -> dict[str, Any]:
        now = time.time()
        with self._lock:
            ages = sorted((now - t for t in self.inflight.values()), reverse=True)
            latencies = self.latencies_ms
            if len(latencies) > _KEPT_LATENCIES:
                latencies = random.Random(0).sample(latencies, _KEPT_LATENCIES)
            return {
                "ok": self.ok,
                "refused": dict(self.refused),
                "timeouts": self.timeouts,
                "errors": self.errors,
                "returns": self.returns,
                "bytes": self.bytes,
                "requests_timed": len(self.latencies_ms),
                "latencies_ms": latencies,
                "answers": list(self.answers),
                # Requests still unanswered when the worker stopped, and for how long.
                "inflight_over_1s": sum(1 for age in ages if age > 1.0),
                "oldest_inflight_s": round(ages[0], 1) if ages else None,
            }


class _Current:
    """The operation the long-polls wait on, as the parent last named it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._op: str | None = None
        self.stopped = False

    def set(self, op_id: str) -> None:
        with self._cond:
            self._op = op_id
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()

    def next_after(self, done: str | None, timeout_s: float) -> str | None:
        """The current operation once it is not `done` (None after `timeout_s` or on stop)."""
        with self._cond:
            self._cond.wait_for(
                lambda: self.stopped or (self._op is not None and self._op != done), timeout_s
            )
            return None if self.stopped or self._op == done else self._op


def _client(token: str) -> httpx.Client:
    return httpx.Client(
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        timeout=_REQUEST_TIMEOUT_S,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


def _guarded(
    rec: _Recorder, current: _Current, request: Callable[[], httpx.Response]
) -> httpx.Response | None:
    thread = threading.current_thread().name
    rec.begin(thread)
    try:
        return request()
    except httpx.TimeoutException:
        rec.add(timeouts=1)
    except httpx.HTTPError:
        rec.add(errors=1)
        if not current.stopped:
            time.sleep(0.05)  # a refused connection must not spin
    finally:
        rec.end(thread)
    return None


def _longpoll(name: str, client: httpx.Client, rec: _Recorder, current: _Current) -> None:
    done: str | None = None
    while not current.stopped:
        op_id = current.next_after(done, timeout_s=0.5)
        if op_id is None:
            continue
        sent = time.time()
        response = _guarded(
            rec,
            current,
            partial(client.get, f"/v1/operations/{op_id}", params={"wait_s": LONGPOLL_WAIT_S}),
        )
        received = time.time()  # before parsing: the answer's arrival, not our JSON decoding
        if response is None or current.stopped:
            continue
        if response.status_code != 200:
            rec.add(refused=response.status_code)
            time.sleep(0.05)
            continue
        doc = response.json()
        if doc.get("status") in TERMINAL:
            answer = {
                "poller": name,
                "op": op_id,
                "sent_at": sent,
                "received_at": received,
                "updated_at": doc.get("updated_at"),
            }
            rec.add(ok=1, answer=answer)
            done = op_id
        else:
            rec.add(ok=1, returns=1)


def _state(client: httpx.Client, rec: _Recorder, current: _Current) -> None:
    while not current.stopped:
        start = time.perf_counter()
        response = _guarded(rec, current, lambda: client.get("/v1/state"))
        if response is None:
            continue
        if response.status_code == 200:
            response.json()
            rec.add(ok=1, latency_ms=(time.perf_counter() - start) * 1e3)
        else:
            rec.add(refused=response.status_code)
            time.sleep(0.05)


def _download(client: httpx.Client, rec: _Recorder, current: _Current, image_id: str) -> None:
    while not current.stopped:
        start = time.perf_counter()
        size = 0
        thread = threading.current_thread().name
        rec.begin(thread)
        try:
            with client.stream("GET", f"/v1/artifacts/{image_id}") as response:
                if response.status_code != 200:
                    rec.add(refused=response.status_code)
                    time.sleep(0.05)
                    continue
                for chunk in response.iter_bytes(1 << 20):
                    size += len(chunk)
        except httpx.TimeoutException:
            rec.add(timeouts=1, bytes=size)
            continue
        except httpx.HTTPError:
            rec.add(errors=1, bytes=size)
            time.sleep(0.05)
            continue
        finally:
            rec.end(thread)
        rec.add(ok=1, bytes=size, latency_ms=(time.perf_counter() - start) * 1e3)


def main(argv: Sequence[str]) -> int:
    """Run one worker: ROLE THREADS RESULT_PATH IMAGE_ID; see the module docstring."""
    role, threads_text, result_text, image_id = argv
    token = os.environ[TOKEN_VARIABLE]
    result = Path(result_text)
    # Clients are made ahead (each builds an SSL context: slow); the first line names the
    # server: `go URL`.
    clients = [_client(token) for _ in range(int(threads_text))]
    first = sys.stdin.readline().split()
    if len(first) != 2 or first[0] != "go":
        os._exit(0)  # stopped (or the parent died) before the load began
    rec = _Recorder()
    current = _Current()
    threads: list[threading.Thread] = []
    for i, client in enumerate(clients):
        client.base_url = httpx.URL(first[1])
        target: Callable[[], None]
        if role == "longpoll":
            target = partial(_longpoll, f"{os.getpid()}-{i}", client, rec, current)
        elif role == "state":
            target = partial(_state, client, rec, current)
        elif role == "download":
            target = partial(_download, client, rec, current, image_id)
        else:
            raise SystemExit(f"unknown role {role!r}")
        threads.append(threading.Thread(target=target, name=f"{role}-{i}", daemon=True))
    started = time.time()
    for thread in threads:
        thread.start()
    Path(f"{result}.ready").touch()
    for line in sys.stdin:  # end of input: the parent is gone, stop as for `stop`
        words = line.split()
        if words[:1] == ["op"] and len(words) == 2:
            current.set(words[1])
        elif words[:1] == ["stop"]:
            break
    current.stop()
    payload = {"role": role, "threads": len(threads), "elapsed_s": time.time() - started}
    payload.update(rec.snapshot())
    staged = result.with_suffix(".partial")
    staged.write_text(json.dumps(payload))
    staged.replace(result)
    sys.stdout.flush()
    os._exit(0)  # threads blocked in a long-poll or a download are not waited for


# ------------------------------------------------------------------------------ parent side


@dataclass(frozen=True)
class LoadPlan:
    """How many threads of each role, spread over how many processes."""

    longpolls: int
    longpoll_processes: int
    state_pollers: int
    state_processes: int
    downloads: int
    download_processes: int

    def slices(self) -> list[tuple[str, int]]:
        """(role, threads) per worker process."""
        out: list[tuple[str, int]] = []
        for role, total, processes in (
            ("longpoll", self.longpolls, self.longpoll_processes),
            ("state", self.state_pollers, self.state_processes),
            ("download", self.downloads, self.download_processes),
        ):
            for k in range(processes):
                share = total // processes + (1 if k < total % processes else 0)
                if share:
                    out.append((role, share))
        return out


@dataclass
class _Worker:
    role: str
    threads: int
    process: subprocess.Popen[bytes]
    result: Path


class LoadPool:
    """The load's worker processes: started, told which operation to wait on, stopped."""

    def __init__(self, token: str, plan: LoadPlan, image_id: str, work: Path) -> None:
        self._token = token
        self._plan = plan
        self._image_id = image_id
        self._work = work
        self._workers: list[_Worker] = []

    def spawn(self) -> None:
        """Start every worker process; each imports, then waits for `start` to name the server."""
        env = {**os.environ, TOKEN_VARIABLE: self._token}
        for n, (role, threads) in enumerate(self._plan.slices()):
            result = self._work / f"load-{n}-{role}.json"
            args = [sys.executable, "-m", "benchmarks._control_load", role]
            args += [str(threads), str(result), self._image_id]
            with open(self._work / f"load-{n}-{role}.log", "wb") as log:
                process = subprocess.Popen(
                    args,
                    cwd=_REPO,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C reaches the parent, which stops them
                )
            self._workers.append(_Worker(role, threads, process, result))

    def start(self, url: str, timeout_s: float = 60.0) -> None:
        """Point every worker at the server at `url`; wait until each has its threads running."""
        for worker in self._workers:
            self._send(worker, f"go {url}\n")
        deadline = time.monotonic() + timeout_s
        for worker in self._workers:
            while not Path(f"{worker.result}.ready").exists():
                if worker.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"load worker {worker.role} did not start ({worker.result})")
                time.sleep(0.02)

    def announce(self, op_id: str) -> None:
        """Tell the long-pollers which operation to wait on now."""
        for worker in self._workers:
            if worker.role == "longpoll":
                self._send(worker, f"op {op_id}\n")

    def stop(self, grace_s: float = 10.0) -> list[dict[str, Any]]:
        """Stop every worker (killed after `grace_s`); the results of those that reported."""
        for worker in self._workers:
            self._send(worker, "stop\n")
            with contextlib.suppress(OSError):
                if worker.process.stdin is not None:
                    worker.process.stdin.close()
        deadline = time.monotonic() + grace_s
        results: list[dict[str, Any]] = []
        for worker in self._workers:
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            if worker.result.exists():
                results.append(json.loads(worker.result.read_text()))
        self._workers = []
        return results

    def __enter__(self) -> LoadPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._workers:
            self.stop(grace_s=5.0)

    def _send(self, worker: _Worker, line: str) -> None:
        stdin = worker.process.stdin
        if stdin is None or worker.process.poll() is not None:
            return
        with contextlib.suppress(OSError, ValueError):
            stdin.write(line.encode())
            stdin.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
