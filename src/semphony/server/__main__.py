"""`python -m semphony.server ...`: the same as `semphony serve ...`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from semphony.server.serve import add_serve_arguments, serve


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `serve` options and run the control server."""
    parser = argparse.ArgumentParser(
        prog="python -m semphony.server", description="Run the semphony control server."
    )
    add_serve_arguments(parser)
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
