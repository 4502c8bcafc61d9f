"""The package's public face is exactly what __all__ says, and the seed's names are on it."""

from __future__ import annotations

import semphony
import semphony.client
import semphony.models

SEED_AND_DESIGN_NAMES = {
    "Semphony",
    "AsyncSemphony",
    "ImagingGuardrails",
    "ChamberBeamGuardrail",
    "StageAbsoluteLimits",
    "StageRelativeLimits",
    "SemphonyGuardrailException",
    "SemphonyApiError",
}


def test_all_lists_exactly_the_public_names_the_package_exports() -> None:
    exported = {name for name in vars(semphony) if not name.startswith("_")}
    exported -= {"annotations"}
    modules = {name for name in exported if type(getattr(semphony, name)).__name__ == "module"}
    assert set(semphony.__all__) - {"__version__"} == exported - modules
    assert semphony.__all__ == sorted(semphony.__all__)


def test_the_names_the_seed_page_and_design_use_are_exported() -> None:
    assert set(semphony.__all__) >= SEED_AND_DESIGN_NAMES


def test_the_seed_imports_its_api_error_from_semphony_client() -> None:
    assert semphony.client.SemphonyApiError is semphony.SemphonyApiError


def test_a_guardrail_exception_is_not_an_api_error() -> None:
    assert not issubclass(semphony.SemphonyGuardrailException, semphony.SemphonyApiError)


def test_the_seed_models_are_in_semphony_models() -> None:
    for name in ("AcquisitionConfig", "AcquisitionResult", "RoiSpec", "FindRoiResult"):
        assert hasattr(semphony.models, name)


def test_the_typed_answers_are_importable_for_annotations() -> None:
    import semphony.types

    exported = {n for n in vars(semphony.types) if not n.startswith("_")} - {"annotations"}
    assert set(semphony.types.__all__) == exported
    for name in ("DeviceInfo", "AuditEntry", "SimTruth", "InstrumentState", "StagePose"):
        assert hasattr(getattr(semphony.types, name), "from_dict")
