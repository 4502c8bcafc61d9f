"""The SDK's end-to-end flow against `semphony serve` on both drivers: the simulator, and the
tescan driver talking SharkSEM over loopback to the emulator (time scale 0). State, pump, beam,
moves, an acquisition downloaded, `save_roi`, then `find_roi` after the stage was moved away.

Then the emulator's faults, on the tescan server only: each is a clear `SemphonyApiError`, no
artifact of the failed command, and the server keeps working.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks._servers import stop
from semphony._exceptions import DeviceError, SemphonyApiError
from semphony.client import Semphony
from semphony.models import AcquisitionConfig, RoiSpec
from semphony.server.drivers.tescan.emulator import Emulator, EmulatorConfig
from semphony.session import Session

_READY = re.compile(r"listening on (https?://\S+)")
SPEC = {"roi_fov_um": 50.0, "l2_fov_um": 150.0, "l1_fov_um": 300.0, "l0_fov_um": 1500.0}
SMALL = AcquisitionConfig(fov_um=100.0, resolution=(128, 96))


@dataclass(frozen=True)
class Served:
    url: str
    token: str
    emulator: Emulator | None
    data_dir: Path

    def artifacts(self) -> list[Path]:
        """Every file under the server's artifact directory (temporary files included)."""
        root = self.data_dir / "artifacts"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _token(path: Path) -> str:
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == "operator":
            return parts[-1]
    raise AssertionError(f"no operator token in {path}")


