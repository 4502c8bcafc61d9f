"""Requests checked against what the device says it can do (`GET /v1/device`), before any is sent.

The server refuses the same values itself; checking first lets a command that would acquire
several images (an ROI pyramid) refuse before the first one, naming the setting.
"""

from __future__ import annotations

from semphony._exceptions import OutOfRangeError
from semphony._types import DeviceInfo
from semphony.models import AcquisitionConfig

__all__ = ["check_acquisition", "check_fov"]


def check_fov(device: DeviceInfo, field: str, fov_um: float, *, where: str = "") -> None:
    """Refuse a field of view (µm) the device cannot scan, naming `field`."""
    limits = device.limits.fov_um
    if fov_um not in limits:
        raise OutOfRangeError(field=field, value=fov_um, allowed=f"{limits} µm", where=where)


def check_acquisition(device: DeviceInfo, config: AcquisitionConfig, *, where: str = "") -> None:
    """Refuse every setting of `config` outside the device's limits (the first one found)."""
    limits = device.limits
    if config.fov_um is not None:
        check_fov(device, "fov_um", config.fov_um, where=where)
    if config.resolution is not None:
        width, height = config.resolution
        for name, value, allowed in (
            ("width", width, limits.resolution.width),
            ("height", height, limits.resolution.height),
        ):
            if value not in allowed:
                raise OutOfRangeError(
                    field="resolution",
                    value=config.resolution,
                    allowed=f"{name} {allowed} px",
                    where=where,
                )
    if config.dwell_time_us is not None and config.dwell_time_us not in limits.dwell_time_us:
        raise OutOfRangeError(
            field="dwell_time_us",
            value=config.dwell_time_us,
            allowed=f"{limits.dwell_time_us} µs",
            where=where,
        )
    if config.working_distance_mm is not None and (
        config.working_distance_mm not in limits.working_distance_mm
    ):
        raise OutOfRangeError(
            field="working_distance_mm",
            value=config.working_distance_mm,
            allowed=f"{limits.working_distance_mm} mm",
            where=where,
        )
    indexes = [s.index for s in device.scan_speeds]
    if config.scan_speed_index is not None and indexes and config.scan_speed_index not in indexes:
        raise OutOfRangeError(
            field="scan_speed_index",
            value=config.scan_speed_index,
            allowed=f"an index {min(indexes)} to {max(indexes)}",
            where=where,
        )
    modes = {m.casefold(): m for m in device.detector_modes}
    for field in ("mode", "detector_mode"):
        mode = getattr(config, field)
        if mode is not None and modes and mode.casefold() not in modes:
            raise OutOfRangeError(
                field=field, value=mode, allowed="one of " + ", ".join(modes.values()), where=where
            )
    depths = limits.bit_depths
    if config.bit_depth is not None and depths and config.bit_depth not in depths:
        raise OutOfRangeError(
            field="bit_depth",
            value=config.bit_depth,
            allowed="one of " + ", ".join(str(d) for d in depths),
            where=where,
        )
