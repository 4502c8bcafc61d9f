"""What the `semphony` commands print: result tables, and errors as one line with an exit status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pydantic
from rich.table import Table

from semphony._client import Semphony
from semphony._exceptions import (
    DeviceRangeError,
    OutOfRangeError,
    SemphonyApiError,
    SemphonyError,
    SemphonyGuardrailException,
)
from semphony.models import AcquisitionResult, FindRoiResult

if TYPE_CHECKING:
    from semphony.roi import RoiRecord

__all__ = [
    "EXIT_FAILURE",
    "EXIT_USAGE",
    "describe_error",
    "find_table",
    "level_summaries",
    "option_of",
    "roi_list_table",
    "state_table",
    "summarise_acquisition",
]

EXIT_FAILURE = 1
EXIT_USAGE = 2

# Model fields whose command-line option is not simply --field-name.
_OPTIONS = {"dwell_time_us": "--dwell-us", "name": "NAME", "detector_mode": "--mode"}
_LEVEL_ORDER = {"l0": 0, "l1": 1, "l2": 2, "roi": 3}


def option_of(field: str) -> str:
    """The command-line option that sets the model field `field`."""
    return _OPTIONS.get(field, "--" + field.replace("_", "-"))


def _validation_message(exc: pydantic.ValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = error.get("loc", ())
        msg = str(error.get("msg", "invalid"))
        if loc:
            field = str(loc[0])
            parts.append(f"{option_of(field)} ({field}): {msg}, got {error.get('input')!r}")
        else:  # a rule across fields: its message names them
            parts.append(msg)
    return f"invalid {exc.title}: " + "; ".join(parts)


def _api_message(exc: SemphonyApiError) -> str:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    # The SDK's advice names its keyword argument; here the option says it.
    message = message.replace("overwrite=True", "--overwrite")
    # A value the server refused is named by the flag that set it.
    errors = (exc.problem or {}).get("errors")
    fields = [e.get("field") for e in errors if isinstance(e, Mapping)] if errors else []
    for field in fields:
        name = str(field).split(".", 1)[-1] if "." in str(field) else str(field)
        if name.isidentifier():
            return f"{option_of(name)}: {message}"
    return message


def describe_error(exc: BaseException) -> tuple[int, str] | None:
    """The exit status and one-line message for an error a command may end with; None for one
    that is a bug (let it show its traceback)."""
    if isinstance(exc, pydantic.ValidationError):
        return EXIT_USAGE, _validation_message(exc)
    if isinstance(exc, OutOfRangeError):
        return EXIT_USAGE, (
            f"{option_of(exc.field)} {exc.value!r} is outside what this device can do "
            f"({exc.allowed})"
        )
    if isinstance(exc, SemphonyGuardrailException):
        message = exc.message
        if exc.guardrail_type not in message:
            message = f"guardrail {exc.guardrail_type} refused: {message}"
        return EXIT_FAILURE, message
    if isinstance(exc, SemphonyApiError):
        # The server refusing a value as out of range (409 `range.*`) or malformed is bad input.
        bad_input = exc.status_code in (400, 422) or isinstance(exc, DeviceRangeError)
        code = EXIT_USAGE if bad_input else EXIT_FAILURE
        return code, _api_message(exc)
    if isinstance(exc, SemphonyError):
        return EXIT_FAILURE, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, NotImplementedError):
        return EXIT_FAILURE, str(exc)
    if isinstance(exc, ValueError):  # our own argument checks and the SDK's
        return EXIT_USAGE, str(exc)
    if isinstance(exc, OSError):
        return EXIT_FAILURE, f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    return None


def state_table(client: Semphony) -> Table:
    """The instrument's state: vacuum, beam, stage, optics, detector, lease, clock."""
    state = client.state()
    table = Table(title="instrument state", title_justify="left", show_header=False)
    table.add_column("")
    table.add_column("")
    lease = state.lease
    rows = [
        ("vacuum", state.vacuum),
        (
            "beam",
            f"{'on' if state.beam_on else 'off'}, {state.hv_kv:g} kV, {state.beam_current_na:g} nA",
        ),
        ("stage", str(state.stage)),
        ("field of view", f"{state.fov_um:g} µm"),
        ("working distance", f"{state.working_distance_mm:g} mm"),
        ("scan rotation", f"{state.scan_rotation_deg:g}°"),
        ("beam shift", f"({state.beam_shift_x_um:g}, {state.beam_shift_y_um:g}) µm"),
        (
            "detector",
            f"{state.detector.mode} (channel {state.detector.channel}), "
            f"{state.detector.bit_depth}-bit",
        ),
        ("lease", f"held by {lease.holder} until {lease.expires_at:%H:%M:%S}" if lease else "free"),
        ("running operation", state.active_operation_id or "none"),
        ("instrument clock", f"{state.clock_s:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def summarise_acquisition(result: AcquisitionResult) -> str:
    """One line: size, pixel size, detector, dwell and where the image is."""
    applied = result.metadata.get("applied")
    applied = applied if isinstance(applied, Mapping) else {}
    size = "×".join(str(v) for v in result.size) if result.size else "?"
    parts = [f"{size} px"]
    if isinstance(applied.get("pixel_size_um"), int | float):
        parts.append(f"{applied['pixel_size_um']:.4g} µm/px")
    if applied.get("mode"):
        parts.append(str(applied["mode"]))
    if isinstance(applied.get("dwell_time_us"), int | float):
        parts.append(f"dwell {applied['dwell_time_us']:g} µs")
    if applied.get("bit_depth"):
        parts.append(f"{applied['bit_depth']}-bit")
    where = result.local_path or f"image {result.image_id} on the server"
    line = f"{where}: " + ", ".join(parts)
    ignored = result.metadata.get("ignored_fields")
    if ignored:
        line += f" (the device ignored: {', '.join(str(f) for f in ignored)})"
    return line


def level_summaries(result: FindRoiResult) -> list[dict[str, Any]]:
    """Per level, coarsest first: FOV, iterations, last confidence, last residual, how it ended."""
    levels: dict[str, dict[str, Any]] = {}
    for entry in result.level_history:
        level = str(entry.get("level"))
        row = levels.setdefault(
            level, {"level": level, "fov_um": entry.get("fov_um"), "iterations": 0}
        )
        row["iterations"] += 1
        row["confidence"] = entry.get("confidence")
        row["residual_um"] = entry.get("residual_um")
        # The angle is measured on a level's first image; later ones are upright already.
        row.setdefault("rotation_deg", entry.get("rotation_deg"))
        row["stop"] = entry.get("stop") or entry.get("action") or ""
    return sorted(levels.values(), key=lambda r: _LEVEL_ORDER.get(r["level"], 99))


def _num(value: object, spec: str) -> str:
    return format(value, spec) if isinstance(value, int | float) else "–"


def find_table(result: FindRoiResult, *, title: str = "find_roi") -> Table:
    """Levels, iterations, confidence and residual of a `find_roi`."""
    table = Table(title=title, title_justify="left")
    for column in ("level", "FOV µm", "iterations", "confidence", "residual µm", "angle °", "end"):
        table.add_column(column, justify="left" if column in ("level", "end") else "right")
    for row in level_summaries(result):
        table.add_row(
            row["level"],
            _num(row["fov_um"], "g"),
            str(row["iterations"]),
            _num(row.get("confidence"), ".3f"),
            _num(row.get("residual_um"), ".3f"),
            _num(row.get("rotation_deg"), ".2f"),
            str(row.get("stop", "")),
        )
    return table


def roi_list_table(records: Sequence[RoiRecord]) -> Table:
    """Saved ROI records: name, level FOVs (finest first), pose, specimen if any, and when."""
    table = Table(title=f"{len(records)} saved ROI(s)", title_justify="left")
    with_specimen = any(record.specimen_id for record in records)
    table.add_column("name", overflow="fold")
    table.add_column("levels: FOV µm")
    table.add_column("x, y mm", justify="right")
    table.add_column("r °", justify="right")
    if with_specimen:
        table.add_column("specimen", overflow="fold")
    table.add_column("saved (UTC)")
    for record in records:
        fovs = " ".join(f"{lv.level}:{lv.fov_um:g}" for lv in record.levels)
        pose = record.pose
        created = record.created_at
        cells = [
            record.name,
            fovs,
            f"{pose.x_mm:.4f}, {pose.y_mm:.4f}",
            f"{pose.r_deg:.2f}",
        ]
        if with_specimen:
            cells.append(record.specimen_id or "–")
        cells.append(created.isoformat()[:16].replace("T", " ") if created else "–")
        table.add_row(*cells)
    return table
