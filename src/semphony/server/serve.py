"""`semphony serve`: run the control server with uvicorn until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging.config
import os
import shutil
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from pydantic import ValidationError

from semphony.server.drivers import registry
from semphony.server.drivers.errors import DriverError
from semphony.server.errors import StorageError, StoreError
from semphony.server.settings import (
    ServerSettings,
    TokenFileError,
    default_data_dir,
    provision_local_token,
)
from semphony.server.storage_faults import probe

__all__ = ["add_serve_arguments", "bind_socket", "build_settings", "serve"]

_ANNOUNCEMENT = "semphony control server listening on {url}"
_GIL_SWITCH_S = 0.001

# uvicorn logs access lines to stdout by default; stdout carries only the announcement line (the
# SDK's launcher reads it), so every log goes to stderr. Access lines carry paths, never headers,
# so tokens are not logged.
_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "semphony": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `semphony serve` options to `parser`."""
    parser.add_argument(
        "--driver",
        default="sim",
        help="device driver: "
        + "; ".join(f"{entry.name} = {entry.summary}" for entry in registry.DRIVERS),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8712, help="port to bind; 0 picks a free one")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="database, artifacts and the generated token"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="keep the store in PostgreSQL (postgresql://user:password@host:port/dbname; "
        "also $SEMPHONY_DATABASE_URL) instead of the embedded SQLite file in --data-dir",
    )
    parser.add_argument(
        "--instrument",
        default=None,
        help="the name of the instrument this server drives, recorded with everything it writes "
        "(default 'local'; required with --database-url: each server on a shared database needs "
        "its own)",
    )
    parser.add_argument(
        "--public-url",
        default=None,
        help="how other servers reach this one (recorded with the instrument, so they can fetch "
        "its ROI reference images)",
    )
    parser.add_argument(
        "--shared-artifacts",
        type=Path,
        default=None,
        help="a folder holding every instrument's data dir as FOLDER/INSTRUMENT: another "
        "instrument's images are read there instead of through its server",
    )
    parser.add_argument(
        "--peer-token",
        default=None,
        help="the token to present to another instrument's server when fetching its images "
        "(also $SEMPHONY_PEER_TOKEN)",
    )
    parser.add_argument("--token", default=None, help="operator token")
    parser.add_argument("--viewer-token", default=None, help="read-only token")
    parser.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help="file of `role name token` lines (role operator or viewer; tokens 16+ characters)",
    )
    parser.add_argument("--seed", type=int, default=0, help="simulator seed")
    specimen = parser.add_mutually_exclusive_group()
    specimen.add_argument(
        "--specimen-kind", choices=["texture", "periodic", "sparse"], default=None
    )
    specimen.add_argument("--specimen", type=Path, default=None, help="specimen image file")
    parser.add_argument(
        "--specimen-pixel-um", type=float, default=None, help="pixel size of --specimen in µm"
    )
    parser.add_argument(
        "--realtime", type=float, default=0.0, help="sleep this fraction of virtual time (demos)"
    )
    parser.add_argument(
        "--tescan-host", default="127.0.0.1", help="the Tescan SharkSEM server (--driver tescan)"
    )
    parser.add_argument(
        "--tescan-port", type=int, default=8300, help="its control port; data is port + 1"
    )
    parser.add_argument(
        "--tescan-move-timeout-s",
        type=float,
        default=120.0,
        help="how long the stage may report busy before a move is stopped and fails",
    )
    parser.add_argument(
        "--sim-mirror-y",
        action="store_true",
        help="sim driver: image rows run along stage +y (another instrument's convention)",
    )
    parser.add_argument(
        "--sim-scan-turn",
        type=int,
        choices=[0, 90, 180, 270],
        default=0,
        help="sim driver: images turned this many degrees counter-clockwise against the stage",
    )
    parser.add_argument("--tls-cert", type=Path, default=None, help="TLS certificate (PEM)")
    parser.add_argument("--tls-key", type=Path, default=None, help="TLS private key (PEM)")
    parser.add_argument(
        "--insecure", action="store_true", help="allow a non-loopback address without TLS"
    )
    parser.add_argument(
        "--watch-stdin",
        action="store_true",
        help="shut down when standard input reaches end-of-file (the launcher that holds the "
        "pipe has exited; Semphony.local() uses it)",
    )
    parser.add_argument(
        "--remove-data-dir",
        action="store_true",
        help="delete --data-dir when the server exits (a temporary folder made for it)",
    )


def build_settings(args: argparse.Namespace) -> ServerSettings:
    """Validated settings from parsed `serve` arguments; raises on a refused combination."""
    instrument: dict[str, Any] = {}
    if getattr(args, "instrument", None) is not None:
        instrument["instrument"] = args.instrument
    peer_token = getattr(args, "peer_token", None) or os.environ.get("SEMPHONY_PEER_TOKEN")
    return ServerSettings.from_options(
        **instrument,
        public_url=getattr(args, "public_url", None),
        shared_artifacts=getattr(args, "shared_artifacts", None),
        peer_token=peer_token or None,
        token=args.token,
        viewer_token=args.viewer_token,
        token_file=args.token_file,
        driver=args.driver,
        host=args.host,
        port=args.port,
        data_dir=args.data_dir if args.data_dir is not None else default_data_dir(),
        database_url=_database_url(args),
        seed=args.seed,
        specimen_kind=args.specimen_kind,
        specimen_path=args.specimen,
        specimen_pixel_um=args.specimen_pixel_um,
        realtime=args.realtime,
        tescan_host=args.tescan_host,
        tescan_port=args.tescan_port,
        tescan_move_timeout_s=args.tescan_move_timeout_s,
        sim_mirror_y=args.sim_mirror_y,
        sim_scan_turn_deg=args.sim_scan_turn,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        insecure=args.insecure,
    )


