from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.stage_pose import StagePose
    from ..models.stage_xy import StageXY


T = TypeVar("T", bound="SimTruth")


@_attrs_define
class SimTruth:
    """The specimen's placement relative to its first load: rotated by rotation_deg (counter-clockwise seen from the beam)
    about (centre_x_mm, centre_y_mm), then shifted by (shift_x_um, shift_y_um).

    """

    shift_x_um: float
    shift_y_um: float
    rotation_deg: float
    centre_x_mm: float
    centre_y_mm: float
    specimen_kind: str
    """ `texture`, `periodic`, `sparse` or `image` (open set) """
    seed: int | None
    reloads: int
    """ how many reloads since the first load """
    point_at_load: None | StageXY
    """ the queried point (x_mm, y_mm) at first load; null without a query """
    point_now: None | StageXY
    """ where the specimen point that lay at point_at_load lies now; null without a query """
    stage_true: None | StagePose | Unset = UNSET
    """ the stage's true pose (the readback hides an error); null if unknown """
    height_um: float | Unset = UNSET
    """ the mount's surface height in µm above its first-load height """
    tilt_x_deg: float | Unset = UNSET
    """ the mount's tilt about stage y (the surface rises along +x), degrees """
    tilt_y_deg: float | Unset = UNSET
    """ the mount's tilt about stage x (the surface rises along +y), degrees """
    in_focus_wd_mm: float | None | Unset = UNSET
    """ the working distance at which the surface under the beam is in focus """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.stage_pose import StagePose
        from ..models.stage_xy import StageXY

        shift_x_um = self.shift_x_um

        shift_y_um = self.shift_y_um

        rotation_deg = self.rotation_deg

        centre_x_mm = self.centre_x_mm

        centre_y_mm = self.centre_y_mm

        specimen_kind = self.specimen_kind

        seed: int | None
        seed = self.seed

        reloads = self.reloads

        point_at_load: dict[str, Any] | None
        if isinstance(self.point_at_load, StageXY):
            point_at_load = self.point_at_load.to_dict()
        else:
            point_at_load = self.point_at_load

        point_now: dict[str, Any] | None
        if isinstance(self.point_now, StageXY):
            point_now = self.point_now.to_dict()
        else:
            point_now = self.point_now

        stage_true: dict[str, Any] | None | Unset
        if isinstance(self.stage_true, Unset):
            stage_true = UNSET
        elif isinstance(self.stage_true, StagePose):
            stage_true = self.stage_true.to_dict()
        else:
            stage_true = self.stage_true

        height_um = self.height_um

        tilt_x_deg = self.tilt_x_deg

        tilt_y_deg = self.tilt_y_deg

        in_focus_wd_mm: float | None | Unset
        if isinstance(self.in_focus_wd_mm, Unset):
            in_focus_wd_mm = UNSET
        else:
            in_focus_wd_mm = self.in_focus_wd_mm

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "shift_x_um": shift_x_um,
                "shift_y_um": shift_y_um,
                "rotation_deg": rotation_deg,
                "centre_x_mm": centre_x_mm,
                "centre_y_mm": centre_y_mm,
                "specimen_kind": specimen_kind,
                "seed": seed,
                "reloads": reloads,
                "point_at_load": point_at_load,
                "point_now": point_now,
            }
        )
        if stage_true is not UNSET:
            field_dict["stage_true"] = stage_true
        if height_um is not UNSET:
            field_dict["height_um"] = height_um
        if tilt_x_deg is not UNSET:
            field_dict["tilt_x_deg"] = tilt_x_deg
        if tilt_y_deg is not UNSET:
            field_dict["tilt_y_deg"] = tilt_y_deg
        if in_focus_wd_mm is not UNSET:
            field_dict["in_focus_wd_mm"] = in_focus_wd_mm

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.stage_pose import StagePose
        from ..models.stage_xy import StageXY

        d = dict(src_dict)
        shift_x_um = d.pop("shift_x_um")

        shift_y_um = d.pop("shift_y_um")

        rotation_deg = d.pop("rotation_deg")

        centre_x_mm = d.pop("centre_x_mm")

        centre_y_mm = d.pop("centre_y_mm")

        specimen_kind = d.pop("specimen_kind")

        def _parse_seed(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        seed = _parse_seed(d.pop("seed"))

        reloads = d.pop("reloads")

        def _parse_point_at_load(data: object) -> None | StageXY:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                point_at_load_type_0 = StageXY.from_dict(data)

                return point_at_load_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StageXY, data)

        point_at_load = _parse_point_at_load(d.pop("point_at_load"))

        def _parse_point_now(data: object) -> None | StageXY:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                point_now_type_0 = StageXY.from_dict(data)

                return point_now_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StageXY, data)

        point_now = _parse_point_now(d.pop("point_now"))

        def _parse_stage_true(data: object) -> None | StagePose | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                stage_true_type_0 = StagePose.from_dict(data)

                return stage_true_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StagePose | Unset, data)

        stage_true = _parse_stage_true(d.pop("stage_true", UNSET))

        height_um = d.pop("height_um", UNSET)

        tilt_x_deg = d.pop("tilt_x_deg", UNSET)

        tilt_y_deg = d.pop("tilt_y_deg", UNSET)

        def _parse_in_focus_wd_mm(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        in_focus_wd_mm = _parse_in_focus_wd_mm(d.pop("in_focus_wd_mm", UNSET))

        sim_truth = cls(
            shift_x_um=shift_x_um,
            shift_y_um=shift_y_um,
            rotation_deg=rotation_deg,
            centre_x_mm=centre_x_mm,
            centre_y_mm=centre_y_mm,
            specimen_kind=specimen_kind,
            seed=seed,
            reloads=reloads,
            point_at_load=point_at_load,
            point_now=point_now,
            stage_true=stage_true,
            height_um=height_um,
            tilt_x_deg=tilt_x_deg,
            tilt_y_deg=tilt_y_deg,
            in_focus_wd_mm=in_focus_wd_mm,
        )

        sim_truth.additional_properties = d
        return sim_truth

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
