"""The SharkSEM commands we speak, each declared once: argument and return types, version, effect.

A signature is a string of type letters (``i`` int, ``u`` unsigned, ``f`` float, ``s`` string,
``b`` blob, ``m`` map); the letters inside ``[...]`` at the end are optional trailing arguments (or
values a server may add to a reply). ``StgMoveTo`` is ``"f[ffff]"``: x, then y, z, rotation, tilt.
A command with no return letters is void: it is answered only when sent with the reply flag.
"""

from __future__ import annotations

from dataclasses import dataclass

from semphony.server.drivers.tescan._codec import ArgType

__all__ = [
    "COMMANDS",
    "SC_DATA",
    "Command",
    "Signature",
    "Version",
    "format_version",
    "parse_version",
]

Version = tuple[int, int, int]


def parse_version(text: str) -> Version:
    """``"3.2.9"`` → (3, 2, 9); a missing part counts as 0; anything else is a `ValueError`."""
    parts = text.strip().split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{text!r} is not a protocol version x.y.z")
    numbers = [int(p) for p in parts] + [0] * (3 - len(parts))
    return numbers[0], numbers[1], numbers[2]


def format_version(version: Version) -> str:
    return ".".join(str(n) for n in version)


@dataclass(frozen=True)
class Signature:
    """Argument types with how many of the leading ones are required."""

    types: tuple[ArgType, ...]
    required: int

    @classmethod
    def parse(cls, spec: str) -> Signature:
        head, _, tail = spec.partition("[")
        if tail and not tail.endswith("]"):
            raise ValueError(f"signature {spec!r}: optional letters go in one trailing [...]")
        letters = head + tail.rstrip("]")
        return cls(tuple(ArgType(c) for c in letters), len(head))

    def __len__(self) -> int:
        return len(self.types)

    def __str__(self) -> str:
        letters = "".join(t.value for t in self.types)
        optional = letters[self.required :]
        return letters[: self.required] + (f"[{optional}]" if optional else "")


@dataclass(frozen=True)
class Command:
    """One command: `args` and `returns` signatures, the protocol version that introduced it, and
    whether it only reads (safe to send again after a dropped connection)."""

    name: str
    args: Signature
    returns: Signature
    since: Version
    reads_only: bool

    @property
    def void(self) -> bool:
        """True when the command returns nothing (a reply comes only for the reply flag)."""
        return len(self.returns) == 0

    def available_in(self, version: Version) -> bool:
        return version >= self.since


_ANY: Version = (0, 0, 0)


def _cmd(name: str, args: str, returns: str, since: Version = _ANY) -> Command:
    reads = name.startswith(("Get", "Is", "TcpGet", "VacGet", "HVGet", "StgGet", "StgIs"))
    reads = reads or "Enum" in name
    return Command(name, Signature.parse(args), Signature.parse(returns), since, reads)


_TABLE = (
    # identity; servers up to 1.0.4 do not answer TcpGetVersion
    _cmd("TcpGetVersion", "", "s", (1, 0, 5)),
    _cmd("TcpGetSWVersion", "", "s", (2, 0, 9)),
    _cmd("TcpGetDevice", "", "s", (2, 0, 3)),
    _cmd("TcpGetModel", "", "s", (3, 2, 20)),
    _cmd("TcpRegDataPort", "u", "i"),
    # vacuum and beam
    _cmd("VacGetStatus", "", "i"),
    _cmd("VacPump", "", ""),
    _cmd("VacVent", "", ""),
    _cmd("VacGetPressure", "i", "f"),
    _cmd("HVGetBeam", "", "i"),
    _cmd("HVBeamOn", "", ""),
    _cmd("HVBeamOff", "", ""),
    _cmd("HVGetVoltage", "", "f"),
    _cmd("HVSetVoltage", "f[i]", ""),
    _cmd("GetBeamCurrent", "", "f", (2, 0, 19)),
    _cmd("SetBeamCurrent", "f", "", (2, 0, 19)),
    # stage: x, y, z mm; rotation, tilt degrees (a sixth value: a motorized second tilt)
    _cmd("StgGetPosition", "", "fffff[f]"),
    _cmd("StgMoveTo", "f[ffff]", ""),
    _cmd("StgIsBusy", "", "i"),
    _cmd("StgStop", "", ""),
    _cmd("StgIsCalibrated", "", "i"),
    _cmd("StgGetLimits", "i", "ffffffffff[ff]"),
    # optics: view field, WD and image shift in mm, rotation in degrees
    _cmd("GetViewField", "", "f"),
    _cmd("SetViewField", "f", ""),
    _cmd("GetWD", "", "f"),
    _cmd("SetWD", "f", ""),
    _cmd("GetImageShift", "", "ff"),
    _cmd("SetImageShift", "ff", ""),
    _cmd("GetImageRot", "", "f", (3, 2, 1)),
    _cmd("SetImageRot", "f", "", (3, 2, 1)),
    _cmd("AutoWD", "i[ff]", ""),
    _cmd("IsBusy", "u", "i"),
    # detectors and scanning: ScScanXY(frame id, width, height, left, top, right, bottom,
    # single[, dwell ns (2.0.6+), lines]) → 0 ok, < 0 failed
    _cmd("DtEnumDetectors", "", "m"),
    _cmd("DtSelect", "ii", ""),
    _cmd("DtEnable", "ii[i]", ""),
    _cmd("DtAutoSignal", "i", ""),
    _cmd("ScEnumSpeeds", "", "m"),
    _cmd("ScSetSpeed", "i", ""),
    _cmd("ScScanXY", "uuuuuuui[uu]", "i"),
    _cmd("ScStopScan", "", ""),
)

COMMANDS: dict[str, Command] = {c.name: c for c in _TABLE}
"""Every command by name."""

SC_DATA = Signature.parse("uiuib")
"""The body of an ``ScData`` message on the data channel: frame id, channel, index of the first
pixel, bits per pixel (8 or 16), pixel bytes (16-bit pixels little-endian)."""
