"""semphony.testing: the strategies draw what they promise and cover every class they name."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import semphony.testing
from semphony.models import (
    ROI_LEVELS,
    ROI_NAME_PATTERN,
    AcquisitionConfig,
    AcquisitionResult,
    FindRoiResult,
    RoiSpec,
)
from semphony.testing import (
    acquisition_configs,
    acquisition_results,
    find_roi_results,
    invalid_acquisition_config_kwargs,
    invalid_roi_spec_kwargs,
    roi_names,
    roi_specs,
)

Case = tuple[dict[str, Any], str]
CONFIG_FIELDS = [f.name for f in dataclasses.fields(AcquisitionConfig)]
LEVEL_FIELDS = [f"{level}_fov_um" for level in ROI_LEVELS]


# Deadlines are timing assertions: a loaded CI machine must not fail a property.
_NO_DEADLINE = settings(deadline=None)


class _AllSeenError(Exception):
    """Raised inside a hypothesis run to stop it once every wanted label has been seen."""


def _labels_seen(
    strategy: st.SearchStrategy[Any],
    labels: Callable[[Any], set[str]],
    wanted: set[str],
    budget: int = 2000,
) -> set[str]:
    """Draw reproducibly (derandomized, no shrinking) until ``wanted`` is seen or ``budget`` ends.

    Stopping at full coverage keeps the test fast; the budget only bounds a failure.
    """
    seen: set[str] = set()

    @settings(
        max_examples=budget,
        derandomize=True,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        seen.update(labels(example))
        if wanted <= seen:
            raise _AllSeenError

    with contextlib.suppress(_AllSeenError):
        collect()
    return seen


def test_public_strategies_are_exported_and_documented() -> None:
    assert sorted(semphony.testing.__all__) == semphony.testing.__all__
    for name in semphony.testing.__all__:
        factory = getattr(semphony.testing, name)
        assert factory.__doc__, name
        assert isinstance(factory(), st.SearchStrategy), name
        assert name in (semphony.testing.__doc__ or ""), name


@_NO_DEADLINE
@given(acquisition_configs())
def test_acquisition_configs_are_valid_configs(config: AcquisitionConfig) -> None:
    assert isinstance(config, AcquisitionConfig)
    assert AcquisitionConfig(**config.to_dict()) == config


@_NO_DEADLINE
@given(roi_specs())
def test_roi_specs_are_valid_specs(spec: RoiSpec) -> None:
    assert isinstance(spec, RoiSpec)
    assert 1 <= len(spec.levels()) <= 4


@_NO_DEADLINE
@given(acquisition_results())
def test_acquisition_results_are_valid_results(result: AcquisitionResult) -> None:
    assert AcquisitionResult(**dataclasses.asdict(result)) == result


@_NO_DEADLINE
@given(find_roi_results())
def test_find_roi_results_are_valid_results(result: FindRoiResult) -> None:
    assert FindRoiResult(**dataclasses.asdict(result)) == result
    if result.final_pose is not None:
        assert {"x", "y"} <= set(result.final_pose) <= {"x", "y", "r", "fov_um"}


@_NO_DEADLINE
@given(roi_names())
def test_roi_names_match_the_documented_pattern(name: str) -> None:
    assert re.fullmatch(ROI_NAME_PATTERN, name)
    assert RoiSpec(name=name, l0_fov_um=1).name == name


def _config_labels(config: AcquisitionConfig) -> set[str]:
    data = config.to_dict()
    labels = {f"{len(data)} fields"}
    if config.fov_um is not None and config.fov_um.is_integer():
        labels.add("whole fov_um")  # the seed passes fov_um=100
    if config.mode is not None and config.detector_mode not in (None, config.mode):
        labels.add("detector_mode in another case")
    return labels


def test_acquisition_configs_range_from_empty_to_full() -> None:
    wanted = {"0 fields", f"{len(CONFIG_FIELDS)} fields", "whole fov_um"}
    wanted.add("detector_mode in another case")
    assert wanted - _labels_seen(acquisition_configs(), _config_labels, wanted) == set()


def test_roi_specs_draw_every_number_and_choice_of_levels() -> None:
    def labels(spec: RoiSpec) -> set[str]:
        return {f"{len(spec.levels())} levels", *(level for level, _ in spec.levels())}

    wanted = {"1 levels", "2 levels", "3 levels", "4 levels", *ROI_LEVELS}
    assert wanted - _labels_seen(roi_specs(), labels, wanted) == set()


def _value_classes(value: object) -> set[str]:
    """The invalid classes of the issue (and a few more) that a value belongs to."""
    classes: set[str] = set()
    if isinstance(value, bool):
        classes.add("bool")
    elif isinstance(value, float) and math.isnan(value):
        classes.add("nan")
    elif isinstance(value, float) and math.isinf(value):
        classes.add("inf")
    elif isinstance(value, int | float) and value == 0:
        classes.add("zero")
    elif isinstance(value, int | float) and value < 0:
        classes.add("negative")
    elif isinstance(value, float):
        classes.add("float")
    elif isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d*)?(e\d+)?\s*", value):
        classes.add("numeric string")
    elif isinstance(value, str) and len(value) > 64:
        classes.add("long")
    elif isinstance(value, str) and value.endswith("\n"):
        classes.add("newline")
    elif isinstance(value, str):
        classes.add("string")
    elif isinstance(value, set):
        classes.add("set")
    elif isinstance(value, list | tuple) and len(value) != 2:
        classes.add("arity")
    elif isinstance(value, list | tuple):
        for item in value:
            classes |= {f"element {c}" for c in _value_classes(item)}
        if any(isinstance(item, int) and item > 65536 for item in value):
            classes.add("element too large")
    elif isinstance(value, int) and value not in (8, 16):
        classes.add("int")
    return classes


def _config_case_labels(case: Case) -> set[str]:
    kwargs, field = case
    if field not in CONFIG_FIELDS:
        return {"unknown keyword"}
    if field == "detector_mode" and isinstance(kwargs["detector_mode"], str):
        return {"detector_mode disagrees with mode"}
    return {f"{field}: {c}" for c in _value_classes(kwargs[field])}


_POSITIVE_FLOAT_FAULTS = ["nan", "inf", "zero", "negative", "bool", "numeric string"]
_INDEX_FAULTS = ["negative", "bool", "numeric string", "float"]
CONFIG_FAULTS: dict[str, list[str]] = {
    "fov_um": _POSITIVE_FLOAT_FAULTS,
    "resolution": [
        "arity",
        "set",
        "element bool",
        "element zero",
        "element negative",
        "element too large",
        "element numeric string",
        "element float",
    ],
    "mode": ["int"],
    "dwell_time_us": _POSITIVE_FLOAT_FAULTS,
    "working_distance_mm": _POSITIVE_FLOAT_FAULTS,
    "scan_speed_index": _INDEX_FAULTS,
    "detector_channel": _INDEX_FAULTS,
    "detector_mode": ["int", "string"],  # "string": disagrees with mode (labelled below)
    "roi_name": ["string", "long", "newline", "int"],
    "roi_level": ["string", "int"],
    "bit_depth": ["int", "bool", "numeric string", "float"],
}


@pytest.mark.parametrize("field", CONFIG_FIELDS)
def test_invalid_config_cases_of_a_field_cover_each_fault_class(field: str) -> None:
    wanted = {f"{field}: {fault}" for fault in CONFIG_FAULTS[field]}
    if field == "detector_mode":
        wanted = {"detector_mode: int", "detector_mode disagrees with mode"}
    seen = _labels_seen(invalid_acquisition_config_kwargs(field), _config_case_labels, wanted)
    assert wanted - seen == set()
    assert {label.split(":")[0] for label in seen} <= {field, "detector_mode disagrees with mode"}


def test_unrestricted_invalid_config_cases_include_unknown_keywords_and_every_field() -> None:
    wanted = {"unknown keyword", "detector_mode disagrees with mode"}
    wanted |= {f"field {field}" for field in CONFIG_FIELDS}

    def labels(case: Case) -> set[str]:
        return _config_case_labels(case) | {f"field {case[1]}"}

    assert wanted - _labels_seen(invalid_acquisition_config_kwargs(), labels, wanted) == set()


@pytest.mark.parametrize("factory", [invalid_acquisition_config_kwargs, invalid_roi_spec_kwargs])
def test_an_unknown_field_restriction_is_refused(factory: Callable[[str], object]) -> None:
    with pytest.raises(ValueError, match="fov"):
        factory("fov")


@_NO_DEADLINE
@given(invalid_acquisition_config_kwargs())
def test_an_invalid_config_case_has_exactly_one_fault(case: Case) -> None:
    kwargs, field = case
    # Without the named argument (or the disagreeing detector_mode) everything else is valid.
    AcquisitionConfig(**{key: value for key, value in kwargs.items() if key != field})


def _roi_case_labels(case: Case) -> set[str]:
    kwargs, field = case
    if "name" not in kwargs:
        return {"name: missing"}
    labels = {f"{field}: {c}" for c in _value_classes(kwargs[field])} if field in kwargs else set()
    values = [kwargs.get(f, 0) for f in LEVEL_FIELDS]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        used = [float(v) for v in values if v > 0]
        if not used:
            labels.add(f"{field}: no level at all")
        elif any(b <= a for a, b in itertools.pairwise(used)):
            labels.add(f"{field}: wrong order")
    return labels


_LEVEL_FAULTS = ["nan", "inf", "negative", "bool", "numeric string"]
ROI_FAULTS: dict[str, list[str]] = {
    "name": ["missing", "string", "long"],
    "roi_fov_um": [*_LEVEL_FAULTS, "no level at all"],
    "l2_fov_um": [*_LEVEL_FAULTS, "wrong order"],
    "l1_fov_um": [*_LEVEL_FAULTS, "wrong order"],
    "l0_fov_um": [*_LEVEL_FAULTS, "wrong order"],
}


@pytest.mark.parametrize("field", list(ROI_FAULTS))
def test_invalid_roi_cases_of_a_field_cover_each_fault_class(field: str) -> None:
    wanted = {f"{field}: {fault}" for fault in ROI_FAULTS[field]}
    seen = _labels_seen(invalid_roi_spec_kwargs(field), _roi_case_labels, wanted)
    assert wanted - seen == set()


def test_unrestricted_invalid_roi_cases_name_every_field() -> None:
    wanted = set(ROI_FAULTS)
    seen = _labels_seen(invalid_roi_spec_kwargs(), lambda case: {case[1]}, wanted)
    assert wanted - seen == set()
