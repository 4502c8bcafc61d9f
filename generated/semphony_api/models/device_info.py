from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.axis_calibration import AxisCalibration
    from ..models.conventions import Conventions
    from ..models.detector import Detector
    from ..models.device_limits import DeviceLimits
    from ..models.scan_speed import ScanSpeed


T = TypeVar("T", bound="DeviceInfo")


@_attrs_define
class DeviceInfo:
    driver: str
    """ `sim` or `tescan` (open set) """
    model: str
    serial: str
    api_version: str
    server_version: str
    capabilities: list[str]
    """ what the device can do, e.g. `stage.rotation`, `stage.tilt`, `scan_rotation`, `beam_shift`, `detector.se`,
    `detector.bse`, `bit_depth.16`, `simulator` (open set)
     """
    acquisition_fields: list[str]
    """ the AcquisitionConfig fields the device honours; any other given field is ignored and named in the result's
    `metadata.ignored_fields`
     """
    detectors: list[Detector]
    limits: DeviceLimits
    scan_speeds: list[ScanSpeed]
    """ the scan-speed table, by index """
    stage_repeatability_um: float
    """ the stage's positioning repeatability (one sigma) """
    conventions: Conventions
    """ how image axes, rotations and beam shift relate to the stage """
    calibration: AxisCalibration | None | Unset = UNSET
    """ the stored axis calibration (`GET /v1/calibration`), null until measured """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.axis_calibration import AxisCalibration

        driver = self.driver

        model = self.model

        serial = self.serial

        api_version = self.api_version

        server_version = self.server_version

        capabilities = self.capabilities

        acquisition_fields = self.acquisition_fields

        detectors = []
        for detectors_item_data in self.detectors:
            detectors_item = detectors_item_data.to_dict()
            detectors.append(detectors_item)

        limits = self.limits.to_dict()

        scan_speeds = []
        for scan_speeds_item_data in self.scan_speeds:
            scan_speeds_item = scan_speeds_item_data.to_dict()
            scan_speeds.append(scan_speeds_item)

        stage_repeatability_um = self.stage_repeatability_um

        conventions = self.conventions.to_dict()

        calibration: dict[str, Any] | None | Unset
        if isinstance(self.calibration, Unset):
            calibration = UNSET
        elif isinstance(self.calibration, AxisCalibration):
            calibration = self.calibration.to_dict()
        else:
            calibration = self.calibration

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "driver": driver,
                "model": model,
                "serial": serial,
                "api_version": api_version,
                "server_version": server_version,
                "capabilities": capabilities,
                "acquisition_fields": acquisition_fields,
                "detectors": detectors,
                "limits": limits,
                "scan_speeds": scan_speeds,
                "stage_repeatability_um": stage_repeatability_um,
                "conventions": conventions,
            }
        )
        if calibration is not UNSET:
            field_dict["calibration"] = calibration

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.axis_calibration import AxisCalibration
        from ..models.conventions import Conventions
        from ..models.detector import Detector
        from ..models.device_limits import DeviceLimits
        from ..models.scan_speed import ScanSpeed

        d = dict(src_dict)
        driver = d.pop("driver")

        model = d.pop("model")

        serial = d.pop("serial")

        api_version = d.pop("api_version")

        server_version = d.pop("server_version")

        capabilities = cast(list[str], d.pop("capabilities"))

        acquisition_fields = cast(list[str], d.pop("acquisition_fields"))

        detectors = []
        _detectors = d.pop("detectors")
        for detectors_item_data in _detectors:
            detectors_item = Detector.from_dict(detectors_item_data)

            detectors.append(detectors_item)

        limits = DeviceLimits.from_dict(d.pop("limits"))

        scan_speeds = []
        _scan_speeds = d.pop("scan_speeds")
        for scan_speeds_item_data in _scan_speeds:
            scan_speeds_item = ScanSpeed.from_dict(scan_speeds_item_data)

            scan_speeds.append(scan_speeds_item)

        stage_repeatability_um = d.pop("stage_repeatability_um")

        conventions = Conventions.from_dict(d.pop("conventions"))

        def _parse_calibration(data: object) -> AxisCalibration | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                calibration_type_0 = AxisCalibration.from_dict(data)

                return calibration_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AxisCalibration | None | Unset, data)

        calibration = _parse_calibration(d.pop("calibration", UNSET))

        device_info = cls(
            driver=driver,
            model=model,
            serial=serial,
            api_version=api_version,
            server_version=server_version,
            capabilities=capabilities,
            acquisition_fields=acquisition_fields,
            detectors=detectors,
            limits=limits,
            scan_speeds=scan_speeds,
            stage_repeatability_um=stage_repeatability_um,
            conventions=conventions,
            calibration=calibration,
        )

        device_info.additional_properties = d
        return device_info

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
