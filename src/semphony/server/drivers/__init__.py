"""Device drivers: the value types, the error tree, the `Driver` template base and the registry.

Concrete drivers live in subpackages (`sim`, `tescan`) and are imported only when chosen
(`registry.create`).
"""

from semphony.server.drivers.base import Driver, Persistent
from semphony.server.drivers.errors import (
    Cancelled,
    DeviceFault,
    DeviceMismatchError,
    DriverError,
    DriverUnavailableError,
    InterlockError,
    RangeError,
    UnsupportedError,
)
from semphony.server.drivers.types import (
    CancelToken,
    DetectorInfo,
    DetectorSettings,
    DetectorState,
    DeviceInfo,
    DriverHealth,
    Frame,
    InstrumentStateSnapshot,
    Limits,
    OpticsSettings,
    Progress,
    ScanData,
    ScanPlan,
    ScanRequest,
    StagePlan,
    StagePose,
    StageTarget,
    VacuumPlan,
)

__all__ = [
    "CancelToken",
    "Cancelled",
    "DetectorInfo",
    "DetectorSettings",
    "DetectorState",
    "DeviceFault",
    "DeviceInfo",
    "DeviceMismatchError",
    "Driver",
    "DriverError",
    "DriverHealth",
    "DriverUnavailableError",
    "Frame",
    "InstrumentStateSnapshot",
    "InterlockError",
    "Limits",
    "OpticsSettings",
    "Persistent",
    "Progress",
    "RangeError",
    "ScanData",
    "ScanPlan",
    "ScanRequest",
    "StagePlan",
    "StagePose",
    "StageTarget",
    "UnsupportedError",
    "VacuumPlan",
]
