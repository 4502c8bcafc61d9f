from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.acquisition_result import AcquisitionResult
    from ..models.auto_signal_result import AutoSignalResult
    from ..models.autofocus_result import AutofocusResult
    from ..models.axis_calibration import AxisCalibration
    from ..models.move_result import MoveResult
    from ..models.problem import Problem
    from ..models.progress import Progress
    from ..models.vacuum_result import VacuumResult


T = TypeVar("T", bound="Operation")


@_attrs_define
class Operation:
    """a long-running command (pump, vent, stage move, acquisition, autofocus, ...)"""

    id: str
    """ the operation id, which is also the correlation id """
    kind: str
    """ `pump`, `vent`, `move`, `acquisition`, `autofocus`, `auto_signal` or `calibration` (open set)
     """
    status: str
    """ `pending`, `running`, `succeeded`, `failed` or `cancelled` (open set; the last three are terminal)
     """
    run_id: str
    session_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    progress: Progress
    result: (
        AcquisitionResult
        | AutofocusResult
        | AutoSignalResult
        | AxisCalibration
        | MoveResult
        | None
        | VacuumResult
    )
    """ null until succeeded; then an AcquisitionResult (kind `acquisition`), a MoveResult (`move`), a VacuumResult
    (`pump`, `vent`), an AutofocusResult (`autofocus`), an AutoSignalResult (`auto_signal`) or an AxisCalibration
    (`calibration`)
     """
    problem: None | Problem
    """ why the operation failed (or was cancelled); null otherwise """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.acquisition_result import AcquisitionResult
        from ..models.auto_signal_result import AutoSignalResult
        from ..models.autofocus_result import AutofocusResult
        from ..models.axis_calibration import AxisCalibration
        from ..models.move_result import MoveResult
        from ..models.problem import Problem
        from ..models.vacuum_result import VacuumResult

        id = self.id

        kind = self.kind

        status = self.status

        run_id = self.run_id

        session_id = self.session_id

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        progress = self.progress.to_dict()

        result: dict[str, Any] | None
        if (
            isinstance(self.result, AcquisitionResult)
            or isinstance(self.result, MoveResult)
            or isinstance(self.result, VacuumResult)
            or isinstance(self.result, AutofocusResult)
            or isinstance(self.result, AutoSignalResult)
            or isinstance(self.result, AxisCalibration)
        ):
            result = self.result.to_dict()
        else:
            result = self.result

        problem: dict[str, Any] | None
        if isinstance(self.problem, Problem):
            problem = self.problem.to_dict()
        else:
            problem = self.problem

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "status": status,
                "run_id": run_id,
                "session_id": session_id,
                "created_at": created_at,
                "updated_at": updated_at,
                "progress": progress,
                "result": result,
                "problem": problem,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.acquisition_result import AcquisitionResult
        from ..models.auto_signal_result import AutoSignalResult
        from ..models.autofocus_result import AutofocusResult
        from ..models.axis_calibration import AxisCalibration
        from ..models.move_result import MoveResult
        from ..models.problem import Problem
        from ..models.progress import Progress
        from ..models.vacuum_result import VacuumResult

        d = dict(src_dict)
        id = d.pop("id")

        kind = d.pop("kind")

        status = d.pop("status")

        run_id = d.pop("run_id")

        session_id = d.pop("session_id")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        progress = Progress.from_dict(d.pop("progress"))

        def _parse_result(
            data: object,
        ) -> (
            AcquisitionResult
            | AutofocusResult
            | AutoSignalResult
            | AxisCalibration
            | MoveResult
            | None
            | VacuumResult
        ):
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = AcquisitionResult.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_1 = MoveResult.from_dict(data)

                return result_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_2 = VacuumResult.from_dict(data)

                return result_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_3 = AutofocusResult.from_dict(data)

                return result_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_4 = AutoSignalResult.from_dict(data)

                return result_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_5 = AxisCalibration.from_dict(data)

                return result_type_5
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                AcquisitionResult
                | AutofocusResult
                | AutoSignalResult
                | AxisCalibration
                | MoveResult
                | None
                | VacuumResult,
                data,
            )

        result = _parse_result(d.pop("result"))

        def _parse_problem(data: object) -> None | Problem:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                problem_type_0 = Problem.from_dict(data)

                return problem_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Problem, data)

        problem = _parse_problem(d.pop("problem"))

        operation = cls(
            id=id,
            kind=kind,
            status=status,
            run_id=run_id,
            session_id=session_id,
            created_at=created_at,
            updated_at=updated_at,
            progress=progress,
            result=result,
            problem=problem,
        )

        operation.additional_properties = d
        return operation

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
