"""The emulator's side channel (not SharkSEM): line-delimited JSON over TCP, and its client.

Each request is one line ``{"op": NAME, ...parameters}``; each answer one line, either
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "what was wrong"}``. Operations:

| op | parameters | result |
|---|---|---|
| ``status`` | | ports, protocol version, time scale, conventions, armed faults |
| ``remount`` | ``shift_x_um``, ``shift_y_um``, ``rotation_deg`` (each optional) | ground truth |
| ``truth`` | ``x_mm``, ``y_mm`` (optional) | ground truth (`SimDriver.truth`) |
| ``arm`` | ``fault`` and its parameters (see `_faults`) | the armed faults |
| ``clear`` | | ``[]``; a stuck stage is released |
| ``faults`` | | the armed faults |
| ``detector_response`` | ``gain``, ``offset``, ``gamma`` (optional) | gain, offset, gamma |
| ``time_scale`` | ``value`` (≥ 0) | the time scale now |
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

from semphony.server.drivers.tescan.emulator._scan import conventions

if TYPE_CHECKING:
    from semphony.server.drivers.tescan.emulator._server import Emulator

__all__ = [
    "SideChannelError",
    "SideServer",
    "arm_fault",
    "clear_faults",
    "remount",
    "set_time_scale",
    "side_call",
    "truth",
]

_log = logging.getLogger("semphony.sharksem.emulator")
_MAX_LINE = 1 << 20
Address = tuple[str, int]


class SideChannelError(Exception):
    """The side channel refused a request (the emulator's message), or could not be reached."""


def _number(params: dict[str, Any], name: str) -> float | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}={value!r} must be a number")
    return float(value)


def _only(params: dict[str, Any], *names: str) -> None:
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ValueError(f"unknown parameters: {unknown}")


class SideServer:
    """Serves the side channel on a bound listening socket."""

    def __init__(self, emulator: Emulator, listener: socket.socket) -> None:
        self._emulator = emulator
        self._listener = listener
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        thread = threading.Thread(target=self._accept, name="sharksem-side", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        for thread in list(self._threads):
            thread.join(2.0)

    def _accept(self) -> None:
        with self._listener:
            while not self._emulator.stopping.is_set():
                try:
                    conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                with self._lock:
                    self._conns.append(conn)
                thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
                thread.start()
                self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        buffer = b""
        try:
            while not self._emulator.stopping.is_set():
                try:
                    data = conn.recv(1 << 16)
                except TimeoutError:
                    continue
                if not data:
                    return
                buffer += data
                if len(buffer) > _MAX_LINE:
                    return
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        conn.sendall(json.dumps(self.answer(line)).encode() + b"\n")
        except OSError:
            return
        finally:
            with self._lock:
                if conn in self._conns:
                    self._conns.remove(conn)
            conn.close()

    def answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            if not isinstance(request, dict) or not isinstance(request.get("op"), str):
                raise ValueError('a request is a JSON object with "op"')
            params = {k: v for k, v in request.items() if k != "op"}
            return {"ok": True, "result": self._run(request["op"], params)}
        except Exception as exc:  # every refusal goes back to the caller as text
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}

    def _run(self, op: str, params: dict[str, Any]) -> Any:
        emulator = self._emulator
        inst = emulator.instrument
        sim = inst.sim
        if op == "status":
            _only(params)
            config = inst.config
            return {
                "host": emulator.host,
                "control_port": emulator.control_port,
                "data_port": emulator.data_port,
                "side_port": emulator.side_port,
                "protocol_version": config.protocol_version,
                "serial": config.serial,
                "time_scale": inst.clock.value,
                "conventions": conventions(config.mirror_y, config.scan_turn_deg),
                "faults": inst.faults.armed(),
            }
        if op == "remount":
            _only(params, "shift_x_um", "shift_y_um", "rotation_deg")
            with inst.lock:
                return sim.reload(
                    _number(params, "shift_x_um"),
                    _number(params, "shift_y_um"),
                    _number(params, "rotation_deg"),
                )
        if op == "truth":
            _only(params, "x_mm", "y_mm")
            with inst.lock:
                return sim.truth(_number(params, "x_mm"), _number(params, "y_mm"))
        if op == "arm":
            fault = params.pop("fault", None)
            if not isinstance(fault, str):
                raise ValueError('name the fault: {"op": "arm", "fault": KIND, ...}')
            return inst.faults.arm(fault, **params)
        if op == "clear":
            _only(params)
            inst.release_stage()
            return inst.faults.clear()
        if op == "faults":
            _only(params)
            return inst.faults.armed()
        if op == "detector_response":
            _only(params, "gain", "offset", "gamma")
            with inst.lock:
                gain, offset, gamma = sim.set_response(
                    _number(params, "gain"), _number(params, "offset"), _number(params, "gamma")
                )
            return {"gain": gain, "offset": offset, "gamma": gamma}
        if op == "time_scale":
            _only(params, "value")
            inst.clock.value = params.get("value")  # type: ignore[assignment]
            return inst.clock.value
        raise ValueError(
            f"op={op!r} is not one of status, remount, truth, arm, clear, faults, "
            "detector_response, time_scale"
        )


# ------------------------------------------------------------------------------------- client


def side_call(address: Address, op: str, *, timeout_s: float = 10.0, **params: Any) -> Any:
    """One request to the side channel at `address` (host, port); returns its result or raises
    `SideChannelError` with the emulator's message."""
    line = json.dumps({"op": op, **params}).encode() + b"\n"
    try:
        with socket.create_connection(address, timeout_s) as sock:
            sock.sendall(line)
            buffer = b""
            while b"\n" not in buffer:
                data = sock.recv(1 << 16)
                if not data:
                    raise SideChannelError(f"the side channel at {address} closed without answer")
                buffer += data
    except OSError as exc:
        raise SideChannelError(f"cannot reach the side channel at {address}: {exc}") from exc
    answer = json.loads(buffer.split(b"\n", 1)[0])
    if not answer.get("ok"):
        raise SideChannelError(str(answer.get("error")))
    return answer.get("result")


def _drop_none(**params: Any) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def remount(
    address: Address,
    shift_x_um: float | None = None,
    shift_y_um: float | None = None,
    rotation_deg: float | None = None,
) -> dict[str, Any]:
    """Remount the specimen (None draws a value from the seed); returns the ground truth."""
    result: dict[str, Any] = side_call(
        address,
        "remount",
        **_drop_none(shift_x_um=shift_x_um, shift_y_um=shift_y_um, rotation_deg=rotation_deg),
    )
    return result


def truth(address: Address, x_mm: float | None = None, y_mm: float | None = None) -> dict[str, Any]:
    """The simulator's ground truth (placement, true stage pose, where a point lies now)."""
    result: dict[str, Any] = side_call(address, "truth", **_drop_none(x_mm=x_mm, y_mm=y_mm))
    return result


def arm_fault(address: Address, fault: str, **params: Any) -> list[dict[str, Any]]:
    """Arm a fault (see `_faults`); returns every armed fault."""
    result: list[dict[str, Any]] = side_call(address, "arm", fault=fault, **params)
    return result


def clear_faults(address: Address) -> None:
    """Disarm every fault and release a stuck stage."""
    side_call(address, "clear")


def set_time_scale(address: Address, value: float) -> float:
    """Change the time scale for what starts from now on; returns it."""
    return float(side_call(address, "time_scale", value=value))
