from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.calibration_move import CalibrationMove


T = TypeVar("T", bound="AxisCalibration")


@_attrs_define
class AxisCalibration:
    """A measured image-to-stage matrix. `matrix` maps an image offset (pixels × pixel size in µm, x right, y down) to the
    column offset along the stage axes (µm) at zero scan rotation, stage rotation and tilt; the simulator's own
    convention is [[1, 0], [0, -1]]. `scale`, `mirrored_y` and `rotation_deg` describe it against that default.

    """

    instrument: str
    matrix: list[list[float]]
    scale: float
    mirrored_y: bool
    rotation_deg: float
    residual_um: float
    """ root-mean-square misfit of the moves, in µm of stage travel """
    fov_um: float
    step_um: float
    resolution: int
    moves: list[CalibrationMove]
    measured_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        instrument = self.instrument

        matrix = []
        for matrix_item_data in self.matrix:
            matrix_item = matrix_item_data

            matrix.append(matrix_item)

        scale = self.scale

        mirrored_y = self.mirrored_y

        rotation_deg = self.rotation_deg

        residual_um = self.residual_um

        fov_um = self.fov_um

        step_um = self.step_um

        resolution = self.resolution

        moves = []
        for moves_item_data in self.moves:
            moves_item = moves_item_data.to_dict()
            moves.append(moves_item)

        measured_at = self.measured_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "instrument": instrument,
                "matrix": matrix,
                "scale": scale,
                "mirrored_y": mirrored_y,
                "rotation_deg": rotation_deg,
                "residual_um": residual_um,
                "fov_um": fov_um,
                "step_um": step_um,
                "resolution": resolution,
                "moves": moves,
                "measured_at": measured_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.calibration_move import CalibrationMove

        d = dict(src_dict)
        instrument = d.pop("instrument")

        matrix = []
        _matrix = d.pop("matrix")
        for matrix_item_data in _matrix:
            matrix_item = cast(list[float], matrix_item_data)

            matrix.append(matrix_item)

        scale = d.pop("scale")

        mirrored_y = d.pop("mirrored_y")

        rotation_deg = d.pop("rotation_deg")

        residual_um = d.pop("residual_um")

        fov_um = d.pop("fov_um")

        step_um = d.pop("step_um")

        resolution = d.pop("resolution")

        moves = []
        _moves = d.pop("moves")
        for moves_item_data in _moves:
            moves_item = CalibrationMove.from_dict(moves_item_data)

            moves.append(moves_item)

        measured_at = datetime.datetime.fromisoformat(d.pop("measured_at"))

        axis_calibration = cls(
            instrument=instrument,
            matrix=matrix,
            scale=scale,
            mirrored_y=mirrored_y,
            rotation_deg=rotation_deg,
            residual_um=residual_um,
            fov_um=fov_um,
            step_um=step_um,
            resolution=resolution,
            moves=moves,
            measured_at=measured_at,
        )

        axis_calibration.additional_properties = d
        return axis_calibration

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
