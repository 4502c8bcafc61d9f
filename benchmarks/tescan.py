"""What the tescan driver costs over a bare SharkSEM client, and relocation on both drivers.

The SharkSEM emulator runs in its own process at ``--time-scale 0`` (no instrument waiting), so the
figures measure software, not the simulated scan. Side by side in one run:

- a 1024², 16-bit frame: through the SDK, the control server and the tescan driver (acquire, then
  read the pixels back over HTTP) against a bare client of the same emulator (our SharkSEM
  connection and data channel, nothing else: ``ScScanXY``, ``ScData`` reassembled, ``ScStopScan``),
  interleaved in rounds; the ratio of the medians (target ≤ 1.10);
- ``find_roi`` on the ``sim`` driver and on the ``tescan`` driver over the same core remount cases
  (the simulator's reload on one, the emulator's side channel on the other; the same seeds, so the
  same specimen): found rates with their Wilson 95 % intervals (each inside the other's), median
  acquisitions of its own (within 1; an autofocus is the simulator's sweep on one and the
  instrument's `AutoWD` on the other) and the position error's p95 (within 0.1 µm).
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._reloc_cases import CORE, Case, synthetic_cases
from benchmarks._reloc_run import run_case
from benchmarks._reloc_stats import percentile, wilson
from benchmarks._servers import Emulator, emulator, server
from benchmarks._timing import Cost, median_s, repeated, rotated
from semphony.client import Semphony
from semphony.models import AcquisitionConfig
from semphony.server.drivers.tescan import Connection, DataChannel
from semphony.server.drivers.tescan.emulator import remount, truth
from semphony.session import Session

TARGET_OVERHEAD_RATIO = 1.10
TARGET_ACQUISITIONS_DIFF = 1.0
TARGET_ERROR_P95_DIFF_UM = 0.1
SIDE_PX = 1024
FOV_UM = 200.0
DWELL_NS = 1000
SEED = 17
COLUMNS = ["measure", "sdk / sim", "bare / tescan", "figure", "target", "meets"]

_HOST = "127.0.0.1"
_STALL_S = 60.0
_POLL_LIMIT = 100_000


def _pump_with_beam(conn: Connection) -> None:
    """What a bare script does first: pump, then the beam on, each polled until it is so."""
    conn.call("VacPump")
    for _ in range(_POLL_LIMIT):
        if conn.call_int("VacGetStatus") == 0:
            break
    conn.call("HVBeamOn")
    for _ in range(_POLL_LIMIT):
        if conn.call_int("HVGetBeam") == 1:
            return
    raise RuntimeError("the emulator's beam never came on")


def _full_frame(pixels: np.ndarray[Any, Any], who: str) -> np.ndarray[Any, Any]:
    """`pixels` if they are the whole frame asked for (so both paths are timed on the same)."""
    if pixels.shape != (SIDE_PX, SIDE_PX):
        raise RuntimeError(f"{who} fetched a frame of shape {pixels.shape}")
    return pixels


class _BareClient:
    """The least a SharkSEM client does to fetch a frame: scan, reassemble, stop."""

    def __init__(self, emu: Emulator) -> None:
        self.conn = Connection(_HOST, emu.control_port, timeout_s=30.0)
        self.conn.open()
        self.data = DataChannel(self.conn)
        self.data.open()
        self._frame_id = 0

    def close(self) -> None:
        self.conn.close()

    def frame(self) -> np.ndarray[Any, Any]:
        return _full_frame(self._frame(), "the bare client")

    def _frame(self) -> np.ndarray[Any, Any]:
        self._frame_id += 1
        last = SIDE_PX - 1
        self.conn.call("SetViewField", FOV_UM / 1000.0)
        self.conn.call("DtEnable", 0, 1, 16)
        code = self.conn.call_int(
            "ScScanXY", self._frame_id, SIDE_PX, SIDE_PX, 0, 0, last, last, 1, DWELL_NS
        )
        try:
            if code != 0:
                raise RuntimeError(f"ScScanXY answered {code}")
            return self.data.receive(
                self._frame_id, 0, SIDE_PX, SIDE_PX, 16, stall_timeout_s=_STALL_S
            )
        finally:
            self.conn.call("ScStopScan")


def _sdk_frame(session: Session) -> np.ndarray[Any, Any]:
    config = AcquisitionConfig(
        resolution=(SIDE_PX, SIDE_PX), bit_depth=16, dwell_time_us=DWELL_NS / 1000.0, fov_um=FOV_UM
    )
    result = session.imaging.acquire(config, timeout_s=600.0)
    return _full_frame(session.imaging.read(result), "the SDK")


@contextmanager
def _tescan_server(root: Path, emu: Emulator) -> Iterator[Semphony]:
    args = ["--driver", "tescan", "--tescan-host", _HOST, "--tescan-port", str(emu.control_port)]
    with server(root / "server-tescan", args) as srv, Semphony(srv.url, token=srv.token) as client:
        yield client


def _timed_frames(client: Semphony | None, bare: _BareClient, count: int) -> list[Cost]:
    """`count` frames through a session of `client` (started and ended untimed), or bare."""
    if client is None:
        return repeated(bare.frame, count)
    with client.runs.create(name="tescan-overhead").session().start() as session:
        return repeated(partial(_sdk_frame, session), count)


def _overhead_rows(root: Path, quick: bool) -> list[list[object]]:
    rounds = 3 if quick else 8
    with emulator(root / "emulator-frame", ["--time-scale", "0", "--seed", str(SEED)]) as emu:
        bare = _BareClient(emu)
        try:
            _pump_with_beam(bare.conn)
            with _tescan_server(root, emu) as client:
                # The same server seen from its own machine (a script on the instrument PC):
                # the image is hard-linked from the server's store, not sent over HTTP.
                artifacts = root / "server-tescan" / "artifacts"
                with Semphony(
                    client.base_url, token=client.options.token, local_artifacts=artifacts
                ) as near:
                    paths: list[Semphony | None] = [client, near, None]
                    for path in paths:  # warm every path
                        _timed_frames(path, bare, 1)
                    sdk, local, raw = rotated(
                        [partial(_timed_frames, path, bare, 2) for path in paths], rounds=rounds
                    )
        finally:
            bare.close()
    sdk_s, local_s, raw_s = median_s(sdk), median_s(local), median_s(raw)
    # The same fixed cost over a frame that takes its real instrument time (not measured here:
    # the emulator's pumping alone would take minutes at --time-scale 1), for scale.
    real_s = SIDE_PX * SIDE_PX * DWELL_NS * 1e-9 + raw_s

    def row(what: str, path_s: float) -> list[object]:
        ratio = path_s / raw_s
        return [
            f"{SIDE_PX}² 16-bit frame, {what}, median s ({len(sdk)} each)",
            round(path_s, 4),
            round(raw_s, 4),
            f"ratio {ratio:.3f}",
            f"≤ {TARGET_OVERHEAD_RATIO}",
            "yes" if ratio <= TARGET_OVERHEAD_RATIO else "no",
        ]

    return [
        row("pixels over HTTP", sdk_s),
        row("pixels hard-linked (same machine)", local_s),
        [
            "the HTTP path's overhead, s, on a frame in real time (projected)",
            round(sdk_s - raw_s, 4),
            round(real_s, 3),
            f"ratio {(real_s + sdk_s - raw_s) / real_s:.3f}",
            "for scale",
            "-",
        ],
    ]


class _SideSimulator:
    """The emulator's side channel in the shape `run_case` uses (``client.simulator``)."""

    def __init__(self, emu: Emulator) -> None:
        self.address = (_HOST, emu.side_port)

    def truth(self, x_mm: float | None = None, y_mm: float | None = None) -> dict[str, Any]:
        # The side channel answers the simulator's raw truth; `run_case` reads the SDK's shape.
        raw = truth(self.address, x_mm, y_mm)
        placement, point = raw["placement"], raw["point"]
        return {
            "shift_x_um": float(placement["shift_x_um"]),
            "shift_y_um": float(placement["shift_y_um"]),
            "rotation_deg": float(placement["rotation_deg"]),
            "stage_true": raw["stage_truth"],
            "point_now": {"x_mm": float(point["now_x_mm"]), "y_mm": float(point["now_y_mm"])},
            "in_focus_wd_mm": float(raw["surface"]["in_focus_wd_mm"]),
        }

    def reload(self, **placement: float) -> dict[str, Any]:
        return remount(self.address, **placement)

    def set_detector(self, **response: float) -> None:
        raise RuntimeError("the tescan comparison uses no detector change")


