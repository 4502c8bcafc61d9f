"""The emulator's command line: ``semphony sharksem-emulator --port P ...`` (see `main`)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from semphony.server.drivers.sim import SPECIMEN_KINDS
from semphony.server.drivers.tescan._commands import parse_version
from semphony.server.drivers.tescan.emulator._faults import FAULT_KINDS
from semphony.server.drivers.tescan.emulator._instrument import EmulatorConfig
from semphony.server.drivers.tescan.emulator._server import Emulator

__all__ = ["build_parser", "main"]


def _version(text: str) -> str:
    try:
        parse_version(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number >= 0 (0: no waiting)")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65533:
        raise argparse.ArgumentTypeError(f"{text!r} must be a port in 0..65533 (0: pick free ones)")
    return int(text)


def build_parser(prog: str = "semphony sharksem-emulator") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A SharkSEM server over the simulated SEM: control on PORT, data on PORT+1, "
        "the emulator's own JSON side channel on PORT+2 (or --side-port). The first line of "
        "output names the ports.",
    )
    parser.add_argument("--port", type=_port, default=8300, help="control port; 0 picks free ones")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--side-port", type=_port, default=None, help="side channel port")
    parser.add_argument("--seed", type=int, default=0, help="the specimen and every random stream")
    parser.add_argument("--specimen-kind", choices=SPECIMEN_KINDS, default="texture")
    parser.add_argument(
        "--time-scale",
        type=_scale,
        default=1.0,
        help="real seconds per instrument second: 1 real time, 0 no waiting (same order of states)",
    )
    parser.add_argument(
        "--protocol-version",
        type=_version,
        default="3.2.20",
        help="the SharkSEM version to be; older ones say nothing to newer commands "
        "(3.1.0: no GetImageRot/SetImageRot)",
    )
    parser.add_argument("--serial", default="EMU-0001", help="what TcpGetDevice answers")
    parser.add_argument(
        "--mirror-y", action="store_true", help="image rows run along stage +y instead of -y"
    )
    parser.add_argument(
        "--scan-turn",
        type=int,
        choices=(0, 90, 180, 270),
        default=0,
        help="the image turned counter-clockwise by this much relative to the stage",
    )
    parser.add_argument(
        "--fault",
        action="append",
        choices=FAULT_KINDS,
        default=[],
        help="arm a fault with its default parameters at start (repeatable)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every silence to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until interrupted; 0 on a clean stop, 1 when a port cannot be bound."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    config = EmulatorConfig(
        seed=args.seed,
        specimen_kind=args.specimen_kind,
        time_scale=args.time_scale,
        protocol_version=args.protocol_version,
        serial=args.serial,
        mirror_y=args.mirror_y,
        scan_turn_deg=args.scan_turn,
    )
    emulator = Emulator(config, host=args.host, port=args.port, side_port=args.side_port)
    for fault in args.fault:
        emulator.instrument.faults.arm(fault)
    try:
        emulator.start()
    except OSError as exc:
        print(
            f"sharksem-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    done = threading.Event()
    # Before the announcement: whoever reads the first line may stop us at once.
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGINT", "SIGTERM", "SIGBREAK"):  # SIGBREAK: Ctrl+Break on Windows
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), lambda *_: done.set())
    print(emulator.banner(), flush=True)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0
