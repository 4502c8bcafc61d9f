"""The `semphony` command: thin over the SDK and the server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _demo(_: argparse.Namespace) -> int:
    from semphony._demo import run_demo

    return run_demo()


def _serve(args: argparse.Namespace) -> int:
    from semphony.server.serve import serve

    return serve(args)


def _build_parser() -> argparse.ArgumentParser:
    from semphony.server.serve import add_serve_arguments

    parser = argparse.ArgumentParser(prog="semphony", description="Script an SEM safely.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the control server (simulated SEM by default)")
    add_serve_arguments(serve)
    serve.set_defaults(func=_serve)
    demo = sub.add_parser("demo", help="the whole story on the embedded simulated SEM")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
