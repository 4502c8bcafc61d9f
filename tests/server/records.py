"""A valid ROI record document, shared by the tests that save, bound or fuzz one."""

from __future__ import annotations

from typing import Any


def roi_record(name: str, *, specimen_id: str | None = None, full: bool = False) -> dict[str, Any]:
    """A record the server accepts; `full` fills every optional number too (for bound checks)."""
    level: dict[str, Any] = {
        "level": "roi",
        "fov_um": 50,
        "image_id": "img_a",
        "correlation_id": "op_a",
    }
    record: dict[str, Any] = {
        "name": name,
        "spec": {"roi_fov_um": 50, "l2_fov_um": 150, "l1_fov_um": 300, "l0_fov_um": 1500},
        "levels": [level],
        "pose": {"x_mm": 0.1, "y_mm": 0.2, "z_mm": 10.0, "r_deg": 0.0, "t_deg": 0.0},
        "optics": {
            "fov_um": 50,
            "working_distance_mm": 10,
            "scan_rotation_deg": 0,
            "beam_shift_x_um": 0,
            "beam_shift_y_um": 0,
            "hv_kv": 10,
            "beam_current_na": 0.1,
        },
        "detector": {
            "mode": "SE",
            "channel": 0,
            "gain": 1,
            "offset": 0,
            "gamma": 1,
            "bit_depth": 8,
        },
    }
    if specimen_id is not None:
        record["specimen_id"] = specimen_id
    if full:
        level.update({"resolution": [512, 512], "pixel_size_um": 0.1})
        record["acquisition"] = {"fov_um": 50, "dwell_time_us": 1.0, "working_distance_mm": 10}
    return record
