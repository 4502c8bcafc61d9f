"""From a SharkSEM message to the instrument and back, answering only where the protocol does.

A message gets no answer at all when its command is unknown or newer than the emulated protocol
version, when its arguments do not decode against the command table, or when a value is one the
command cannot take (a gauge or channel that does not exist). Otherwise wait flags hold it until
the named subsystems are idle, it runs, and it is answered when it returns something or carried
the reply flag.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from semphony.server.drivers.tescan._codec import Message, Value, decode_args, encode_args
from semphony.server.drivers.tescan._codec import encode_message as _frame
from semphony.server.drivers.tescan._commands import COMMANDS, format_version
from semphony.server.drivers.tescan._errors import ProtocolError
from semphony.server.drivers.tescan.emulator._autos import auto_signal, auto_wd
from semphony.server.drivers.tescan.emulator._instrument import Instrument

__all__ = ["HANDLERS", "Peer", "dispatch"]

_log = logging.getLogger("semphony.sharksem.emulator")
Result = tuple[Value, ...] | None  # None: say nothing


class Peer(Protocol):
    """The connected client a command came from (what the server's client object offers)."""

    instrument: Instrument
    stop: threading.Event

    def register_data_port(self, port: int) -> None: ...

    def start_scan(self, args: tuple[int, ...]) -> int: ...

    def stop_scan(self) -> None: ...


Handler = Callable[[Peer, tuple[Value, ...]], Result]


def _int(value: Value) -> int:
    assert isinstance(value, int)
    return value


def _float(value: Value) -> float:
    assert isinstance(value, float)
    return value


def _void(action: Callable[[], object]) -> Result:
    action()
    return ()


def _checked(ok: bool) -> Result:
    return () if ok else None


def _version(p: Peer, a: tuple[Value, ...]) -> Result:
    return (format_version(p.instrument.version),)


def _sw_version(p: Peer, a: tuple[Value, ...]) -> Result:
    return (f"semphony SharkSEM emulator (protocol {format_version(p.instrument.version)})",)


def _register(p: Peer, a: tuple[Value, ...]) -> Result:
    p.register_data_port(_int(a[0]))
    return (0,)


def _pressure(p: Peer, a: tuple[Value, ...]) -> Result:
    value = p.instrument.pressure_pa(_int(a[0]))
    return None if value is None else (value,)


def _set_voltage(p: Peer, a: tuple[Value, ...]) -> Result:
    phase = p.instrument.set_voltage(_float(a[0]))
    if len(a) < 2 or _int(a[1]) == 0:
        p.instrument.wait_phase(phase, p.stop)  # synchronous by default
    return ()


def _limits(p: Peer, a: tuple[Value, ...]) -> Result:
    return p.instrument.stage_limits(_int(a[0]))


def _scan(p: Peer, a: tuple[Value, ...]) -> Result:
    return (p.start_scan(tuple(_int(v) for v in a)),)


def _auto_wd(p: Peer, a: tuple[Value, ...]) -> Result:
    lo = _float(a[1]) if len(a) > 1 else None
    hi = _float(a[2]) if len(a) > 2 else None
    return _checked(auto_wd(p.instrument, _int(a[0]), lo, hi))


def _enable(p: Peer, a: tuple[Value, ...]) -> Result:
    bpp = _int(a[2]) if len(a) > 2 else 8
    return _checked(p.instrument.enable(_int(a[0]), _int(a[1]), bpp))


def _i(n: int) -> Value:
    return int(n)


HANDLERS: dict[str, Handler] = {
    "TcpGetVersion": _version,
    "TcpGetSWVersion": _sw_version,
    "TcpGetDevice": lambda p, a: (p.instrument.config.serial,),
    "TcpGetModel": lambda p, a: (p.instrument.info.model + " (SharkSEM emulator)",),
    "TcpRegDataPort": _register,
    "VacGetStatus": lambda p, a: (p.instrument.vacuum_status(),),
    "VacPump": lambda p, a: _void(p.instrument.pump),
    "VacVent": lambda p, a: _void(p.instrument.vent),
    "VacGetPressure": _pressure,
    "HVGetBeam": lambda p, a: (p.instrument.beam_status(),),
    "HVBeamOn": lambda p, a: _void(p.instrument.beam_on),
    "HVBeamOff": lambda p, a: _void(p.instrument.beam_off),
    "HVGetVoltage": lambda p, a: (p.instrument.voltage_v(),),
    "HVSetVoltage": _set_voltage,
    "GetBeamCurrent": lambda p, a: (p.instrument.beam_current_pa(),),
    "SetBeamCurrent": lambda p, a: _void(lambda: p.instrument.set_beam_current(_float(a[0]))),
    "StgGetPosition": lambda p, a: p.instrument.position(),
    "StgMoveTo": lambda p, a: _void(lambda: p.instrument.move_to(tuple(map(_float, a)))),
    "StgIsBusy": lambda p, a: (_i(p.instrument.stage_busy()),),
    "StgStop": lambda p, a: _void(p.instrument.stage_stop),
    "StgIsCalibrated": lambda p, a: (_i(p.instrument.calibrated()),),
    "StgGetLimits": _limits,
    "GetViewField": lambda p, a: (p.instrument.view_field_mm,),
    "SetViewField": lambda p, a: _void(lambda: p.instrument.set_view_field(_float(a[0]))),
    "GetWD": lambda p, a: (p.instrument.wd_mm(),),
    "SetWD": lambda p, a: _void(lambda: p.instrument.set_wd(_float(a[0]))),
    "GetImageShift": lambda p, a: p.instrument.image_shift_mm(),
    "SetImageShift": lambda p, a: _void(
        lambda: p.instrument.set_image_shift(_float(a[0]), _float(a[1]))
    ),
    "GetImageRot": lambda p, a: (p.instrument.image_rot_deg(),),
    "SetImageRot": lambda p, a: _void(lambda: p.instrument.set_image_rot(_float(a[0]))),
    "AutoWD": _auto_wd,
    "IsBusy": lambda p, a: (_i(p.instrument.busy(_int(a[0]))),),
    "DtEnumDetectors": lambda p, a: (p.instrument.detectors_map(),),
    "DtSelect": lambda p, a: _checked(p.instrument.select(_int(a[0]), _int(a[1]))),
    "DtEnable": _enable,
    "DtAutoSignal": lambda p, a: _checked(auto_signal(p.instrument, _int(a[0]))),
    "ScEnumSpeeds": lambda p, a: (p.instrument.speeds_map(),),
    "ScSetSpeed": lambda p, a: _void(lambda: p.instrument.set_speed(_int(a[0]))),
    "ScScanXY": _scan,
    "ScStopScan": lambda p, a: _void(p.stop_scan),
}


def dispatch(peer: Peer, message: Message) -> bytes | None:
    """Run one message; the reply to send, or None for silence."""
    header = message.header
    name = header.name
    command = COMMANDS.get(name)
    handler = HANDLERS.get(name)
    if command is None or handler is None or not command.available_in(peer.instrument.version):
        _log.info("no answer to %s: not a command of protocol %s", name, peer.instrument.version)
        return None
    try:
        args = decode_args(
            command.args.types, message.body, required=command.args.required, command=name
        )
    except ProtocolError as exc:
        _log.info("no answer to %s: bad arguments (%s)", name, exc.message)
        return None
    if header.wait_mask:
        peer.instrument.wait_idle(header.wait_mask, peer.stop)
    try:
        result = handler(peer, args)
    except Exception:  # a real server says nothing either; the log says why
        _log.exception("no answer to %s: it failed in the emulator", name)
        return None
    if result is None:
        _log.info("no answer to %s%r: a value it cannot take", name, args)
        return None
    if command.void and not header.wants_reply:
        return None
    body = b"" if command.void else encode_args(command.returns.types, result)
    return _frame(name, body, request_id=header.request_id, queue_id=header.queue_id)
