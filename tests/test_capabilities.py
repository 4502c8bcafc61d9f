"""Capabilities against the simulator: guardrails send nothing, downloads are verified, retried
commands act once."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from semphony._exceptions import SemphonyGuardrailException
from semphony._wire import Download, SyncTransport
from semphony.client import (
    ConflictError,
    DeviceError,
    NotFoundError,
    Semphony,
    SemphonyApiError,
)
from semphony.guardrails import (
    ChamberBeamGuardrail,
    ImagingGuardrails,
    StageAbsoluteLimits,
    StageRelativeLimits,
)
from semphony.models import AcquisitionConfig
from semphony.session import Run, Session
from tests._fixtures import DroppingProxy, local_client, serve_dropping_proxy

SMALL = AcquisitionConfig(fov_um=100, resolution=(128, 96))


@pytest.fixture(scope="module")
def client() -> Iterator[Semphony]:
    yield from local_client(seed=5)


@pytest.fixture
def run(client: Semphony) -> Run:
    return client.runs.create(name="capabilities")


@pytest.fixture
def session(run: Run) -> Iterator[Session]:
    with run.session().start() as s:
        yield s


@pytest.fixture
def imaging_session(session: Session) -> Session:
    session.chamber.pump()
    session.beam.on()
    return session


def _commands(run: Run) -> list[str]:
    """The actions the server recorded for this run, in order."""
    return [entry["action"] for entry in run.audit()]


def test_beam_on_in_a_vented_chamber_is_refused_and_nothing_is_sent(
    run: Run, session: Session
) -> None:
    session.beam.off()
    if not session.state().vented:
        session.chamber.vent()
    before = run.audit()
    with pytest.raises(SemphonyGuardrailException) as caught:
        session.beam.on()
    assert caught.value.guardrail_type == "chamber_beam.require_vacuum_for_beam"
    assert run.audit() == before
    assert session.state().beam_on is False


def test_vent_with_the_beam_on_is_refused_and_nothing_is_sent(
    run: Run, imaging_session: Session
) -> None:
    before = run.audit()
    with pytest.raises(SemphonyGuardrailException) as caught:
        imaging_session.chamber.vent()
    assert caught.value.guardrail_type == "chamber_beam.require_beam_off_for_vent"
    assert run.audit() == before
    assert imaging_session.state().pumped


def test_without_guardrails_the_server_interlock_still_refuses_a_vent_with_the_beam_on(
    run: Run,
) -> None:
    with run.session(guardrails=ImagingGuardrails.none()).start() as session:
        session.chamber.pump()
        session.beam.on()
        with pytest.raises(ConflictError) as caught:
            session.chamber.vent()
        assert caught.value.reason == "interlock.beam_must_be_off"
        assert session.state().pumped


def test_a_move_outside_the_absolute_limits_is_refused_and_nothing_is_sent(run: Run) -> None:
    guardrails = ImagingGuardrails(stage_absolute=StageAbsoluteLimits(x=(-1.0, 1.0)))
    with run.session(guardrails=guardrails).start() as session:
        before = run.audit()
        with pytest.raises(SemphonyGuardrailException) as caught:
            session.stage.move_to(x=2.0)
        assert caught.value.guardrail_type == "stage_absolute.x"
        assert caught.value.details["requested"] == 2.0
        assert run.audit() == before


def test_a_step_beyond_the_relative_limit_is_refused_for_move_by_and_move_to(run: Run) -> None:
    guardrails = ImagingGuardrails(
        chamber_beam=ChamberBeamGuardrail(), stage_relative=StageRelativeLimits(x_pct=100)
    )
    with run.session(guardrails=guardrails).start() as session:
        state = session.state()
        step_mm = 2 * state.fov_um / 1000  # 200 % of the FOV, the limit is 100 %
        before = run.audit()
        with pytest.raises(SemphonyGuardrailException) as by:
            session.stage.move_by(x=step_mm)
        with pytest.raises(SemphonyGuardrailException) as to:
            session.stage.move_to(x=state.stage.x_mm + step_mm)
        assert by.value.guardrail_type == to.value.guardrail_type == "stage_relative.x_pct"
        assert run.audit() == before


def test_an_allowed_move_reaches_the_server_and_the_stage_moves(run: Run, session: Session) -> None:
    start = session.stage.position()
    pose = session.stage.move_by(x=0.01, y=-0.02)
    assert pose.x_mm == pytest.approx(start.x_mm + 0.01, abs=0.005)
    assert pose.y_mm == pytest.approx(start.y_mm - 0.02, abs=0.005)
    assert session.stage.position() == pose
    assert "stage.move" in _commands(run)


def test_optics_set_applies_fov_and_beam_shift_as_a_pair(session: Session) -> None:
    state = session.optics.set(fov_um=80, beam_shift_um=(1.5, -2.0))
    assert state.fov_um == pytest.approx(80)
    assert (state.beam_shift_x_um, state.beam_shift_y_um) == pytest.approx((1.5, -2.0))
    with pytest.raises(ValueError, match="not both"):
        session.optics.set(beam_shift_um=(1.0, 1.0), beam_shift_x_um=2.0)


def test_acquire_to_target_path_writes_a_verified_tiff_and_read_returns_its_pixels(
    imaging_session: Session, tmp_path: Path
) -> None:
    (tmp_path / "frames").mkdir()
    target = tmp_path / "frames" / "a.tiff"
    result = imaging_session.imaging.acquire(SMALL, target_path=target)
    assert result.local_path == str(target)
    assert result.size == (128, 96)
    assert result.mime == "image/tiff"
    assert hashlib.sha256(target.read_bytes()).hexdigest() == result.metadata["sha256"]
    assert [p.name for p in target.parent.iterdir()] == ["a.tiff"]  # no temporary left over
    pixels = imaging_session.imaging.read(result)
    assert pixels.shape == (96, 128)
    assert np.ptp(pixels) > 0


def test_acquire_into_a_missing_folder_is_refused_before_scanning_and_creates_nothing(
    imaging_session: Session, tmp_path: Path
) -> None:
    scans = len(imaging_session.run.operations(kind="acquisition"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        imaging_session.imaging.acquire(SMALL, target_path=tmp_path / "missing" / "a.tiff")
    assert not (tmp_path / "missing").exists()
    assert len(imaging_session.run.operations(kind="acquisition")) == scans


def test_a_streamed_tiff_has_the_mode_the_umask_asks_for(
    client: Semphony, imaging_session: Session, tmp_path: Path
) -> None:
    result = imaging_session.imaging.acquire(SMALL)
    assert result.image_id is not None
    # A server elsewhere: the image is streamed (not linked from a local artifact folder).
    remote = SyncTransport(client.options.replace(local_artifacts=None))
    previous = os.umask(0o027)
    try:
        remote.download(Download(result.image_id, tmp_path / "shared.tiff"))
    finally:
        os.umask(previous)
        remote.close()
    assert stat.S_IMODE((tmp_path / "shared.tiff").stat().st_mode) == 0o640


def test_a_local_servers_image_is_kept_once_as_a_read_only_link(
    client: Semphony, imaging_session: Session, tmp_path: Path
) -> None:
    previous = os.umask(0o022)
    try:
        result = imaging_session.imaging.acquire(SMALL, target_path=tmp_path / "kept.tiff")
    finally:
        os.umask(previous)
    assert client.local_server is not None
    stored = client.local_server.artifacts_dir / f"{result.image_id}.tiff"
    kept = (tmp_path / "kept.tiff").stat()
    assert kept.st_ino == stored.stat().st_ino  # one file, not two copies
    assert stat.S_IMODE(kept.st_mode) == 0o444
    assert (
        hashlib.sha256((tmp_path / "kept.tiff").read_bytes()).hexdigest()
        == result.metadata["sha256"]
    )


def test_read_without_a_local_file_downloads_the_pixels(imaging_session: Session) -> None:
    result = imaging_session.imaging.acquire(SMALL)
    assert result.local_path is None
    assert imaging_session.imaging.read(result).shape == (96, 128)


def test_download_of_an_earlier_result_writes_the_same_verified_tiff(
    imaging_session: Session, tmp_path: Path
) -> None:
    result = imaging_session.imaging.acquire(SMALL)
    saved = imaging_session.imaging.download(result, tmp_path / "later.tiff")
    assert saved.local_path == str(tmp_path / "later.tiff")
    assert saved.image_id == result.image_id
    data = (tmp_path / "later.tiff").read_bytes()
    assert hashlib.sha256(data).hexdigest() == result.metadata["sha256"]
    assert imaging_session.imaging.read(saved).shape == (96, 128)


def test_a_device_failure_during_a_scan_is_a_device_error_with_code_and_message(
    client: Semphony, imaging_session: Session
) -> None:
    client.simulator.inject("scan_error", device_code=-12, device_message="ScScanXY returned -12")
    try:
        with pytest.raises(DeviceError) as caught:
            imaging_session.imaging.acquire(SMALL)
    finally:
        client.simulator.clear_faults()
    assert isinstance(caught.value, SemphonyApiError)
    assert caught.value.device_code == -12
    assert "ScScanXY returned -12" in str(caught.value)


def test_progress_reports_lines_scanned(imaging_session: Session) -> None:
    reports: list[tuple[int, int, str]] = []
    imaging_session.imaging.acquire(SMALL, progress=lambda *r: reports.append(r))
    assert reports[-1] == (96, 96, "lines")


def test_progress_true_draws_a_bar_and_returns_the_result(imaging_session: Session) -> None:
    result = imaging_session.imaging.acquire(SMALL, progress=True)
    assert result.size == (128, 96)


def test_save_roi_refuses_a_taken_name_before_acquiring_and_find_roi_an_unknown_one(
    run: Run, imaging_session: Session
) -> None:
    from semphony.models import RoiSpec

    spec = RoiSpec(name="taken-here", roi_fov_um=50)
    config = AcquisitionConfig(resolution=(64, 64))
    record = imaging_session.imaging.save_roi(spec, config, overwrite=True)
    assert [lv.level for lv in record.levels] == ["roi"]
    scans = len(run.operations(kind="acquisition"))
    with pytest.raises(ConflictError) as caught:
        imaging_session.imaging.save_roi(spec, config)
    assert caught.value.reason == "roi.exists"
    assert len(run.operations(kind="acquisition")) == scans
    with pytest.raises(NotFoundError):
        imaging_session.imaging.find_roi("never-saved")
    assert len(run.operations(kind="acquisition")) == scans


@pytest.fixture
def proxy_to(client: Semphony) -> Iterator[DroppingProxy]:
    yield from serve_dropping_proxy(
        client.base_url, lambda method, path: method == "POST" and path.endswith("/acquisitions")
    )


def test_a_scan_whose_answer_is_lost_is_retried_with_the_same_key_and_happens_once(
    client: Semphony, proxy_to: DroppingProxy
) -> None:
    server = client.local_server
    assert server is not None
    with Semphony(base_url=proxy_to.base_url, token=server.token, max_retries=2) as via_proxy:
        run = via_proxy.runs.create(name="lost answers")
        with run.session().start() as session:
            session.chamber.pump()
            session.beam.on()
            result = session.imaging.acquire(SMALL)
    assert len(proxy_to.dropped) == 1
    _, _, dropped_key = proxy_to.dropped[0]
    sent = [f for f in proxy_to.forwarded if f[1].endswith("/acquisitions")]
    assert len(sent) == 2
    assert {key for _, _, key in sent} == {dropped_key}
    scans = client.runs.retrieve(run.id).operations(kind="acquisition")
    assert [s["id"] for s in scans] == [result.correlation_id]


def test_a_move_whose_answer_is_lost_happens_once(client: Semphony) -> None:
    server = client.local_server
    assert server is not None
    for proxy in serve_dropping_proxy(
        client.base_url, lambda method, path: method == "POST" and path.endswith("/stage/move")
    ):
        with Semphony(base_url=proxy.base_url, token=server.token) as via_proxy:
            run = via_proxy.runs.create(name="lost move")
            with run.session().start() as session:
                start = session.stage.position()
                pose = session.stage.move_by(x=0.05)
        assert len(proxy.dropped) == 1
        assert len(client.runs.retrieve(run.id).operations(kind="move")) == 1
        assert pose.x_mm == pytest.approx(start.x_mm + 0.05, abs=0.005)


@pytest.mark.parametrize("folder_given", [True, False])
def test_a_client_on_the_servers_machine_links_images_from_the_folder_it_names(
    client: Semphony, tmp_path: Path, folder_given: bool
) -> None:
    assert client.local_server is not None
    stored_in = client.local_server.artifacts_dir
    # A folder that does not hold the image: the client streams it over HTTP instead.
    folder = stored_in if folder_given else tmp_path / "elsewhere"
    with (
        Semphony(client.base_url, token=client.options.token, local_artifacts=folder) as near,
        near.runs.create(name="near").session().start() as session,
    ):
        session.chamber.pump()
        session.beam.on()
        result = session.imaging.acquire(SMALL, target_path=tmp_path / "near.tiff")
    stored = (stored_in / f"{result.image_id}.tiff").stat()
    kept = (tmp_path / "near.tiff").stat()
    assert (kept.st_ino == stored.st_ino) is folder_given
    assert kept.st_size == stored.st_size
