"""What the simulated SEM is and can do: its `DeviceInfo`, limits, speed table and conventions."""

from __future__ import annotations

from dataclasses import replace

from semphony.server.drivers.axes import AxisConvention
from semphony.server.drivers.sim.stage import POSITION_SIGMA_UM
from semphony.server.drivers.types import DetectorInfo, DeviceInfo, Limits, ScanRequest

__all__ = ["CONVENTIONS", "INFO", "LIMITS", "PUMP_S", "SCAN_SPEEDS_US", "VENT_S", "with_axes"]

SCAN_SPEEDS_US: tuple[float, ...] = (0.1, 0.32, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
PUMP_S = 180.0
VENT_S = 60.0

LIMITS = Limits(
    x_mm=(-50.0, 50.0),
    y_mm=(-50.0, 50.0),
    z_mm=(0.0, 50.0),
    r_deg=(-180.0, 180.0),
    t_deg=(-10.0, 70.0),
    clearance=((0.0, 50.0), (10.0, 47.5), (20.0, 44.0), (30.0, 40.0), (45.0, 34.0), (70.0, 26.0)),
    fov_um=(1.0, 10000.0),
    working_distance_mm=(1.0, 50.0),
    scan_rotation_deg=(-180.0, 180.0),
    beam_shift_um=(-10.0, 10.0),
    hv_kv=(0.2, 30.0),
    beam_current_na=(0.001, 100.0),
    resolution=(16, 16384),  # 16384² × 16 bit = 512 MiB: big frames exercise streaming downloads
    bit_depths=(8, 16),
    detector_gain=(0.01, 100.0),
    detector_offset=(-1.0, 1.0),
)

CONVENTIONS = {
    "image_x": "stage +x (columns, left to right)",
    "image_y": "stage -y (rows, top to bottom)",
    "rotation_sense": "ccw_seen_from_beam",
    "rotation_centre": "optical_axis",
    "stage_rotation": "positive r_deg turns the specimen counter-clockwise seen from the beam "
    "(compucentric: the point under the beam stays there)",
    "scan_rotation": "positive scan_rotation_deg turns the scan raster counter-clockwise seen from "
    "the beam, so the specimen appears turned clockwise in the image",
    "beam_shift": "moves the imaged field by (beam_shift_x_um, beam_shift_y_um) in stage axes",
    "fov": "fov_um is the width of the field; pixels are square",
    "tilt_axis": "stage x",
}

INFO = DeviceInfo(
    driver="sim",
    model="semphony simulated SEM",
    serial="SIM-0001",
    capabilities=(
        "vacuum",
        "beam",
        "stage",
        "stage_rotation",
        "stage_tilt",
        "scan_rotation",
        "beam_shift",
        "detectors",
        "detector_gain",
        "auto_signal",
        "bit_depth_16",
        "simulator",
    ),
    honoured_fields=tuple(f for f in ScanRequest.__dataclass_fields__),
    detectors=(
        DetectorInfo(channel=0, mode="SE", name="secondary electrons (Everhart-Thornley)"),
        DetectorInfo(channel=1, mode="BSE", name="backscattered electrons (annular)"),
    ),
    limits=LIMITS,
    scan_speeds_us=SCAN_SPEEDS_US,
    default_scan_speed_index=3,
    default_resolution=(1024, 1024),
    stage_repeatability_um=2 * POSITION_SIGMA_UM,
    conventions=CONVENTIONS,
)


def with_axes(info: DeviceInfo, axes: AxisConvention) -> DeviceInfo:
    """`info` for a simulator whose images follow `axes`: the image axes it publishes say so."""
    if axes.is_default:
        return info
    where = axes.conventions()
    image_x, image_y = where["image_x"], where["image_y"]
    return replace(
        info,
        conventions={
            **info.conventions,
            "image_x": f"{image_x} (columns, left to right)",
            "image_y": f"{image_y} (rows, top to bottom)",
            "image_x_axis": image_x.removeprefix("stage "),
            "image_y_axis": image_y.removeprefix("stage "),
            "mirror_y": where["mirror_y"],
            "scan_turn_deg": where["scan_turn_deg"],
        },
    )
