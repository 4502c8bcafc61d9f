"""Run the benchmarks, print one table each, and write benchmarks/results/<name>.json.

A benchmark module exposes ``run(quick: bool) -> dict`` returning
``{"name": str, "columns": [str, ...], "rows": [[...], ...], "notes": str}`` and optionally
``"tables": [{"title": str, "columns": [...], "rows": [[...]]}]`` printed after the main one.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

# Order matters only for reading the output: cheap first.
BENCHMARKS = (
    "render",
    "registration",
    "sdk",
    "control",
    "fleet",
    "tescan",
    "autofocus",
    "relocation",
)
RESULTS = Path(__file__).resolve().parent / "results"


def _available(name: str) -> bool:
    return (Path(__file__).resolve().parent / f"{name}.py").exists()


def _show(console: Console, result: dict[str, Any]) -> None:
    # A benchmark may add tables of its own (``"tables": [{title, columns, rows}]``).
    for part in [{"title": result["name"], **result}, *result.get("tables", ())]:
        table = Table(title=str(part["title"]), title_justify="left")
        for column in part["columns"]:
            table.add_column(str(column))
        for row in part["rows"]:
            table.add_row(*(_cell(v) for v in row))
        console.print(table)
    if result.get("notes"):
        console.print(str(result["notes"]), style="dim")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small subset of each benchmark")
    parser.add_argument("names", nargs="*", help=f"which to run (default: all of {BENCHMARKS})")
    args = parser.parse_args(argv)
    names = args.names or [n for n in BENCHMARKS if _available(n)]
    # Wide enough that the tables stay readable when the output goes to a file or a CI log.
    console = Console(width=180) if not sys.stdout.isatty() else Console()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        started = time.perf_counter()
        result: dict[str, Any] = module.run(quick=args.quick)
        result["wall_s"] = round(time.perf_counter() - started, 3)
        result["quick"] = args.quick
        result["command"] = "make bench-quick" if args.quick else "make bench"
        result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        result["machine"] = {"python": sys.version.split()[0], "platform": platform.platform()}
        _show(console, result)
        path = RESULTS / f"{name}.json"
        path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        console.print(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
