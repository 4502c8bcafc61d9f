"""Build a `TescanDriver` from the server's settings (the registry's factory for ``--driver
tescan``): ``tescan_host``, ``tescan_port`` (8300) and, when present, ``tescan_timeout_s`` and
``tescan_move_timeout_s``."""

from __future__ import annotations

from typing import Any

from semphony.server.drivers.tescan._connection import DEFAULT_PORT
from semphony.server.drivers.tescan._driver import TescanDriver

__all__ = ["from_settings"]


def from_settings(settings: Any) -> TescanDriver:
    """A not yet opened driver for the instrument the settings name."""
    return TescanDriver(
        str(getattr(settings, "tescan_host", "127.0.0.1")),
        int(getattr(settings, "tescan_port", DEFAULT_PORT)),
        timeout_s=float(getattr(settings, "tescan_timeout_s", 5.0)),
        move_timeout_s=float(getattr(settings, "tescan_move_timeout_s", 120.0)),
    )
