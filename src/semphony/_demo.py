"""`semphony demo`: what the SDK can do, told on the embedded simulator."""

from __future__ import annotations

import importlib
import pkgutil

from rich.console import Console
from rich.table import Table


def run_demo() -> int:
    """Show a validated acquisition config and the control server's operations."""
    from semphony.models import AcquisitionConfig

    console = Console()
    config = AcquisitionConfig(fov_um=100, resolution=(1024, 1024), mode="SE", dwell_time_us=1.0)
    console.print("[bold]A validated acquisition config[/bold] (only non-None fields are sent):")
    console.print(config.to_dict())
    table = Table(title="Control-server operations (generated client)", title_justify="left")
    table.add_column("tag")
    table.add_column("operation")
    api = importlib.import_module("semphony_api.api")
    for tag in sorted(m.name for m in pkgutil.iter_modules(api.__path__)):
        pkg = importlib.import_module(f"semphony_api.api.{tag}")
        for op in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
            table.add_row(tag, op)
    console.print(table)
    return 0
