"""The CLI entry points that start a server: `semphony serve` (the only SDK module that imports
`semphony.server`, as the import-linter contracts in pyproject.toml allow).

The SharkSEM emulator's entry point (`sharksem-emulator`) belongs here too when it is wired.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_serve_parser"]


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
