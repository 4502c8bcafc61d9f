"""The documented models: seed examples, validation rules, dict and JSON round trips, schema."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import math
import pickle
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

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
    roi_specs,
)

# Deadlines are timing assertions: a loaded CI machine must not fail a property.
_NO_DEADLINE = settings(deadline=None)

Model = AcquisitionConfig | AcquisitionResult | RoiSpec | FindRoiResult

# The code blocks of the seed documentation page, verbatim (their odd indentation included).
SEED_ACQUISITION_CONFIG_EXAMPLE = """\
from semphony.models import AcquisitionConfig
config = AcquisitionConfig(
fov_um=100, # field of view in µm
resolution=(1024, 1024), # width, height in pixels
mode="SE", # detector mode (e.g. "SE", "BSE")
dwell_time_us=1.0, # dwell time per pixel in µs
working_distance_mm=10.5,
scan_speed_index=3,
detector_channel=0,
)
"""

SEED_ROI_SPEC_EXAMPLE = """\
from semphony.models import RoiSpec
spec = RoiSpec(
name="my_roi",
roi_fov_um=50, # finest level (ROI)
l2_fov_um=150, # intermediate level 2
l1_fov_um=300, # intermediate level 1
l0_fov_um=1500, # coarsest level (overview)
)
"""

# Field order of the seed page's tables, plus our one extension (bit_depth) at the end.
SEED_FIELDS: dict[type[Any], list[str]] = {
    AcquisitionConfig: [
        "fov_um",
        "resolution",
        "mode",
        "dwell_time_us",
        "working_distance_mm",
        "scan_speed_index",
        "detector_channel",
        "detector_mode",
        "roi_name",
        "roi_level",
        "bit_depth",
    ],
    AcquisitionResult: [
        "correlation_id",
        "image_id",
        "remote_path",
        "local_path",
        "mime",
        "size",
        "metadata",
    ],
    RoiSpec: ["name", "roi_fov_um", "l0_fov_um", "l1_fov_um", "l2_fov_um"],
    FindRoiResult: ["found", "final_pose", "iterations", "level_history", "metrics"],
}

any_model = st.one_of(acquisition_configs(), roi_specs(), acquisition_results(), find_roi_results())


def _blamed_fields(error: ValidationError) -> set[str]:
    """The fields an error blames: its locations, and ``ctx["field"]`` of cross-field rules."""
    blamed: set[str] = set()
    for detail in error.errors():
        if detail["loc"]:
            blamed.add(str(detail["loc"][0]))
        field = detail.get("ctx", {}).get("field")
        if field is not None:
            blamed.add(field)
    return blamed


def _refusal(cls: type[Any], **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        cls(**kwargs)
    return caught.value


# ---- the seed page -------------------------------------------------------------------------


def test_seed_acquisition_config_example_constructs() -> None:
    namespace: dict[str, Any] = {}
    exec(SEED_ACQUISITION_CONFIG_EXAMPLE, namespace)
    config = namespace["config"]
    assert isinstance(config, AcquisitionConfig)
    assert config.fov_um == 100.0
    assert isinstance(config.fov_um, float)
    assert config.resolution == (1024, 1024)
    assert config.mode == "SE"
    assert config.dwell_time_us == 1.0
    assert config.working_distance_mm == 10.5
    assert config.scan_speed_index == 3
    assert config.detector_channel == 0
    assert config.detector_mode is None
    assert config.to_dict() == {
        "fov_um": 100.0,
        "resolution": [1024, 1024],
        "mode": "SE",
        "dwell_time_us": 1.0,
        "working_distance_mm": 10.5,
        "scan_speed_index": 3,
        "detector_channel": 0,
    }


def test_seed_roi_spec_example_constructs() -> None:
    namespace: dict[str, Any] = {}
    exec(SEED_ROI_SPEC_EXAMPLE, namespace)
    spec = namespace["spec"]
    assert isinstance(spec, RoiSpec)
    assert spec.name == "my_roi"
    assert spec.levels() == [("roi", 50.0), ("l2", 150.0), ("l1", 300.0), ("l0", 1500.0)]


@pytest.mark.parametrize("cls", list(SEED_FIELDS), ids=lambda cls: cls.__name__)
def test_fields_follow_the_seed_table_in_order(cls: type[Any]) -> None:
    assert [f.name for f in dataclasses.fields(cls)] == SEED_FIELDS[cls]


def test_defaults_follow_the_seed_page() -> None:
    assert all(value is None for value in dataclasses.asdict(AcquisitionConfig()).values())
    spec = RoiSpec(name="r", roi_fov_um=1)
    assert (spec.l0_fov_um, spec.l1_fov_um, spec.l2_fov_um) == (0.0, 0.0, 0.0)
    assert RoiSpec(name="r", l0_fov_um=1).roi_fov_um == 0.0
    result = AcquisitionResult(correlation_id="op-1")
    assert dataclasses.asdict(result) == {
        "correlation_id": "op-1",
        "image_id": None,
        "remote_path": None,
        "local_path": None,
        "mime": None,
        "size": None,
        "metadata": {},
    }
    found = FindRoiResult(found=False)
    assert (found.final_pose, found.iterations, found.level_history, found.metrics) == (
        None,
        0,
        [],
        {},
    )


def test_mutable_defaults_are_not_shared_between_instances() -> None:
    first, second = FindRoiResult(found=True), FindRoiResult(found=True)
    first.metrics["score"] = 1.0
    first.level_history.append({"level": "l0"})
    assert second.metrics == {}
    assert second.level_history == []


@pytest.mark.parametrize(
    ("cls", "positional"),
    [(AcquisitionConfig, (100,)), (RoiSpec, ("r", 1)), (AcquisitionResult, ("op",))],
    ids=["AcquisitionConfig", "RoiSpec", "AcquisitionResult"],
)
def test_models_take_keyword_arguments_only(cls: type[Any], positional: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError, match="Unexpected positional argument"):
        cls(*positional)


# ---- round trips ---------------------------------------------------------------------------


@_NO_DEADLINE
@given(any_model)
def test_valid_models_round_trip_through_to_dict_and_from_dict(model: Model) -> None:
    assert type(model).from_dict(model.to_dict()) == model


@_NO_DEADLINE
@given(any_model)
def test_valid_models_round_trip_through_json(model: Model) -> None:
    text = json.dumps(model.to_dict(), allow_nan=False)
    assert type(model).from_dict(json.loads(text)) == model


@_NO_DEADLINE
@given(st.one_of(acquisition_configs(), roi_specs()))
def test_config_to_dict_holds_only_non_none_fields(config: AcquisitionConfig | RoiSpec) -> None:
    data = config.to_dict()
    expected = {f.name for f in dataclasses.fields(config) if getattr(config, f.name) is not None}
    assert set(data) == expected
    assert None not in data.values()


@_NO_DEADLINE
@given(st.one_of(acquisition_results(), find_roi_results()))
def test_result_to_dict_holds_every_field(result: AcquisitionResult | FindRoiResult) -> None:
    assert list(result.to_dict()) == [f.name for f in dataclasses.fields(result)]


def test_to_dict_turns_tuples_into_lists() -> None:
    assert AcquisitionConfig(resolution=(640, 480)).to_dict() == {"resolution": [640, 480]}
    assert AcquisitionResult(correlation_id="op", size=(640, 480)).to_dict()["size"] == [640, 480]


def test_from_dict_accepts_lists_for_tuples() -> None:
    assert AcquisitionConfig.from_dict({"resolution": [640, 480]}).resolution == (640, 480)
    result = AcquisitionResult.from_dict({"correlation_id": "op", "size": [640, 480]})
    assert result.size == (640, 480)


def test_none_round_trips_for_every_optional_field() -> None:
    nones = {f.name: None for f in dataclasses.fields(AcquisitionConfig)}
    config = AcquisitionConfig.from_dict(nones)
    assert config == AcquisitionConfig()
    assert config.to_dict() == {}
    assert AcquisitionConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config

    result = AcquisitionResult(correlation_id="op")
    text = json.dumps(result.to_dict())
    assert json.loads(text)["size"] is None
    assert AcquisitionResult.from_dict(json.loads(text)) == result

    found = FindRoiResult(found=False, final_pose=None)
    assert FindRoiResult.from_dict(json.loads(json.dumps(found.to_dict()))) == found


# ---- unknown keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (AcquisitionConfig, {"fov_um": 10, "fov": 10}),
        (RoiSpec, {"name": "r", "roi_fov_um": 1, "l3_fov_um": 5}),
    ],
    ids=["AcquisitionConfig", "RoiSpec"],
)
def test_config_from_dict_refuses_an_unknown_key_naming_it(
    cls: type[Any], data: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as caught:
        cls.from_dict(data)
    unknown = next(key for key in data if key not in SEED_FIELDS[cls])
    assert _blamed_fields(caught.value) == {unknown}
    assert unknown in str(caught.value)


def test_constructor_refuses_a_misspelt_keyword() -> None:
    error = _refusal(AcquisitionConfig, fov=100)
    assert _blamed_fields(error) == {"fov"}


_extra_keys = st.dictionaries(
    st.text().filter(lambda key: key not in SEED_FIELDS[AcquisitionResult]),
    st.integers() | st.text(),
    min_size=1,
    max_size=4,
)


@_NO_DEADLINE
@given(acquisition_results(), _extra_keys)
def test_acquisition_result_from_dict_keeps_unknown_keys_in_metadata(
    result: AcquisitionResult, extra: dict[str, Any]
) -> None:
    parsed = AcquisitionResult.from_dict({**result.to_dict(), **extra})
    # Explicit metadata entries win over a top-level key of the same name.
    assert parsed.metadata == {**extra, **result.metadata}
    assert dataclasses.replace(parsed, metadata=result.metadata) == result


@_NO_DEADLINE
@given(find_roi_results(), st.dictionaries(st.sampled_from(["confidence", "elapsed_s"]), st.text()))
def test_find_roi_result_from_dict_keeps_unknown_keys_in_metrics(
    result: FindRoiResult, extra: dict[str, Any]
) -> None:
    parsed = FindRoiResult.from_dict({**result.to_dict(), **extra})
    assert parsed.metrics == {**extra, **result.metrics}


def test_explicit_metadata_wins_over_an_unknown_top_level_key() -> None:
    parsed = AcquisitionResult.from_dict(
        {"correlation_id": "op", "run_id": "top", "metadata": {"run_id": "inner", "sha256": "x"}}
    )
    assert parsed.metadata == {"run_id": "inner", "sha256": "x"}


@pytest.mark.parametrize("cls", list(SEED_FIELDS), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("data", [None, [], "fov_um=1", 3])
def test_from_dict_refuses_what_is_not_a_mapping(cls: type[Any], data: object) -> None:
    with pytest.raises(ValidationError, match="dictionary"):
        cls.from_dict(data)


# ---- validation: properties ----------------------------------------------------------------


@_NO_DEADLINE
@given(invalid_acquisition_config_kwargs())
def test_invalid_acquisition_config_is_refused_naming_the_field(
    case: tuple[dict[str, Any], str],
) -> None:
    kwargs, field = case
    error = _refusal(AcquisitionConfig, **kwargs)
    assert isinstance(error, ValueError)
    assert field in _blamed_fields(error)
    assert field in str(error)


@_NO_DEADLINE
@given(invalid_roi_spec_kwargs())
def test_invalid_roi_spec_is_refused_naming_the_field(case: tuple[dict[str, Any], str]) -> None:
    kwargs, field = case
    error = _refusal(RoiSpec, **kwargs)
    assert isinstance(error, ValueError)
    assert field in _blamed_fields(error)
    assert field in str(error)


@_NO_DEADLINE
@given(invalid_acquisition_config_kwargs())
def test_invalid_acquisition_config_is_refused_by_from_dict_too(
    case: tuple[dict[str, Any], str],
) -> None:
    kwargs, field = case
    with pytest.raises(ValidationError) as caught:
        AcquisitionConfig.from_dict(kwargs)
    assert field in _blamed_fields(caught.value)


# ---- validation: each rule, by example -----------------------------------------------------

_NUMBER = "Input should be a valid number"
_INTEGER = "Input should be a valid integer"
_FINITE = "Input should be a finite number"
_POSITIVE = "Input should be greater than 0"


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("fov_um", math.nan, _FINITE),
        ("fov_um", math.inf, _FINITE),
        ("dwell_time_us", -math.inf, _FINITE),
        ("fov_um", 0, _POSITIVE),
        ("working_distance_mm", 0.0, _POSITIVE),
        ("dwell_time_us", -1.0, _POSITIVE),
        ("fov_um", True, _NUMBER),
        ("working_distance_mm", "10.5", _NUMBER),
        ("fov_um", "3", _NUMBER),
        ("scan_speed_index", -1, "greater than or equal to 0"),
        ("detector_channel", -3, "greater than or equal to 0"),
        ("scan_speed_index", True, _INTEGER),
        ("detector_channel", "3", _INTEGER),
        ("scan_speed_index", 3.0, _INTEGER),
        ("resolution", (1024,), "exactly 2 integers, got 1"),
        ("resolution", (1024, 768, 3), "exactly 2 integers, got 3"),
        ("resolution", [], "exactly 2 integers, got 0"),
        ("resolution", {640, 480}, "(width, height) pair"),
        ("resolution", 1024, "(width, height) pair"),
        ("resolution", "1024x768", "(width, height) pair"),
        ("resolution", (0, 480), "greater than or equal to 1"),
        ("resolution", (640, 65537), "less than or equal to 65536"),
        ("resolution", (True, 480), _INTEGER),
        ("resolution", ("640", 480), _INTEGER),
        ("resolution", (640.0, 480), _INTEGER),
        ("roi_level", "L0", "'roi', 'l2', 'l1' or 'l0'"),
        ("roi_level", "l3", "'roi', 'l2', 'l1' or 'l0'"),
        ("roi_name", "", "should match pattern"),
        ("roi_name", "_hidden", "should match pattern"),
        ("roi_name", "has space", "should match pattern"),
        ("roi_name", "a/b", "should match pattern"),
        ("roi_name", "a" * 65, "should match pattern"),
        ("roi_name", "name\n", "should match pattern"),
        ("roi_name", 7, "valid string"),
        ("mode", b"SE", "valid string"),
        ("bit_depth", 12, "8 or 16"),
        ("bit_depth", 8.0, _INTEGER),
        ("bit_depth", "8", _INTEGER),
        ("bit_depth", True, _INTEGER),
    ],
)
def test_acquisition_config_rule_is_enforced(field: str, value: object, rule: str) -> None:
    error = _refusal(AcquisitionConfig, **{field: value})
    assert _blamed_fields(error) == {field}
    assert field in str(error)
    assert rule in str(error)


def test_slug_of_64_characters_is_the_longest_accepted() -> None:
    assert AcquisitionConfig(roi_name="a" * 64).roi_name == "a" * 64
    assert RoiSpec(name="A0_.-" + "z" * 59, l0_fov_um=1).name == "A0_.-" + "z" * 59


def test_resolution_bounds_are_inclusive() -> None:
    assert AcquisitionConfig(resolution=(1, 65536)).resolution == (1, 65536)


def test_int_is_accepted_where_a_float_is_expected_and_stored_as_float() -> None:
    config = AcquisitionConfig(fov_um=100, dwell_time_us=2, working_distance_mm=10)
    assert (config.fov_um, config.dwell_time_us, config.working_distance_mm) == (100.0, 2.0, 10.0)
    assert all(
        isinstance(v, float)
        for v in (config.fov_um, config.dwell_time_us, config.working_distance_mm)
    )


def test_numpy_scalars_are_accepted_as_the_numbers_they_stand_for() -> None:
    width, height = np.zeros((480, 640)).shape[::-1]
    fov: Any = np.float32(2.5)  # typed Any: numpy scalars are accepted at run time only
    index: Any = np.uint8(3)
    config = AcquisitionConfig(resolution=(width, height), fov_um=fov, scan_speed_index=index)
    assert config.resolution == (640, 480)
    assert type(config.resolution[0]) is int
    assert config.fov_um == 2.5
    assert type(config.fov_um) is float
    assert type(config.scan_speed_index) is int
    assert json.loads(json.dumps(config.to_dict())) == config.to_dict()


def test_mode_and_detector_mode_that_disagree_are_refused() -> None:
    error = _refusal(AcquisitionConfig, mode="SE", detector_mode="BSE")
    assert _blamed_fields(error) == {"detector_mode"}
    assert "detector_mode 'BSE' must agree with mode 'SE'" in str(error)


def test_mode_and_detector_mode_agree_ignoring_case() -> None:
    config = AcquisitionConfig(mode="BSE", detector_mode="bse")
    assert (config.mode, config.detector_mode) == ("BSE", "bse")


def test_mode_or_detector_mode_alone_is_accepted() -> None:
    assert AcquisitionConfig(mode="SE").detector_mode is None
    assert AcquisitionConfig(detector_mode="BSE").mode is None


def test_roi_spec_without_any_level_is_refused() -> None:
    for kwargs in ({}, {"roi_fov_um": 0, "l2_fov_um": 0.0, "l1_fov_um": 0, "l0_fov_um": 0}):
        error = _refusal(RoiSpec, name="r", **kwargs)
        assert "at least one level FOV must be > 0" in str(error)
        assert {"roi_fov_um", "l2_fov_um", "l1_fov_um", "l0_fov_um"} <= {
            word.strip(",") for word in str(error).split()
        }


@pytest.mark.parametrize(
    ("levels", "blamed"),
    [
        ({"roi_fov_um": 50, "l0_fov_um": 50}, "l0_fov_um"),
        ({"roi_fov_um": 50, "l2_fov_um": 40}, "l2_fov_um"),
        ({"l2_fov_um": 150, "l1_fov_um": 300, "l0_fov_um": 200}, "l0_fov_um"),
        ({"roi_fov_um": 50, "l2_fov_um": 150, "l1_fov_um": 100, "l0_fov_um": 1500}, "l1_fov_um"),
    ],
)
def test_roi_levels_that_do_not_grow_strictly_are_refused(
    levels: dict[str, float], blamed: str
) -> None:
    error = _refusal(RoiSpec, name="r", **levels)
    assert _blamed_fields(error) == {blamed}
    assert f"{blamed} (" in str(error)
    assert "roi < l2 < l1 < l0" in str(error)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("roi_fov_um", -1.0, "greater than or equal to 0"),
        ("l0_fov_um", math.nan, _FINITE),
        ("l1_fov_um", math.inf, _FINITE),
        ("l2_fov_um", True, _NUMBER),
        ("l0_fov_um", "1500", _NUMBER),
    ],
)
def test_roi_level_fov_rule_is_enforced(field: str, value: object, rule: str) -> None:
    base = {"roi_fov_um": 1.0, "l2_fov_um": 2.0, "l1_fov_um": 3.0, "l0_fov_um": 4.0}
    error = _refusal(RoiSpec, name="r", **{**base, field: value})
    assert _blamed_fields(error) == {field}
    assert rule in str(error)


def test_roi_spec_name_is_required() -> None:
    assert _blamed_fields(_refusal(RoiSpec, roi_fov_um=1)) == {"name"}


def test_zero_levels_are_skipped() -> None:
    spec = RoiSpec(name="r", roi_fov_um=50, l0_fov_um=1500)
    assert spec.levels() == [("roi", 50.0), ("l0", 1500.0)]
    assert RoiSpec(name="r", l1_fov_um=300).levels() == [("l1", 300.0)]


@_NO_DEADLINE
@given(roi_specs())
def test_levels_are_the_non_zero_fovs_finest_first_and_growing(spec: RoiSpec) -> None:
    levels = spec.levels()
    fovs = {level: getattr(spec, f"{level}_fov_um") for level in ROI_LEVELS}
    assert [level for level, _ in levels] == [level for level in ROI_LEVELS if fovs[level] > 0]
    assert all(fov == fovs[level] for level, fov in levels)
    assert all(a < b for (_, a), (_, b) in itertools.pairwise(levels))


def test_found_must_be_a_real_bool() -> None:
    assert _blamed_fields(_refusal(FindRoiResult, found="yes")) == {"found"}
    assert _blamed_fields(_refusal(FindRoiResult, found=1)) == {"found"}


def test_result_sizes_and_iterations_are_checked() -> None:
    assert _blamed_fields(_refusal(AcquisitionResult, correlation_id="op", size=(0, 4))) == {"size"}
    assert _blamed_fields(_refusal(AcquisitionResult, correlation_id=7)) == {"correlation_id"}
    assert _blamed_fields(_refusal(FindRoiResult, found=True, iterations=-1)) == {"iterations"}


# ---- dataclass behaviour -------------------------------------------------------------------


def test_replace_revalidates() -> None:
    config = AcquisitionConfig(fov_um=100, mode="SE")
    assert dataclasses.replace(config, fov_um=50).fov_um == 50.0
    with pytest.raises(ValidationError, match="fov_um"):
        dataclasses.replace(config, fov_um=-1)
    with pytest.raises(ValidationError, match="detector_mode"):
        dataclasses.replace(config, detector_mode="BSE")
    spec = RoiSpec(name="r", roi_fov_um=50, l0_fov_um=1500)
    with pytest.raises(ValidationError, match="l0_fov_um"):
        dataclasses.replace(spec, l0_fov_um=10)
    with pytest.raises(ValidationError, match="size"):
        dataclasses.replace(AcquisitionResult(correlation_id="op"), size=(1, 2, 3))  # type: ignore[arg-type]


def test_refused_assignment_leaves_the_object_unchanged() -> None:
    spec = RoiSpec(name="r", roi_fov_um=50, l0_fov_um=1500)
    with pytest.raises(ValidationError, match="l0_fov_um"):
        spec.l0_fov_um = 10
    assert spec == RoiSpec(name="r", roi_fov_um=50, l0_fov_um=1500)
    config = AcquisitionConfig(mode="SE")
    with pytest.raises(ValidationError, match="detector_mode"):
        config.detector_mode = "BSE"
    with pytest.raises(ValidationError, match="fov_um"):
        config.fov_um = math.nan
    assert config == AcquisitionConfig(mode="SE")


def test_accepted_assignment_is_validated_and_converted() -> None:
    config = AcquisitionConfig()
    config.resolution = [640, 480]  # type: ignore[assignment]
    config.fov_um = 100
    assert config.resolution == (640, 480)
    assert isinstance(config.fov_um, float)


def test_assigning_an_unknown_attribute_is_refused() -> None:
    config = AcquisitionConfig()
    with pytest.raises(AttributeError, match="fov"):
        config.fov = 100  # type: ignore[attr-defined]


@_NO_DEADLINE
@given(any_model)
def test_models_survive_copy_and_pickle(model: Model) -> None:
    assert copy.deepcopy(model) == model
    assert pickle.loads(pickle.dumps(model)) == model


def test_asdict_gives_every_field() -> None:
    config = AcquisitionConfig(fov_um=100, resolution=(640, 480), roi_level="l1")
    data = dataclasses.asdict(config)
    assert list(data) == SEED_FIELDS[AcquisitionConfig]
    assert (data["fov_um"], data["resolution"], data["roi_level"]) == (100.0, (640, 480), "l1")


# ---- JSON Schema ---------------------------------------------------------------------------


def _non_null(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of an optional property (or the property itself)."""
    branches: list[dict[str, Any]] = [
        b for b in prop.get("anyOf", [prop]) if b.get("type") != "null"
    ]
    assert len(branches) == 1
    return branches[0]


