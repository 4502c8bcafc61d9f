"""The CLI entry points that start a server: `semphony serve` and `semphony sharksem-emulator`
(the only SDK module that imports `semphony.server`, as the import-linter contracts in
pyproject.toml allow).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_emulator_parser", "add_serve_parser", "run_emulator"]


def _serve(args: argparse.Namespace, console: Any) -> int:
    from semphony.server.serve import serve

    return serve(args)


def add_serve_parser(sub: Any) -> None:
    """`semphony serve [--driver sim] [--port 8712] ...`."""
    from semphony.server.serve import add_serve_arguments

    parser = sub.add_parser(
        "serve",
        help="run the control server (simulated SEM by default)",
        description="Run the control server. It prints the URL it serves, where the operator "
        "token is, and the lines that make the SDK and the CLI use it.",
    )
    add_serve_arguments(parser)
    parser.set_defaults(func=_serve)


def run_emulator(argv: list[str]) -> int:
    """`semphony sharksem-emulator ARGS`: the emulator's own entry point."""
    from semphony.server.drivers.tescan.emulator import cli

    return cli.main(argv)


def _emulate(args: argparse.Namespace, console: Any) -> int:
    return run_emulator(list(args.emulator_args))


def add_emulator_parser(sub: Any) -> None:
    """`semphony sharksem-emulator --port P ...`: the simulated SEM on Tescan's wire protocol."""
    parser = sub.add_parser(
        "sharksem-emulator",
        help="serve the simulated SEM over Tescan's SharkSEM protocol (for the tescan driver)",
        description="Serve the simulated SEM on SharkSEM's control port P and data port P + 1 "
        "(and a side channel on P + 2); `semphony sharksem-emulator --help` lists its options.",
        add_help=False,
    )
    parser.add_argument("emulator_args", nargs=argparse.REMAINDER)
    parser.set_defaults(func=_emulate)
