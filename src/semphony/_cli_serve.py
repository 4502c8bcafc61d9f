"""The CLI entry points that start a server or work on its store: `semphony serve`, `semphony
sharksem-emulator` and `semphony db copy` (the only SDK module that imports `semphony.server`, as
the import-linter contracts in pyproject.toml allow).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_db_parser", "add_emulator_parser", "add_serve_parser", "run_emulator"]


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


def _db_copy(args: argparse.Namespace, console: Any) -> int:
    from rich.console import Console
    from rich.markup import escape

    from semphony.server.errors import StoreError
    from semphony.server.store._copy import copy_store

    try:
        report = copy_store(args.source, args.target, instrument=args.instrument)
    except StoreError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        Console(stderr=True, soft_wrap=True).print(
            f"[red]semphony db copy: error:[/red] {escape(message)}"
        )
        return 1
    console.print(
        f"copied {escape(report.source)} into {escape(report.target)} "
        f"(schema version {report.schema_version}, one transaction):"
    )
    width = max(len(table) for table, _ in report.counts)
    for table, count in report.counts:
        console.print(f"  {table:<{width}}  {count:>8}")
    data_dir = escape(str(Path(report.source).parent))
    name = escape(report.instruments[0] if len(report.instruments) == 1 else args.instrument)
    if len(report.instruments) > 1:
        console.print(f"the rows name the instruments {escape(', '.join(report.instruments))}")
    console.print(
        f"the image files (artifacts) stay in {data_dir} (they are not copied): serve this "
        f"instrument with --data-dir {data_dir} --database-url URL --instrument {name}"
    )
    return 0


def add_db_parser(sub: Any) -> None:
    """`semphony db copy --from SQLITE --to postgresql://...`."""
    db = sub.add_parser("db", help="work on a control server's store")
    db_sub = db.add_subparsers(dest="subcommand", required=True)
    text = (
        "Copy an embedded SQLite store (a data dir, its semphony.db, or sqlite:///PATH) into an "
        "empty PostgreSQL database, in one transaction: both are migrated to this version's schema "
        "first, every table's rows are copied as they are and counted. A target that already "
        "holds rows is refused. The image files stay in the data dir. Stop the server first."
    )
    copy = db_sub.add_parser("copy", help="copy a SQLite store into PostgreSQL", description=text)
    copy.add_argument(
        "--from", dest="source", required=True, help="data dir, semphony.db or sqlite:///PATH"
    )
    copy.add_argument(
        "--to", dest="target", required=True, help="postgresql://user:password@host:port/dbname"
    )
    copy.add_argument(
        "--instrument",
        default="local",
        help="the instrument the store's rows belong to, if it predates instrument names "
        "(default 'local', as `semphony serve` gives them)",
    )
    copy.set_defaults(func=_db_copy)