def test_acquisition_config_schema_shows_every_bound() -> None:
    schema = TypeAdapter(AcquisitionConfig).json_schema()
    props = schema["properties"]
    assert list(props) == SEED_FIELDS[AcquisitionConfig]
    assert schema.get("required", []) == []
    # Finite (at most the largest double) and, for integers, within RFC 8259's exact range.
    for name in ("fov_um", "dwell_time_us", "working_distance_mm"):
        assert _non_null(props[name]) == {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": sys.float_info.max,
        }
    for name in ("scan_speed_index", "detector_channel"):
        assert _non_null(props[name]) == {"type": "integer", "minimum": 0, "maximum": 2**53 - 1}
    pixel = {"type": "integer", "minimum": 1, "maximum": 65536}
    assert _non_null(props["resolution"]) == {
        "type": "array",
        "prefixItems": [pixel, pixel],
        "minItems": 2,
        "maxItems": 2,
    }
    assert _non_null(props["roi_name"]) == {"type": "string", "pattern": ROI_NAME_PATTERN}
    assert _non_null(props["roi_level"]) == {"type": "string", "enum": list(ROI_LEVELS)}
    assert _non_null(props["bit_depth"]) == {"type": "integer", "enum": [8, 16]}
    for name in ("mode", "detector_mode"):
        assert _non_null(props[name]) == {"type": "string"}
    for prop in props.values():
        assert {"type": "null"} in prop["anyOf"]
        assert prop["default"] is None


