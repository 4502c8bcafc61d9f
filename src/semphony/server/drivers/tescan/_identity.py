"""What the instrument is: its protocol version, identity, stage limits, detectors and speed table,
read once at connect, and the nominal limits the protocol has no command for.

SharkSEM reports stage travel (`StgGetLimits(1)`, the software limits), detectors
(`DtEnumDetectors`) and scan speeds (`ScEnumSpeeds`), but no range for the view field, WD, image
shift, HV or beam current: those are the nominal `Nominal` values (settable), and since the column
clamps silently, every optics command is read back (`DeviceMismatchError` names what the column
limited).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from semphony.server.drivers.errors import DeviceFault, DriverUnavailableError
from semphony.server.drivers.tescan._commands import parse_version
from semphony.server.drivers.tescan._errors import NoReplyError
from semphony.server.drivers.tescan._link import Link
from semphony.server.drivers.types import DetectorInfo, DeviceInfo, Limits, ScanRequest

__all__ = ["CONVENTIONS", "Nominal", "read_device_info", "read_version"]

_DET = re.compile(r"det\.(\d+)\.(name|detector)$")
_SPEED = re.compile(r"speed\.(\d+)\.dwell$")

CONVENTIONS = {
    "image_x": "stage +x (columns, left to right): assumed, SharkSEM does not say",
    "image_y": "stage -y (rows, top to bottom): assumed, SharkSEM does not say",
    "fov": "fov_um is the view field's width (GetViewField, mm); pixels are square",
    "beam_shift": "beam_shift_*_um is SharkSEM's image shift (GetImageShift, mm)",
}


@dataclass(frozen=True)
class Nominal:
    """Ranges SharkSEM cannot be asked for (the column may limit further: read back)."""

    fov_um: tuple[float, float] = (1.0, 10000.0)
    working_distance_mm: tuple[float, float] = (1.0, 50.0)
    beam_shift_um: tuple[float, float] = (-10.0, 10.0)
    hv_kv: tuple[float, float] = (0.2, 30.0)
    beam_current_na: tuple[float, float] = (0.001, 100.0)
    resolution: tuple[int, int] = (16, 16384)
    stage_repeatability_um: float = 2.0
    # (|tilt| in degrees, highest z in mm) points: the site's pole-piece rule; none by default.
    clearance: tuple[tuple[float, float], ...] = ()


def read_version(link: Link) -> str:
    """`TcpGetVersion`, parsed into `link.version`; a silence is an unsupported (≤ 1.0.4) server."""
    try:
        text = link.conn.call_str("TcpGetVersion")
    except NoReplyError as exc:
        raise DriverUnavailableError(
            link.address,
            f"{exc.message}; servers up to SharkSEM 1.0.4 never answer it and are not supported",
        ) from exc
    try:
        link.version = parse_version(text)
    except ValueError as exc:
        raise DeviceFault(None, f"TcpGetVersion answered {text!r}, not a version x.y.z") from exc
    return text


def _detectors(table: dict[str, str]) -> tuple[DetectorInfo, ...]:
    found: dict[int, dict[str, str]] = {}
    for key, value in table.items():
        match = _DET.match(key.strip())
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value.strip()
    detectors = []
    for k in sorted(found):
        entry = found[k]
        name = entry.get("name") or f"detector {k}"
        ident = entry.get("detector", str(k))
        if not ident.lstrip("-").isdigit():
            raise DeviceFault(None, f"DtEnumDetectors: det.{k}.detector={ident!r} is no integer")
        detectors.append(DetectorInfo(channel=int(ident), mode=name, name=name))
    if not detectors:
        raise DeviceFault(None, "DtEnumDetectors listed no detector")
    return tuple(detectors)


def _speeds(table: dict[str, str]) -> tuple[float, ...]:
    found: dict[int, float] = {}
    for key, value in table.items():
        match = _SPEED.match(key.strip())
        if match:
            try:
                found[int(match.group(1))] = float(value)
            except ValueError:
                raise DeviceFault(None, f"ScEnumSpeeds: {key}={value!r} is no number") from None
    if not found:
        raise DeviceFault(None, "ScEnumSpeeds listed no scan speed")
    return tuple(found[n] for n in sorted(found))


def read_device_info(link: Link, nominal: Nominal) -> DeviceInfo:
    """Identity, capabilities and limits from the instrument (plus `nominal` where it has none)."""
    serial = link.get_str("TcpGetDevice") if link.has("TcpGetDevice") else "unknown"
    if link.has("TcpGetModel"):
        model = link.get_str("TcpGetModel")
    else:
        model = f"Tescan (SharkSEM {link.version_text} reports no model)"
    travel = link.get_floats("StgGetLimits", 1)
    if len(travel) < 10:
        raise DeviceFault(None, f"StgGetLimits(1) answered {len(travel)} values, not 10 or 12")
    x, y, z, r, t = ((travel[i], travel[i + 1]) for i in range(0, 10, 2))
    speeds = _speeds(link.get_map("ScEnumSpeeds"))
    detectors = _detectors(link.get_map("DtEnumDetectors"))
    capabilities = ["vacuum", "beam", "stage", "stage_rotation", "stage_tilt", "beam_shift"]
    capabilities += ["detectors", "bit_depth_16", "autofocus_instrument", "auto_signal"]
    if link.has("GetImageRot"):
        capabilities.append("scan_rotation")
    limits = Limits(
        x_mm=x,
        y_mm=y,
        z_mm=z,
        r_deg=r,
        t_deg=t,
        clearance=nominal.clearance or ((0.0, z[1]),),
        fov_um=nominal.fov_um,
        working_distance_mm=nominal.working_distance_mm,
        scan_rotation_deg=(-180.0, 180.0),
        beam_shift_um=nominal.beam_shift_um,
        hv_kv=nominal.hv_kv,
        beam_current_na=nominal.beam_current_na,
        resolution=nominal.resolution,
        bit_depths=(8, 16),
    )
    default_speed = min(range(len(speeds)), key=lambda i: (abs(speeds[i] - 1.0), speeds[i]))
    return DeviceInfo(
        driver="tescan",
        model=model,
        serial=serial,
        capabilities=tuple(capabilities),
        honoured_fields=tuple(ScanRequest.__dataclass_fields__),
        detectors=detectors,
        limits=limits,
        scan_speeds_us=speeds,
        default_scan_speed_index=default_speed,
        default_resolution=(1024, 1024),
        stage_repeatability_um=nominal.stage_repeatability_um,
        conventions={**CONVENTIONS, "protocol_version": link.version_text},
    )