def _database_url(args: argparse.Namespace) -> str | None:
    # The environment keeps a password off the command line (and out of `ps`).
    url = getattr(args, "database_url", None) or os.environ.get("SEMPHONY_DATABASE_URL")
    return url or None


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket bound to `host`:`port` (0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only then, and
    # without it every keep-alive answer waits out a delayed ACK (~40 ms a request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints its URL once it accepts connections (the only line on stdout,
    which the SDK's launcher reads), then how to use it (on stderr, for the person)."""

    def __init__(self, config: uvicorn.Config, announcement: str, usage: str) -> None:
        super().__init__(config)
        self._announcement = announcement
        self._usage = usage

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(self._announcement, flush=True)
            print(self._usage, file=sys.stderr, flush=True)


def _swallow_signal(signum: int, frame: FrameType | None) -> None:
    # uvicorn re-raises the signal that stopped it once it has shut down; with this handler in
    # place that re-raise is a no-op and the process exits 0 after a clean shutdown.
    del signum, frame


def serve(args: argparse.Namespace) -> int:
    """Run the server described by `args` until it is stopped; the process exit code."""
    from semphony.server.app import create_app, open_store
    from semphony.server.timeouts import read_timeout_protocol

    # Refuse an unknown or unavailable driver before anything is written to the data dir.
    try:
        registry.check(args.driver)
    except registry.UnknownDriverError as exc:
        print(f"semphony serve: --driver {args.driver}: {exc}", file=sys.stderr)
        return 2
    if _database_url(args) is not None and getattr(args, "instrument", None) is None:
        print(
            "semphony serve: --instrument NAME is required with --database-url (each server on a "
            "shared database needs a name of its own, e.g. --instrument sem1)",
            file=sys.stderr,
        )
        return 2
    try:
        settings = build_settings(args)
    except (TokenFileError, ValidationError, ValueError) as exc:
        print(f"semphony serve: {_describe(exc)}", file=sys.stderr)
        return 2
    try:
        probe(settings.data_dir)
    except StorageError as exc:
        print(f"semphony serve: data dir {settings.data_dir}: {exc}", file=sys.stderr)
        return 1
    try:
        # Open (and migrate) the store once before anything listens: an unreachable database or
        # one written by a newer server is one line and exit 1, not a traceback at start-up; so
        # is an instrument name another live server holds.
        with open_store(settings) as store:
            store.instruments.check_free(settings.instrument)
    except StoreError as exc:
        print(f"semphony serve: database: {exc}", file=sys.stderr)
        return 1
    driver = registry.create(settings.driver, settings)
    try:
        driver.open()
    except DriverError as exc:
        print(f"semphony serve: {exc}", file=sys.stderr)
        return 1
    try:
        settings = provision_local_token(settings)
    except (TokenFileError, ValueError) as exc:
        driver.close()
        print(f"semphony serve: {_describe(exc)}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(settings.host, settings.port)
    except OSError as exc:
        driver.close()
        print(
            f"semphony serve: cannot bind {settings.host}:{settings.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    port = int(sock.getsockname()[1])
    logging.config.dictConfig(_LOG_CONFIG)
    config = uvicorn.Config(
        create_app(settings, driver),
        log_config=_LOG_CONFIG,
        access_log=True,
        lifespan="on",
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        timeout_graceful_shutdown=5,
        server_header=False,
        http=read_timeout_protocol(
            header_timeout_s=settings.header_timeout_s, body_timeout_s=settings.body_timeout_s
        ),
    )
    url = settings.url(port)
    # A safety call hops between the event loop and a worker thread several times; with the
    # default 5 ms GIL switch interval each hop can wait behind busy reader threads (measured in
    # the control benchmark: loaded p99 about 3x idle at 5 ms, about 1.1x at 1 ms).
    sys.setswitchinterval(_GIL_SWITCH_S)
    server = _AnnouncingServer(config, _ANNOUNCEMENT.format(url=url), _usage(args, settings, url))
    if getattr(args, "watch_stdin", False):
        from semphony.server._parent_watch import watch_parent

        watch_parent(lambda: setattr(server, "should_exit", True))
    previous = signal.signal(signal.SIGTERM, _swallow_signal)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
        if getattr(args, "remove_data_dir", False):
            shutil.rmtree(settings.data_dir, ignore_errors=True)
    return 0 if server.started else 1


def _usage(args: argparse.Namespace, settings: ServerSettings, url: str) -> str:
    """What `serve` tells the person once it listens: where the operator token is and the lines
    that make the SDK and the CLI use this server."""
    lines: list[str] = []
    setting = "set" if os.name == "nt" else "export"
    token_file = args.token_file if args.token_file is not None else None
    if token_file is None and args.token is None:
        token_file = settings.local_token_path
    if token_file is not None:
        path = Path(token_file).resolve()
        lines.append(f"operator token in {path} (lines of `role name token`)")
        lines.append("to use this server from the SDK or the CLI, run:")
        lines.append(f"  {setting} SEMPHONY_BASE_URL={url}")
        lines.append(f"  {setting} SEMPHONY_TOKEN_FILE={path}")
    else:
        lines.append("operator token: the one given with --token (not printed)")
        lines.append("to use this server from the SDK or the CLI, run:")
        lines.append(f"  {setting} SEMPHONY_BASE_URL={url}")
        lines.append(f"  {setting} SEMPHONY_TOKEN=<the --token value>")
    return "\n".join(lines)


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
    return str(exc)