def test_acquisition_result_schema_is_open_and_requires_only_the_correlation_id() -> None:
    schema = TypeAdapter(AcquisitionResult).json_schema()
    assert schema["required"] == ["correlation_id"]
    assert "additionalProperties" not in schema  # from_dict keeps unknown keys
    props = schema["properties"]
    positive = {"type": "integer", "minimum": 1}
    assert _non_null(props["size"])["prefixItems"] == [positive, positive]
    assert props["metadata"]["type"] == "object"
    for name in ("image_id", "remote_path", "local_path", "mime"):
        assert _non_null(props[name]) == {"type": "string"}


def test_roi_spec_schema_shows_the_level_bounds_and_name_pattern() -> None:
    schema = TypeAdapter(RoiSpec).json_schema()
    assert schema["required"] == ["name"]
    assert schema["properties"]["name"]["pattern"] == ROI_NAME_PATTERN
    for level in ROI_LEVELS:
        prop = schema["properties"][f"{level}_fov_um"]
        assert (prop["type"], prop["minimum"], prop["default"]) == ("number", 0, 0.0)


@pytest.mark.parametrize("cls", list(SEED_FIELDS), ids=lambda cls: cls.__name__)
def test_every_field_is_described_in_the_schema(cls: type[Any]) -> None:
    schema = TypeAdapter(cls).json_schema()
    assert cls.__doc__
    assert schema["description"].startswith(cls.__doc__.splitlines()[0])
    for name, prop in schema["properties"].items():
        assert prop.get("description"), name