def _serve(data_dir: Path, args: list[str]) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True)
    out = open(data_dir / "stdout.log", "wb")  # noqa: SIM115 (the child writes it)
    err = open(data_dir / "stderr.log", "wb")  # noqa: SIM115
    cmd = [sys.executable, "-m", "semphony.server", "--port", "0", "--data-dir", str(data_dir)]
    with out, err:
        return subprocess.Popen([*cmd, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=err)


@pytest.fixture(scope="module", params=["sim", "tescan"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    emulator: Emulator | None = None
    args = ["--driver", request.param]
    if request.param == "tescan":
        emulator = Emulator(EmulatorConfig(seed=7, time_scale=0.0)).start()
        args += ["--tescan-host", "127.0.0.1", "--tescan-port", str(emulator.control_port)]
        args += ["--tescan-move-timeout-s", "1.5"]
    else:
        args += ["--seed", "7"]
    data_dir = tmp_path_factory.mktemp(f"e2e-{request.param}") / "data"
    process = _serve(data_dir, args)
    try:
        deadline = time.monotonic() + 60
        while (match := _READY.search((data_dir / "stdout.log").read_text())) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((data_dir / "stderr.log").read_text()[-3000:])
            time.sleep(0.05)
        yield Served(match.group(1).rstrip("/"), _token(data_dir / "token"), emulator, data_dir)
    finally:
        stop(process)
        if emulator is not None:
            emulator.stop()


@pytest.fixture(scope="module")
def client(served: Served) -> Iterator[Semphony]:
    with Semphony(served.url, token=served.token) as c:
        yield c


def test_the_flow_state_pump_beam_moves_acquire_save_and_find(
    served: Served, client: Semphony, tmp_path: Path
) -> None:
    device = client.device()
    assert device.driver == ("tescan" if served.emulator else "sim")
    assert len(device.scan_speeds) > 3
    if served.emulator is not None:  # read from the instrument: the emulator's own table
        inst = served.emulator.instrument
        assert [s.dwell_time_us for s in device.scan_speeds] == list(inst.info.scan_speeds_us)
        assert "scan_rotation" in device.capabilities
        assert device.limits.stage.x_mm.max == inst.limits.x_mm[1]
    run = client.runs.create(name="e2e")
    with run.session().start() as session:
        assert session.state().vacuum == "vented"
        assert session.chamber.pump() == "pumped"
        assert session.beam.on().beam_on
        pose = session.stage.move_to(x=0.4, y=-0.3)
        assert (pose.x_mm, pose.y_mm) == pytest.approx((0.4, -0.3), abs=1e-6)
        pose = session.stage.move_by(x=0.1)
        assert pose.x_mm == pytest.approx(0.5, abs=1e-6)
        result = session.imaging.acquire(SMALL, target_path=tmp_path / "first.tiff")
        assert (tmp_path / "first.tiff").read_bytes()[:4] in (b"II*\x00", b"MM\x00*")
        assert session.imaging.read(result).shape == (96, 128)
        record = session.imaging.save_roi(
            RoiSpec(name="site", **SPEC), AcquisitionConfig(resolution=(256, 256)), overwrite=True
        )
        assert [lv.level for lv in record.levels] == ["roi", "l2", "l1", "l0"]
        session.stage.move_to(x=0.62, y=-0.21)  # moved away: the ROI is off the field
        found = session.imaging.find_roi("site")
        focus = session.optics.autofocus(fov_um=50.0)
        assert focus.method == ("instrument" if served.emulator else "sweep")
        assert session.state().working_distance_mm == pytest.approx(focus.working_distance_mm)
        signal = session.detector.auto_signal()
        assert signal.method == ("instrument" if served.emulator else "frames")
        assert signal.low_fraction < 0.12, signal
        assert signal.high_fraction > 0.8, signal
        assert found.found, found.metrics.get("reason")
        after = session.state().stage
        pixel_um = SPEC["roi_fov_um"] / 256
        assert abs(after.x_mm - 0.5) * 1000 <= 3 * pixel_um
        assert abs(after.y_mm + 0.3) * 1000 <= 3 * pixel_um


# ---------------------------------------------------------------------------- faults (tescan)


@pytest.fixture
def emulator(served: Served) -> Iterator[Emulator]:
    if served.emulator is None:
        pytest.skip("the emulator's faults are for the tescan driver")
    yield served.emulator
    served.emulator.instrument.faults.clear()
    served.emulator.instrument.release_stage()


@contextmanager
def _ready(client: Semphony, name: str) -> Iterator[Session]:
    run = client.runs.create(name=name)
    with run.session().start() as session:
        session.chamber.pump()
        session.beam.on()
        yield session


def _still_works(session: Session) -> None:
    assert session.imaging.read(session.imaging.acquire(SMALL)).shape == (96, 128)


@pytest.mark.parametrize(
    ("fault", "params", "words"),
    [
        ("scan_error", {"code": -7}, "ScScanXY answered -7"),
        ("data_drop", {"after_chunks": 1}, "did not arrive whole (dropped)"),
    ],
)
def test_a_scan_fault_is_a_device_error_with_no_artifact(
    served: Served,
    client: Semphony,
    emulator: Emulator,
    fault: str,
    params: dict[str, int],
    words: str,
) -> None:
    with _ready(client, f"fault-{fault}") as session:
        before = served.artifacts()
        emulator.instrument.faults.arm(fault, **params)
        config = AcquisitionConfig(fov_um=100.0, resolution=(256, 256))
        with pytest.raises(SemphonyApiError) as caught:
            session.imaging.acquire(config)
        assert words in str(caught.value)
        if fault == "scan_error":  # the instrument's own code; a dropped connection has none
            assert isinstance(caught.value, DeviceError)
            assert caught.value.device_code == -7
        ops = session.run.operations(kind="acquisition")
        assert ops[-1].status == "failed"
        assert ops[-1].result is None
        assert served.artifacts() == before
        _still_works(session)


@pytest.mark.parametrize(
    ("fault", "params", "words"),
    [
        ("ignore_move", {}, "StgMoveTo was ignored"),
        ("stage_busy", {"seconds": 30.0}, "still reported busy"),
    ],
)
def test_a_stage_fault_is_a_device_error_and_the_stage_works_after(
    client: Semphony, emulator: Emulator, fault: str, params: dict[str, float], words: str
) -> None:
    with _ready(client, f"fault-{fault}") as session:
        emulator.instrument.faults.arm(fault, **params)
        with pytest.raises(SemphonyApiError) as caught:
            session.stage.move_to(x=1.5, y=0.5)
        assert words in str(caught.value)
        emulator.instrument.faults.clear()
        emulator.instrument.release_stage()
        pose = session.stage.move_to(x=1.0, y=0.25)
        assert (pose.x_mm, pose.y_mm) == pytest.approx((1.0, 0.25), abs=1e-6)
