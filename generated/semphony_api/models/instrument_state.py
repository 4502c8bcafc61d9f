from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.detector_state import DetectorState
    from ..models.lease import Lease
    from ..models.stage_pose import StagePose


T = TypeVar("T", bound="InstrumentState")


@_attrs_define
class InstrumentState:
    vacuum: str
    """ `vented`, `pumping`, `pumped`, `venting` or `error` (open set) """
    beam_on: bool
    hv_kv: float
    beam_current_na: float
    stage: StagePose
    fov_um: float
    working_distance_mm: float
    scan_rotation_deg: float
    beam_shift_x_um: float
    beam_shift_y_um: float
    detector: DetectorState
    clock_s: float
    """ the virtual instrument clock (seconds of instrument time spent so far) """
    lease: Lease | None
    active_operation_id: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.lease import Lease

        vacuum = self.vacuum

        beam_on = self.beam_on

        hv_kv = self.hv_kv

        beam_current_na = self.beam_current_na

        stage = self.stage.to_dict()

        fov_um = self.fov_um

        working_distance_mm = self.working_distance_mm

        scan_rotation_deg = self.scan_rotation_deg

        beam_shift_x_um = self.beam_shift_x_um

        beam_shift_y_um = self.beam_shift_y_um

        detector = self.detector.to_dict()

        clock_s = self.clock_s

        lease: dict[str, Any] | None
        if isinstance(self.lease, Lease):
            lease = self.lease.to_dict()
        else:
            lease = self.lease

        active_operation_id: None | str
        active_operation_id = self.active_operation_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "vacuum": vacuum,
                "beam_on": beam_on,
                "hv_kv": hv_kv,
                "beam_current_na": beam_current_na,
                "stage": stage,
                "fov_um": fov_um,
                "working_distance_mm": working_distance_mm,
                "scan_rotation_deg": scan_rotation_deg,
                "beam_shift_x_um": beam_shift_x_um,
                "beam_shift_y_um": beam_shift_y_um,
                "detector": detector,
                "clock_s": clock_s,
                "lease": lease,
                "active_operation_id": active_operation_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.detector_state import DetectorState
        from ..models.lease import Lease
        from ..models.stage_pose import StagePose

        d = dict(src_dict)
        vacuum = d.pop("vacuum")

        beam_on = d.pop("beam_on")

        hv_kv = d.pop("hv_kv")

        beam_current_na = d.pop("beam_current_na")

        stage = StagePose.from_dict(d.pop("stage"))

        fov_um = d.pop("fov_um")

        working_distance_mm = d.pop("working_distance_mm")

        scan_rotation_deg = d.pop("scan_rotation_deg")

        beam_shift_x_um = d.pop("beam_shift_x_um")

        beam_shift_y_um = d.pop("beam_shift_y_um")

        detector = DetectorState.from_dict(d.pop("detector"))

        clock_s = d.pop("clock_s")

        def _parse_lease(data: object) -> Lease | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                lease_type_0 = Lease.from_dict(data)

                return lease_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Lease | None, data)

        lease = _parse_lease(d.pop("lease"))

        def _parse_active_operation_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        active_operation_id = _parse_active_operation_id(d.pop("active_operation_id"))

        instrument_state = cls(
            vacuum=vacuum,
            beam_on=beam_on,
            hv_kv=hv_kv,
            beam_current_na=beam_current_na,
            stage=stage,
            fov_um=fov_um,
            working_distance_mm=working_distance_mm,
            scan_rotation_deg=scan_rotation_deg,
            beam_shift_x_um=beam_shift_x_um,
            beam_shift_y_um=beam_shift_y_um,
            detector=detector,
            clock_s=clock_s,
            lease=lease,
            active_operation_id=active_operation_id,
        )

        instrument_state.additional_properties = d
        return instrument_state

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
