"""How the `semphony` commands reach an instrument: a server URL, or the persistent `--local` one.

`--local` starts the embedded simulated SEM on a data dir that outlives the command, so the
specimen, its placement, the stage and the saved ROIs are there again on the next call. The seed
and specimen kind the data dir was made with are remembered beside it (`cli-local.json`): a later
call that asks for others is refused rather than silently given a fresh simulator.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from semphony._client import Semphony
from semphony.session import Session

__all__ = [
    "LOCAL_SETTINGS_FILE",
    "CliInputError",
    "add_connection_arguments",
    "check_output",
    "default_local_dir",
    "local_dir",
    "open_client",
    "open_session",
    "prepare_instrument",
]

LOCAL_SETTINGS_FILE = "cli-local.json"
_DEFAULT_SEED = 0


class CliInputError(ValueError):
    """A command-line input is refused (exit status 2); the message names the option."""


def default_local_dir() -> Path:
    """``$SEMPHONY_HOME/local``, else ``$XDG_DATA_HOME/semphony/local``, else
    ``~/.local/share/semphony/local``."""
    home = os.environ.get("SEMPHONY_HOME")
    if home:
        return Path(home) / "local"
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "semphony" / "local"


_LOCAL_DIR_HELP = (
    "$SEMPHONY_HOME/local, else $XDG_DATA_HOME/semphony/local, else ~/.local/share/semphony/local"
)


def local_dir(args: argparse.Namespace) -> Path:
    """The `--local` simulator's folder: `--data-dir`, else the default one."""
    return Path(args.data_dir) if args.data_dir is not None else default_local_dir()


def check_output(
    path: Path | None, option: str, *, overwrite: bool, suffixes: tuple[str, ...] = ()
) -> Path | None:
    """`path` if a command may write it: its folder exists (never created), it is new or
    `--overwrite` was given, and its suffix is one of `suffixes` (when given)."""
    if path is None:
        return None
    if suffixes and path.suffix.lower() not in suffixes:
        raise CliInputError(
            f"{option} {str(path)!r}: the file name must end in {' or '.join(suffixes)}"
        )
    if not path.parent.is_dir():
        raise CliInputError(f"{option} {str(path)!r}: the folder {path.parent} does not exist")
    if path.exists() and not overwrite:
        raise CliInputError(
            f"{option} {str(path)!r} exists already; pass --overwrite to replace it"
        )
    return path


def add_connection_arguments(parser: argparse.ArgumentParser, *, prepare: bool = True) -> None:
    """The options every instrument command shares: where the server is, or `--local`; with
    `prepare`, also whether to pump and switch the beam on first."""
    group = parser.add_argument_group("instrument")
    group.add_argument(
        "--url", default=None, help="control server URL (default $SEMPHONY_BASE_URL)"
    )
    group.add_argument(
        "--token",
        default=None,
        help="operator token (default $SEMPHONY_TOKEN, else the file $SEMPHONY_TOKEN_FILE names)",
    )
    group.add_argument(
        "--local",
        action="store_true",
        help="use the embedded simulated SEM; its state (specimen, stage, saved ROIs and images) "
        f"persists between calls in --data-dir (default {_LOCAL_DIR_HELP}); "
        "`semphony local clean` deletes it",
    )
    group.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"--local: where the simulator keeps its state (default {_LOCAL_DIR_HELP})",
    )
    group.add_argument("--seed", type=int, default=None, help="--local: simulator seed")
    group.add_argument(
        "--specimen-kind",
        choices=["texture", "periodic", "sparse"],
        default=None,
        help="--local: which simulated specimen",
    )
    if not prepare:
        return
    group.add_argument(
        "--prepare",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pump the chamber and switch the beam on when needed (default: on with --local, "
        "off against a server)",
    )


@dataclass(frozen=True)
class _LocalSettings:
    seed: int
    specimen_kind: str | None

    def to_json(self) -> dict[str, Any]:
        return {"seed": self.seed, "specimen_kind": self.specimen_kind}


def _local_settings(data_dir: Path, seed: int | None, kind: str | None) -> _LocalSettings:
    """The seed and specimen kind for `data_dir`: as remembered there, or as given (then
    remembered); a contradiction is refused."""
    path = data_dir / LOCAL_SETTINGS_FILE
    try:
        saved: dict[str, Any] | None = json.loads(path.read_text())
    except FileNotFoundError:
        saved = None
    except (OSError, ValueError) as exc:
        raise CliInputError(f"--data-dir: cannot read {path}: {exc}") from exc
    if saved is None:
        settings = _LocalSettings(_DEFAULT_SEED if seed is None else seed, kind)
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings.to_json()) + "\n")
        return settings
    settings = _LocalSettings(int(saved.get("seed", _DEFAULT_SEED)), saved.get("specimen_kind"))
    if seed is not None and seed != settings.seed:
        raise CliInputError(
            f"--seed {seed} differs from the seed {settings.seed} the simulator in {data_dir} "
            "was made with; omit --seed or pass another --data-dir"
        )
    if kind is not None and kind != settings.specimen_kind:
        raise CliInputError(
            f"--specimen-kind {kind} differs from the specimen "
            f"({settings.specimen_kind or 'default'}) the simulator in {data_dir} was made with; "
            "omit --specimen-kind or pass another --data-dir"
        )
    return settings


def _check_mode(args: argparse.Namespace) -> None:
    if args.local and args.url is not None:
        raise CliInputError("--url and --local exclude each other: pick one instrument")
    if not args.local:
        for option, value in (
            ("--data-dir", args.data_dir),
            ("--seed", args.seed),
            ("--specimen-kind", args.specimen_kind),
        ):
            if value is not None:
                raise CliInputError(f"{option} applies only with --local")
        if args.url is None and not os.environ.get("SEMPHONY_BASE_URL"):
            raise CliInputError(
                "no instrument: pass --url URL (or set SEMPHONY_BASE_URL), or --local for the "
                "embedded simulated SEM"
            )


def open_client(args: argparse.Namespace, console: Console) -> Semphony:
    """The client the options ask for (the caller closes it, which stops a local server)."""
    _check_mode(args)
    if not args.local:
        return Semphony(base_url=args.url, token=args.token)
    data_dir = local_dir(args)
    settings = _local_settings(data_dir, args.seed, args.specimen_kind)
    kind = settings.specimen_kind or "default specimen"
    console.print(
        f"[dim]local simulated SEM (seed {settings.seed}, {kind}) with its state in {data_dir}"
        "[/dim]"
    )
    return Semphony.local(
        seed=settings.seed, specimen_kind=settings.specimen_kind, data_dir=data_dir
    )


def prepare_instrument(session: Session, console: Console) -> None:
    """Pump the chamber and switch the beam on, each only if needed, saying what it does."""
    state = session.state()
    if state.vacuum != "pumped":
        console.print(f"pumping the chamber (it is {state.vacuum})")
        session.chamber.pump(progress=True)
    if not state.beam_on:
        console.print(f"switching the beam on ({state.hv_kv:g} kV, {state.beam_current_na:g} nA)")
        session.beam.on()


@contextmanager
def open_session(
    args: argparse.Namespace, console: Console, *, run_name: str
) -> Iterator[tuple[Semphony, Session]]:
    """A client, a run named `run_name` and a session holding the lease; prepared if asked."""
    with open_client(args, console) as client:
        run = client.runs.create(name=run_name)
        with run.session().start() as session:
            asked = getattr(args, "prepare", None)
            prepare = asked if asked is not None else bool(args.local)
            if prepare:
                prepare_instrument(session, console)
            yield client, session
