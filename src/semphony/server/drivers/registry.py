"""Which drivers this server knows, found lazily: nothing is imported until a driver is chosen.

Each entry names a module and a factory ``factory(settings) -> Driver``. `check(name)` says whether
a driver exists and can be imported here (its module and its dependencies present), so `semphony
serve --driver X` refuses an unknown or unavailable one before it writes anything.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from semphony.server.drivers.base import Driver

__all__ = ["DRIVERS", "DriverEntry", "UnknownDriverError", "check", "create", "names"]


class UnknownDriverError(ValueError):
    """No such driver, or it cannot be loaded here; the message says which, and what exists."""


@dataclass(frozen=True)
class DriverEntry:
    """A driver: its name, what it drives, and where its factory lives (``module:function``)."""

    name: str
    summary: str
    factory: str


DRIVERS: tuple[DriverEntry, ...] = (
    DriverEntry(
        "sim", "the simulated SEM (in-process)", "semphony.server.drivers.sim:from_settings"
    ),
    DriverEntry(
        "tescan",
        "a Tescan microscope over SharkSEM (--tescan-host, --tescan-port)",
        "semphony.server.drivers.tescan:from_settings",
    ),
)


def names() -> tuple[str, ...]:
    """Every registered driver's name."""
    return tuple(entry.name for entry in DRIVERS)


def _entry(name: str) -> DriverEntry:
    for entry in DRIVERS:
        if entry.name == name:
            return entry
    raise UnknownDriverError(f"unknown driver {name!r}; the drivers are: {', '.join(names())}")


def _factory(name: str) -> Callable[[Any], Driver]:
    entry = _entry(name)
    module_name, _, attribute = entry.factory.partition(":")
    try:
        module = importlib.import_module(module_name)
        factory = getattr(module, attribute)
    except (ImportError, AttributeError) as exc:
        raise UnknownDriverError(f"driver {name!r} is not available here: {exc}") from exc
    if not callable(factory):
        raise UnknownDriverError(f"driver {name!r} is not available here: {entry.factory}")
    return factory  # type: ignore[no-any-return]


def check(name: str) -> None:
    """Raise `UnknownDriverError` unless driver `name` exists and can be loaded."""
    _factory(name)


def create(name: str, settings: Any) -> Driver:
    """A new, not yet opened driver `name` configured from the server `settings`."""
    return _factory(name)(settings)
