"""The `semphony` command: thin over the SDK and the server.

```
semphony serve                      run the control server (simulated SEM by default)
semphony demo [--out DIR]           save an ROI, reload the specimen, find the ROI again
semphony state                      the instrument's state
semphony beam on|off                switch the beam
semphony stop                       stop the scan and the stage now (the beam stays)
semphony chamber pump|vent          pump or vent the chamber
semphony autofocus --fov-um 50      find and set the WD of the surface under the beam
semphony auto-signal                set contrast and brightness so the image fills the range
semphony calibrate [--fov-um 100]   measure how image x/y map to stage x/y; find_roi uses it
semphony acquire --fov-um 100 --resolution 1024x1024 -o out.tiff  [--local | --url URL]
semphony roi save NAME [--roi-fov-um 50 --l2-fov-um 150 --l1-fov-um 300 --l0-fov-um 1500]
semphony roi find NAME [--report report.png] [--start saved|current] [--tolerance-um X]
semphony roi list
semphony sim reload [--shift-x-um X --shift-y-um Y --rotation-deg R --height-um H]
semphony local clean                delete the --local simulator's folder
semphony db copy --from DATA_DIR --to postgresql://...   a SQLite store into PostgreSQL
```

Exit status: 0 done, 1 the instrument or a guardrail refused or failed (or the ROI was not
found), 2 bad input. Errors print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.markup import escape

from semphony import __version__
from semphony._cli_commands import add_acquire_parser, add_roi_parser
from semphony._cli_instrument import add_instrument_parsers
from semphony._cli_render import EXIT_USAGE, describe_error
from semphony._cli_serve import (
    add_db_parser,
    add_emulator_parser,
    add_serve_parser,
    run_emulator,
)

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the command and the option."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _demo(args: argparse.Namespace, console: Console) -> int:
    from semphony._demo import run_demo

    return run_demo(out=args.out, seed=args.seed, resolution_px=args.resolution_px)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="semphony", description="Script an SEM safely.")
    parser.add_argument("--version", action="version", version=f"semphony {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    add_serve_parser(sub)
    add_emulator_parser(sub)
    demo = sub.add_parser(
        "demo",
        help="the whole story on the embedded simulated SEM",
        description="Save an ROI pyramid, remount the specimen shifted and rotated, find the ROI "
        "again, and write the images and the report into --out.",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("demo-output"), help="folder (default ./demo-output)"
    )
    demo.add_argument("--seed", type=int, default=None, help="seed (default: a random one)")
    demo.add_argument(
        "--resolution-px", type=int, default=256, help="side of every image (default 256)"
    )
    demo.set_defaults(func=_demo)
    add_instrument_parsers(sub)
    add_acquire_parser(sub)
    add_roi_parser(sub)
    add_db_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["sharksem-emulator"]:
        # The emulator parses its own options (they are the server's business, not the SDK's).
        return run_emulator(given[1:])
    try:
        args = _build_parser().parse_args(given)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    console = Console(soft_wrap=True)
    try:
        code: int = args.func(args, console)
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted")
        return 130
    except Exception as exc:
        described = describe_error(exc)
        if described is None:
            raise
        status, message = described
        command = " ".join(p for p in (args.command, getattr(args, "subcommand", None)) if p)
        Console(stderr=True, soft_wrap=True).print(
            f"[red]semphony {command}: error:[/red] {escape(message)}"
        )
        return status
    return code


if __name__ == "__main__":
    sys.exit(main())