class _SideClient:
    def __init__(self, emu: Emulator) -> None:
        self.simulator = _SideSimulator(emu)


def _cases(quick: bool) -> list[Case]:
    """Core cases at 256 px on the texture specimen (both serve it), the placement changed only."""
    core = [c for c in synthetic_cases(quick=False, seed=SEED) if c.regime == CORE]
    picked = [
        c for c in core if c.resolution == 256 and c.change == "none" and c.specimen == "texture"
    ]
    return [replace(c, index=i) for i, c in enumerate(picked[: 3 if quick else 20])]


def _run_all(truth_client: Any, session: Session, cases: list[Case]) -> list[dict[str, Any]]:
    outcomes = []
    for case in cases:
        try:
            outcomes.append(run_case(truth_client, session, case))
        except Exception as exc:  # a crash is an outcome too: not found
            outcomes.append({"case": {"index": case.index}, "crashed": repr(exc), "found": False})
    return outcomes


def _relocate(root: Path, quick: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cases = _cases(quick)
    with (
        server(root / "server-sim", ["--seed", str(SEED)]) as srv,
        Semphony(srv.url, token=srv.token) as client,
        client.runs.create(name="sim").session().start() as session,
    ):
        session.chamber.pump()
        session.beam.on()
        on_sim = _run_all(client, session, cases)
    with (
        emulator(root / "emulator-find", ["--time-scale", "0", "--seed", str(SEED)]) as emu,
        _tescan_server(root, emu) as client,
        client.runs.create(name="tescan").session().start() as session,
    ):
        session.chamber.pump()
        session.beam.on()
        on_tescan = _run_all(_SideClient(emu), session, cases)
    return on_sim, on_tescan


def _found(outcomes: list[dict[str, Any]]) -> tuple[int, int, tuple[float, float]]:
    k = sum(1 for o in outcomes if o.get("found"))
    return k, len(outcomes), wilson(k, len(outcomes))


def _ok(outcomes: list[dict[str, Any]], key: str) -> list[float]:
    return [float(o[key]) for o in outcomes if "crashed" not in o and o.get("found")]


def _autofocus(outcomes: list[dict[str, Any]]) -> str:
    frames = [
        float(o["autofocus_acquisitions"]) for o in outcomes if o.get("autofocus_acquisitions")
    ]
    return f"{statistics.median(frames):g} ({len(frames)})" if frames else "none"


def _relocation_rows(on_sim: list[dict[str, Any]], on_tescan: list[dict[str, Any]]) -> list[Any]:
    (ks, ns, (ls, hs)), (kt, nt, (lt, ht)) = _found(on_sim), _found(on_tescan)
    rate_s, rate_t = ks / max(ns, 1), kt / max(nt, 1)
    within = ls <= rate_t <= hs and lt <= rate_s <= ht
    # find_roi's own frames: an autofocus is a sweep of ~23 small frames on the simulator and
    # the instrument's AutoWD (2 check frames) on Tescan, by design; its frames are shown apart.
    acq_s = statistics.median(_ok(on_sim, "find_acquisitions") or [math.nan])
    acq_t = statistics.median(_ok(on_tescan, "find_acquisitions") or [math.nan])
    err_s = percentile(_ok(on_sim, "error_um"), 95)
    err_t = percentile(_ok(on_tescan, "error_um"), 95)
    return [
        [
            "find_roi found (Wilson 95 %)",
            f"{ks}/{ns} [{ls:.2f}, {hs:.2f}]",
            f"{kt}/{nt} [{lt:.2f}, {ht:.2f}]",
            "each rate in the other's interval",
            "within",
            "yes" if within else "no",
        ],
        [
            "find_roi median acquisitions (its own; autofocus apart)",
            acq_s,
            acq_t,
            f"diff {abs(acq_s - acq_t):.1f}",
            f"≤ {TARGET_ACQUISITIONS_DIFF:g}",
            "yes" if abs(acq_s - acq_t) <= TARGET_ACQUISITIONS_DIFF else "no",
        ],
        [
            "autofocus frames median, refocused cases (count)",
            _autofocus(on_sim),
            _autofocus(on_tescan),
            "sweep vs AutoWD",
            "shown apart",
            "-",
        ],
        [
            "find_roi position error p95, µm",
            round(err_s, 4),
            round(err_t, 4),
            f"diff {abs(err_s - err_t):.3f}",
            f"≤ {TARGET_ERROR_P95_DIFF_UM:g}",
            "yes" if abs(err_s - err_t) <= TARGET_ERROR_P95_DIFF_UM else "no",
        ],
    ]


def run(quick: bool) -> dict[str, object]:
    """The overhead row and the relocation rows, and every relocation outcome."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="semphony-bench-tescan-") as tmp:
        root = Path(tmp)
        rows = _overhead_rows(root, quick)
        on_sim, on_tescan = _relocate(root, quick)
    rows += _relocation_rows(on_sim, on_tescan)
    crashes = [o for o in on_sim + on_tescan if "crashed" in o]
    return {
        "name": "tescan",
        "columns": COLUMNS,
        "rows": rows,
        "notes": (
            f"Emulator at --time-scale 0, seed {SEED}, in its own process; the control server in "
            f"another. Frame: {SIDE_PX}² 16-bit, {FOV_UM:g} µm, {DWELL_NS} ns dwell; SDK = acquire "
            "and read the pixels through the server and the tescan driver, bare = our SharkSEM "
            f"connection and data channel alone. Relocation: {len(on_sim)} core cases at 256 px "
            f"per driver; crashes: {[o['crashed'] for o in crashes][:3]}. "
            f"{time.perf_counter() - started:.0f} s."
        ),
        "outcomes": {"sim": on_sim, "tescan": on_tescan},
    }
