"""What every service shares: the settings, store, artifacts, driver, lease, runner and audit."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from importlib import metadata

from semphony.server.artifacts import ArtifactStore
from semphony.server.drivers.base import Driver, Persistent
from semphony.server.leases import LeaseManager
from semphony.server.operations import OperationRunner
from semphony.server.services.audit import Auditor
from semphony.server.settings import ServerSettings
from semphony.server.store import Store
from semphony.server.watch import OperationWatch

__all__ = ["API_VERSION", "ServiceContext", "server_version"]

_log = logging.getLogger("semphony.server")

API_VERSION = "2.0"


def server_version() -> str:
    """The installed semphony's version."""
    try:
        return metadata.version("semphony")
    except metadata.PackageNotFoundError:
        return "0.0.0"


@dataclass
class ServiceContext:
    """The resources the per-resource services work on (built once by the app)."""

    settings: ServerSettings
    store: Store
    artifacts: ArtifactStore
    driver: Driver
    leases: LeaseManager
    runner: OperationRunner
    watch: OperationWatch
    auditor: Auditor
    _persist_lock: threading.Lock = field(default_factory=threading.Lock)

    def persist(self) -> None:
        """Save a `Persistent` driver's snapshot after a state change (so a SIGKILLed server
        comes back with the same specimen, placement and stage); hardware keeps its own."""
        driver = self.driver
        if not isinstance(driver, Persistent):
            return
        with self._persist_lock:
            try:
                self.store.snapshots.save(driver.snapshot())
            except Exception as exc:
                _log.error("cannot save the driver snapshot", exc_info=exc)
