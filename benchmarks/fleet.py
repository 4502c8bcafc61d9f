"""A fleet from one process: N simulated control servers acquiring in parallel (AsyncSemphony).

Each server runs in its own process (`python -m semphony.server --realtime 1.0 --port 0`, a data
dir of its own, a seed of its own). Its data dir is prepared beforehand by a server at
`--realtime 0` (chamber pumped), so nothing waits 180 s for vacuum; the measuring servers then turn
the beam on and acquire in real time. One process and one event loop drive them: for N = 1, 2, 4
and 8 servers at once, each server acquires the same number of frames one after another (acquire,
wait, download to disk with its digest checked), all N concurrently (`asyncio.gather`).

Reported per N: frames, wall seconds, aggregate throughput (frames/s) and its ratio to N times
the one-server throughput measured in the same run (target ≥ 0.8 at 8), and the CPU seconds per
frame (this process plus the servers, from /proc where it exists) beside the instrument seconds a
frame takes, so that the table shows it measures the client's concurrency, not the machine's
cores (the instrument time per frame is kept ≥ 10x its CPU cost).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from pathlib import Path

from benchmarks._servers import Server, server
from semphony.client import AsyncSemphony, AsyncSession, Semphony
from semphony.guardrails import ImagingGuardrails
from semphony.models import AcquisitionConfig

__all__ = ["run", "throughput_ratio"]

TARGET_RATIO_AT_8 = 0.8
TARGET_INSTRUMENT_OVER_CPU = 10.0
# 512 lines of 512 px at 8 µs: about 2.12 s of instrument time a frame (50 µs flyback a line).
_SIDE_PX = 512
_DWELL_US = 8.0
_LINE_OVERHEAD_US = 50.0
FRAME = AcquisitionConfig(
    fov_um=100, resolution=(_SIDE_PX, _SIDE_PX), dwell_time_us=_DWELL_US, bit_depth=8
)
FRAME_INSTRUMENT_S = _SIDE_PX * (_SIDE_PX * _DWELL_US + _LINE_OVERHEAD_US) * 1e-6


@dataclass(frozen=True)
class _Plan:
    fleet_sizes: tuple[int, ...]
    frames_per_server: int


_FULL = _Plan((1, 2, 4, 8), 6)
_QUICK = _Plan((1, 2), 2)


def throughput_ratio(throughput_n: float, throughput_1: float, n: int) -> float:
    """Aggregate throughput of N servers over N times that of one (1.0 = perfect scaling)."""
    return throughput_n / (n * throughput_1)


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process, where /proc tells (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _prepare(data_dir: Path, seed: int) -> None:
    """At `--realtime 0`: pump the chamber, so the real-time server starts pumped."""
    args = ["--realtime", "0", "--seed", str(seed)]
    with server(data_dir, args) as srv, Semphony(base_url=srv.url, token=srv.token) as client:
        run = client.runs.create(name="fleet-benchmark-prepare")
        with run.session(guardrails=ImagingGuardrails.none()).start() as session:
            session.chamber.pump()


@dataclass
class _Block:
    n: int
    frames: int
    wall_s: float
    cpu_s: float | None


async def _acquire_frames(session: AsyncSession, frames: int, out: Path) -> None:
    for i in range(frames):
        await session.imaging.acquire(FRAME, target_path=out / f"frame-{i}.tiff")


async def _measure(servers: list[Server], plan: _Plan, work: Path) -> list[_Block]:
    blocks: list[_Block] = []
    async with AsyncExitStack() as stack:
        sessions: list[AsyncSession] = []
        for i, srv in enumerate(servers):
            client = await stack.enter_async_context(
                AsyncSemphony(base_url=srv.url, token=srv.token)
            )
            run = await client.runs.create(name=f"fleet-benchmark-{i}")
            builder = run.session(guardrails=ImagingGuardrails.none())
            session = await stack.enter_async_context(builder.start(lease_s=600))
            sessions.append(session)
        await asyncio.gather(*(s.beam.on() for s in sessions))
        # One warm-up frame each, outside the timed blocks (imports, first TIFF, connections).
        await asyncio.gather(
            *(_acquire_frames(s, 1, _folder(work, f"warm-{i}")) for i, s in enumerate(sessions))
        )
        for n in plan.fleet_sizes:
            pids = [srv.pid for srv in servers[:n]]
            cpu_before = [_cpu_s(pid) for pid in [os.getpid(), *pids]]
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    _acquire_frames(s, plan.frames_per_server, _folder(work, f"n{n}-{i}"))
                    for i, s in enumerate(sessions[:n])
                )
            )
            wall = time.perf_counter() - started
            cpu_after = [_cpu_s(pid) for pid in [os.getpid(), *pids]]
            cpu: float | None = None
            if all(c is not None for c in [*cpu_before, *cpu_after]):
                pairs = zip(cpu_after, cpu_before, strict=True)
                cpu = sum(float(a or 0.0) - float(b or 0.0) for a, b in pairs)
            blocks.append(_Block(n, n * plan.frames_per_server, wall, cpu))
    return blocks


def _folder(work: Path, name: str) -> Path:
    path = work / "frames" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def run(quick: bool) -> dict[str, object]:
    plan = _QUICK if quick else _FULL
    most = max(plan.fleet_sizes)
    with tempfile.TemporaryDirectory(prefix="semphony-fleet-") as tmp:
        work = Path(tmp)
        began = time.monotonic()
        for i in range(most):
            _prepare(work / f"data-{i}", seed=100 + i)
        prepare_s = time.monotonic() - began
        with ExitStack() as stack:
            servers = [
                stack.enter_context(
                    server(work / f"data-{i}", ["--realtime", "1.0", "--seed", str(100 + i)])
                )
                for i in range(most)
            ]
            blocks = asyncio.run(_measure(servers, plan, work))
    one = blocks[0].frames / blocks[0].wall_s
    rows: list[list[object]] = []
    for block in blocks:
        throughput = block.frames / block.wall_s
        ratio = throughput_ratio(throughput, one, block.n)
        cpu_per_frame = None if block.cpu_s is None else block.cpu_s / block.frames
        over_cpu = None if not cpu_per_frame else FRAME_INSTRUMENT_S / cpu_per_frame
        target = f">= {TARGET_RATIO_AT_8}" if block.n == 8 else ""
        met = (ratio >= TARGET_RATIO_AT_8) if block.n == 8 else None
        rows.append(
            [
                block.n,
                block.frames,
                round(block.wall_s, 2),
                round(throughput, 3),
                round(ratio, 3),
                None if cpu_per_frame is None else round(cpu_per_frame * 1e3, 1),
                None if over_cpu is None else round(over_cpu, 1),
                target,
                met,
            ]
        )
    notes = (
        f"{'quick' if quick else 'full'}: {plan.frames_per_server} frames a server per block "
        f"(plus one warm-up frame each, untimed), frame {_SIDE_PX}x{_SIDE_PX} "
        f"at {_DWELL_US} µs = {FRAME_INSTRUMENT_S:.2f} s of instrument time, each "
        "downloaded to disk with its digest checked; servers at --realtime 1.0 in processes of "
        "their own, driven from one process with AsyncSemphony and asyncio.gather; ratio = "
        "throughput / "
        "(N x the 1-server throughput of this run); CPU per frame = this process plus the N "
        f"servers (/proc). Data dirs prepared (pumped at --realtime 0) in {prepare_s:.0f} s."
    )
    return {
        "name": "fleet",
        "columns": [
            "servers",
            "frames",
            "wall s",
            "frames/s",
            "ratio to N x 1",
            "CPU ms/frame",
            "instrument/CPU",
            "target",
            "met",
        ],
        "rows": rows,
        "notes": notes,
    }
