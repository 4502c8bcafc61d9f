"""What the SDK costs over raw httpx: per call, per downloaded byte, and in memory.

The control server runs in its own process (`python -m semphony.server --port 0`). Side by side
in one run, interleaved in rounds so that drift of the machine hits both alike:

- per call: `session.stage.position()` against a keep-alive `httpx.Client` GET of the same
  endpoint (`/v1/state`) decoded with `.json()`; medians and their ratio (target ≤ 1.15);
- download to disk: the SDK's artifact download (streamed to a temporary file, hashed, checked
  against `Repr-Digest` and the recorded sha256, renamed into place) against a raw httpx stream
  that hashes and writes, same artifact; median throughputs and their ratio (target ≥ 0.9);
- memory: the growth of a fresh SDK process while it downloads a ~256 MB artifact (a 16-bit frame
  of 11600²), measured with tracemalloc and, in another fresh process, with the peak resident set
  (VmHWM, reset just before the download) (target < 32 MB).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks._servers import Server
from benchmarks._servers import server as start_server
from benchmarks._timing import interleaved, median_s
from semphony.client import Semphony
from semphony.guardrails import ImagingGuardrails
from semphony.models import AcquisitionConfig, AcquisitionResult
from semphony.session import Session

TARGET_OVERHEAD_RATIO = 1.15
TARGET_THROUGHPUT_RATIO = 0.9
TARGET_GROWTH_MB = 32.0

_MB = 1e6
_CHUNK_BYTES = 1 << 20
_REPO = Path(__file__).resolve().parent.parent


def _raw_client(server: Server) -> httpx.Client:
    return httpx.Client(
        base_url=server.url,
        headers={"Authorization": f"Bearer {server.token}", "Accept": "application/json"},
        timeout=120.0,
    )


def _sdk_download(session: Session, result: AcquisitionResult, target: Path) -> None:
    # The download step of `imaging.acquire(config, target_path=...)`, for an existing result.
    session.imaging.download(result, target)


def _raw_download(http: httpx.Client, image_id: str, target: Path, sha256: str) -> None:
    digest = hashlib.sha256()
    with http.stream("GET", f"/v1/artifacts/{image_id}") as response, open(target, "wb") as out:
        response.raise_for_status()
        for chunk in response.iter_bytes(_CHUNK_BYTES):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        raise RuntimeError(f"raw download of {image_id}: sha256 mismatch")


def _acquire(session: Session, side_px: int) -> tuple[AcquisitionResult, float]:
    """A 16-bit square frame on the server; the result and the seconds it took to make."""
    start = time.perf_counter()
    result = session.imaging.acquire(
        AcquisitionConfig(resolution=(side_px, side_px), bit_depth=16, scan_speed_index=0),
        timeout_s=600.0,
    )
    return result, time.perf_counter() - start


def _sha(result: AcquisitionResult) -> str:
    sha = result.metadata.get("sha256")
    if not isinstance(sha, str):
        raise RuntimeError(f"acquisition {result.correlation_id} records no sha256")
    return sha


def _per_call_rows(
    session: Session, http: httpx.Client, *, rounds: int, per_round: int
) -> list[list[object]]:
    def raw() -> object:
        response = http.get("/v1/state")
        response.raise_for_status()
        return response.json()

    for _ in range(10):  # warm both connections and code paths
        session.stage.position()
        raw()
    sdk, raw_ = interleaved([session.stage.position, raw], rounds=rounds, per_round=per_round)
    rows: list[list[object]] = []
    for what, cpu in (("wall", False), ("client CPU", True)):
        sdk_ms = median_s(sdk, cpu=cpu) * 1e3
        raw_ms = median_s(raw_, cpu=cpu) * 1e3
        ratio = sdk_ms / raw_ms
        rows.append(
            [
                f"per call, {what}: stage.position()",
                round(sdk_ms, 3),
                round(raw_ms, 3),
                "ms (median)",
                round(ratio, 3),
                f"<= {TARGET_OVERHEAD_RATIO}" if not cpu else "(diagnostic)",
                ratio <= TARGET_OVERHEAD_RATIO if not cpu else None,
            ]
        )
    return rows


def _download_rows(
    session: Session,
    http: httpx.Client,
    result: AcquisitionResult,
    work: Path,
    *,
    rounds: int,
) -> list[list[object]]:
    image_id = result.image_id
    assert image_id is not None
    sha = _sha(result)

    # Every download goes to a new file, as a user's would: replacing or truncating the previous
    # round's file frees its pages inside the timed region (~20 ms for 33 MB here), which is the
    # cost of deleting an old image, not of downloading a new one. The files go after timing.
    serial = itertools.count()

    def sdk() -> None:
        _sdk_download(session, result, work / f"sdk-{next(serial)}.tiff")

    def raw() -> None:
        _raw_download(http, image_id, work / f"raw-{next(serial)}.tiff", sha)

    fns: list[Callable[[], object]] = [sdk, raw]
    for fn in fns:  # warm-up
        fn()
    sizes = {path.stat().st_size for path in work.glob("*.tiff")}
    if len(sizes) != 1:
        raise RuntimeError("the SDK and raw downloads differ in size")
    (size_bytes,) = sizes
    sdk_s, raw_s = interleaved(fns, rounds=rounds, per_round=1)
    for path in work.glob("*.tiff"):
        path.unlink()
    sdk_mbps = size_bytes / _MB / median_s(sdk_s)
    raw_mbps = size_bytes / _MB / median_s(raw_s)
    ratio = sdk_mbps / raw_mbps
    return [
        [
            f"download {size_bytes / _MB:.1f} MB (raw: hash+write)",
            round(sdk_mbps, 1),
            round(raw_mbps, 1),
            "MB/s (median)",
            round(ratio, 3),
            f">= {TARGET_THROUGHPUT_RATIO}",
            ratio >= TARGET_THROUGHPUT_RATIO,
        ]
    ]


# --------------------------------------------------------------------------------------------
# memory: measured in a fresh process, one per method (tracemalloc's own bookkeeping would show
# in the resident set size)


def _current_rss_bytes() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _max_rss_bytes() -> int:
    # Linux reports kilobytes, macOS bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _reset_peak_rss() -> bool:
    """Reset the kernel's resident-set high-water mark to the current size (Linux only).

    ru_maxrss is a high-water mark since the process started: a peak reached while importing or
    starting the session would otherwise be charged to the download.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_bytes() -> int:
    """The resident-set high-water mark (VmHWM; reset by `_reset_peak_rss`), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return _max_rss_bytes()


def _memory_child(
    method: str, image_id: str, sha256: str, warm_image_id: str, warm_sha: str
) -> None:
    """Download one artifact with the SDK and print how much the process grew (JSON, bytes)."""
    client = Semphony()  # SEMPHONY_BASE_URL / SEMPHONY_TOKEN from the parent
    run = client.runs.create(name="sdk-benchmark-memory")
    with (
        tempfile.TemporaryDirectory(prefix="semphony-bench-mem-") as tmp,
        run.session(guardrails=ImagingGuardrails.none()).start() as session,
    ):
        big = AcquisitionResult.from_dict(
            {"correlation_id": "memory", "image_id": image_id, "metadata": {"sha256": sha256}}
        )
        warm = AcquisitionResult.from_dict(
            {"correlation_id": "warm", "image_id": warm_image_id, "metadata": {"sha256": warm_sha}}
        )
        # Warm up: imports, the connection, the version check and the download path itself.
        _sdk_download(session, warm, Path(tmp) / "warm.tiff")
        gc.collect()
        if method == "tracemalloc":
            tracemalloc.start()
            before, _ = tracemalloc.get_traced_memory()
            _sdk_download(session, big, Path(tmp) / "big.tiff")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            growth = peak - before
        else:
            # Growth of the peak from the resident set now; where the kernel lets us reset the peak
            # first, an earlier peak (imports, session start) is not charged to the download.
            _reset_peak_rss()
            before = _current_rss_bytes() or _max_rss_bytes()
            _sdk_download(session, big, Path(tmp) / "big.tiff")
            growth = _peak_rss_bytes() - before
        size = (Path(tmp) / "big.tiff").stat().st_size
    client.close()
    print(json.dumps({"growth_bytes": growth, "size_bytes": size}))


def _memory_rows(
    server: Server, big: AcquisitionResult, warm: AcquisitionResult
) -> list[list[object]]:
    env = {**os.environ, "SEMPHONY_BASE_URL": server.url, "SEMPHONY_TOKEN": server.token}
    assert big.image_id is not None
    assert warm.image_id is not None
    rows: list[list[object]] = []
    for method, label in (("tracemalloc", "tracemalloc"), ("maxrss", "peak RSS, VmHWM")):
        args = [sys.executable, "-m", "benchmarks.sdk", "memory-child", method]
        args += [big.image_id, _sha(big), warm.image_id, _sha(warm)]
        done = subprocess.run(
            args, env=env, cwd=_REPO, capture_output=True, text=True, check=False, timeout=900
        )
        if done.returncode != 0:
            raise RuntimeError(f"memory child ({method}) failed:\n{done.stderr[-3000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        growth_mb = figures["growth_bytes"] / _MB
        rows.append(
            [
                f"memory growth, {figures['size_bytes'] / _MB:.1f} MB download ({label})",
                round(growth_mb, 2),
                None,
                "MB",
                None,
                f"< {TARGET_GROWTH_MB:g}",
                growth_mb < TARGET_GROWTH_MB,
            ]
        )
    return rows


def run(quick: bool) -> dict[str, object]:
    """Per-call overhead, download throughput and download memory of the SDK (see module doc)."""
    rounds, per_round = (4, 25) if quick else (12, 50)
    download_rounds = 3 if quick else 9
    download_side_px = 2048 if quick else 4096
    memory_side_px = 4096 if quick else 11600
    with tempfile.TemporaryDirectory(prefix="semphony-bench-") as tmp:
        work = Path(tmp)
        with start_server(work / "data") as server:
            client = Semphony(base_url=server.url, token=server.token)
            http = _raw_client(server)
            try:
                run_ = client.runs.create(name="sdk-benchmark")
                with run_.session().start() as session:
                    session.chamber.pump()
                    session.beam.on()
                    rows = _per_call_rows(session, http, rounds=rounds, per_round=per_round)
                    small, _ = _acquire(session, download_side_px)
                    rows += _download_rows(session, http, small, work, rounds=download_rounds)
                    big, big_render_s = _acquire(session, memory_side_px)
                # The children take the lease in turn to download; this session has let it go.
                rows += _memory_rows(server, big, small)
            finally:
                http.close()
                client.close()
    return {
        "name": "sdk",
        "columns": ["measure", "sdk", "raw_httpx", "unit", "ratio", "target", "meets_target"],
        "rows": rows,
        "notes": (
            f"server in its own process on loopback; per call: {rounds} rounds × {per_round} "
            "calls each, alternating which goes first; raw = keep-alive httpx.Client GET + "
            "json(); SDK parses the state into typed models; client CPU = this process's CPU "
            "time per call. Download: the SDK writes a temp "
            "file, hashes, checks Repr-Digest and the recorded sha256 and renames it into place; "
            "raw hashes and writes. "
            "Memory: a fresh SDK process per method, growth "
            f"from just before the download, artifact {memory_side_px}² 16-bit "
            f"(acquired and written by the server in {big_render_s:.1f} s)."
        ),
    }


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "memory-child":
        _memory_child(*sys.argv[2:7])
    else:
        result = run(quick="--quick" in sys.argv)
        print(json.dumps(result, indent=2, default=str))
