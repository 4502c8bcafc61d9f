"""Every code example of the seed documentation page, run as written against `Semphony.local()`.

The examples are kept verbatim as text and executed with the names the page assumes bound:
`run = client.runs.create(...)` and `tescan = session.imaging`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from semphony import Semphony
from semphony.session import Run
from tests._fixtures import local_client

ACQUISITION_CONFIG_EXAMPLE = """\
from semphony.models import AcquisitionConfig
config = AcquisitionConfig(
fov_um=100, # field of view in µm
resolution=(1024, 1024), # width, height in pixels
mode="SE", # detector mode (e.g. "SE", "BSE")
dwell_time_us=1.0, # dwell time per pixel in µs
working_distance_mm=10.5,
scan_speed_index=3,
detector_channel=0,
)
"""

ROI_SPEC_EXAMPLE = """\
from semphony.models import RoiSpec
spec = RoiSpec(
name="my_roi",
roi_fov_um=50, # finest level (ROI)
l2_fov_um=150, # intermediate level 2
l1_fov_um=300, # intermediate level 1
l0_fov_um=1500, # coarsest level (overview)
)
"""

GUARDRAILS_EXAMPLE = """\
from semphony import (
ImagingGuardrails,
ChamberBeamGuardrail,
StageAbsoluteLimits,
StageRelativeLimits,
)
guardrails = ImagingGuardrails(
chamber_beam=ChamberBeamGuardrail(
require_vacuum_for_beam=True,
require_beam_off_for_vent=True,
require_beam_on_for_scan=True,
),
stage_absolute=StageAbsoluteLimits(
x=(-50.0, 50.0),
y=(-50.0, 50.0),
),
stage_relative=StageRelativeLimits(
x_pct=200, # max 200% of FOV per move
y_pct=200,
r_max_deg=5,
),
)
session = run.session(guardrails=guardrails).start()
"""

ERROR_HANDLING_EXAMPLE = """\
from semphony.client import SemphonyApiError
from semphony import SemphonyGuardrailException
try:
    result = tescan.acquire(config)
except SemphonyApiError as e:
    print(f"API failed: {e}")
except SemphonyGuardrailException as e:
    print(f"Guardrail violated: {e}")
    print(f"Type: {e.guardrail_type}, Details: {e.details}")
"""


@pytest.fixture(scope="module")
def client() -> Iterator[Semphony]:
    yield from local_client()


@pytest.fixture
def run(client: Semphony) -> Run:
    return client.runs.create(name="seed examples")


def _exec(source: str, namespace: dict[str, Any]) -> dict[str, Any]:
    exec(compile(source, "<seed example>", "exec"), namespace)
    return namespace


def test_the_seed_session_example_starts_a_guarded_session(run: Run) -> None:
    ns = _exec(GUARDRAILS_EXAMPLE, {"run": run})
    session = ns["session"]
    try:
        assert session.guardrails is ns["guardrails"]
        assert session.state().lease.session_id == session.id
    finally:
        session.close()


def test_the_seed_config_acquires_a_1024_frame_downloaded_and_read_back(
    run: Run, tmp_path: Path
) -> None:
    ns = _exec(GUARDRAILS_EXAMPLE, {"run": run})
    ns = _exec(ACQUISITION_CONFIG_EXAMPLE, ns)
    with ns["session"] as session:
        session.chamber.pump()
        session.beam.on()
        tescan = session.imaging
        result = tescan.acquire(ns["config"], target_path=tmp_path / "seed.tiff")
        assert result.local_path == str(tmp_path / "seed.tiff")
        assert result.size == (1024, 1024)
        applied = result.metadata["applied"]
        assert applied["scan_speed_index"] == 3
        assert applied["dwell_time_us"] == pytest.approx(1.0)
        pixels = tescan.read(result)
    assert pixels.shape == (1024, 1024)
    assert np.ptp(pixels) > 0


def test_the_seed_roi_spec_constructs(run: Run) -> None:
    spec = _exec(ROI_SPEC_EXAMPLE, {})["spec"]
    assert [level for level, _ in spec.levels()] == ["roi", "l2", "l1", "l0"]


def test_the_seed_error_example_reports_a_guardrail_with_its_type(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = _exec(GUARDRAILS_EXAMPLE, {"run": run})
    ns = _exec(ACQUISITION_CONFIG_EXAMPLE, ns)
    with ns["session"] as session:
        session.beam.off()
        before = run.audit()
        _exec(ERROR_HANDLING_EXAMPLE, {**ns, "tescan": session.imaging})
        assert run.audit() == before
    out = capsys.readouterr().out
    assert "Guardrail violated: " in out
    assert "Type: chamber_beam.require_beam_on_for_scan, Details: {" in out


def test_the_seed_error_example_reports_a_device_failure_as_an_api_error(
    client: Semphony, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = _exec(GUARDRAILS_EXAMPLE, {"run": run})
    ns = _exec(ACQUISITION_CONFIG_EXAMPLE, ns)
    with ns["session"] as session:
        session.chamber.pump()
        session.beam.on()
        client.simulator.inject("scan_error", device_code=7, device_message="ScScanXY failed")
        try:
            _exec(ERROR_HANDLING_EXAMPLE, {**ns, "tescan": session.imaging})
        finally:
            client.simulator.clear_faults()
    out = capsys.readouterr().out
    assert out.startswith("API failed: ")
    assert "ScScanXY failed" in out


def test_the_seed_error_example_reports_a_command_the_server_refuses_as_an_api_error(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = _exec(GUARDRAILS_EXAMPLE, {"run": run})
    ns = _exec(ACQUISITION_CONFIG_EXAMPLE, ns)
    session = ns["session"]
    session.chamber.pump()
    session.beam.on()
    session.close()
    # The guardrails allow the scan, but the session no longer holds the lease: the server refuses.
    _exec(ERROR_HANDLING_EXAMPLE, {**ns, "tescan": session.imaging})
    out = capsys.readouterr().out
    assert out.startswith("API failed: ")
    assert "lease.required" in out
    assert "lease" in out
