"""Hypothesis strategies for semphony's models, for property-testing code that uses them.

Install with ``pip install 'semphony[testing]'``. Valid strategies cover everything the models
accept (not only typical microscope settings); invalid strategies draw keyword arguments that
the model must refuse, paired with the name of the field the error must blame::

    import pytest
    from hypothesis import given
    from semphony.models import AcquisitionConfig
    from semphony.testing import acquisition_configs, invalid_acquisition_config_kwargs

    @given(acquisition_configs())
    def test_planner_accepts_any_config(config: AcquisitionConfig) -> None:
        plan(config)

    @given(invalid_acquisition_config_kwargs())
    def test_bad_settings_are_refused(case: tuple[dict[str, object], str]) -> None:
        kwargs, field = case
        with pytest.raises(ValueError, match=field):
            AcquisitionConfig(**kwargs)

Strategies:

- :func:`acquisition_configs` — valid :class:`~semphony.models.AcquisitionConfig` objects.
- :func:`invalid_acquisition_config_kwargs` — ``(kwargs, field)`` for every invalid class
  (optionally of one field):
  NaN, ±inf, zero, negative, bool as a number, numeric strings, floats for integers,
  wrong resolution arity or container, out-of-range pixels, unknown level, bad slug,
  bit depth other than 8 or 16, ``mode``/``detector_mode`` disagreeing, unknown keyword.
- :func:`roi_specs` — valid :class:`~semphony.models.RoiSpec` objects (1 to 4 levels).
- :func:`invalid_roi_spec_kwargs` — ``(kwargs, field)``, optionally of one field: bad or
  missing name, NaN, inf, negative, bool or string level FOVs, no level at all, non-increasing
  levels.
- :func:`acquisition_results` and :func:`find_roi_results` — valid, JSON-ready results.
- :func:`roi_names` — valid ROI names.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ImportError("semphony.testing needs hypothesis: pip install 'semphony[testing]'") from exc

from semphony.models import (
    MAX_RESOLUTION_PX,
    ROI_LEVELS,
    ROI_NAME_PATTERN,
    AcquisitionConfig,
    AcquisitionResult,
    FindRoiResult,
    RoiSpec,
)

__all__ = [
    "acquisition_configs",
    "acquisition_results",
    "find_roi_results",
    "invalid_acquisition_config_kwargs",
    "invalid_roi_spec_kwargs",
    "roi_names",
    "roi_specs",
]

InvalidCase = tuple[dict[str, Any], str]
"""Keyword arguments a model must refuse, and the field its error must name."""

_SLUG_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
_SLUG_BODY = ROI_NAME_PATTERN.removeprefix("^").removesuffix("$")

# ---- valid values -------------------------------------------------------------------------

_finite = st.floats(allow_nan=False, allow_infinity=False)
_positive_float = st.one_of(
    st.floats(min_value=0.0, exclude_min=True, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=10**9),  # the seed passes ints: fov_um=100
)
_non_negative_int = st.integers(min_value=0, max_value=2**31)
_pixels = st.integers(min_value=1, max_value=MAX_RESOLUTION_PX)
_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), _finite, st.text())
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(), inner, max_size=3)
    ),
    max_leaves=8,
)
_json_objects = st.dictionaries(st.text(), _json_values, max_size=4)


def roi_names() -> st.SearchStrategy[str]:
    """Valid ROI names: a letter or digit, then up to 63 letters, digits, ``_``, ``.``, ``-``."""
    return st.from_regex(_SLUG_BODY, fullmatch=True)


@st.composite
def _acquisition_config_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    kwargs: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "fov_um": _positive_float,
                "resolution": st.tuples(_pixels, _pixels),
                "mode": st.one_of(st.sampled_from(["SE", "BSE", "InLens"]), st.text()),
                "dwell_time_us": _positive_float,
                "working_distance_mm": _positive_float,
                "scan_speed_index": _non_negative_int,
                "detector_channel": _non_negative_int,
                "detector_mode": st.text(),
                "roi_name": roi_names(),
                "roi_level": st.sampled_from(ROI_LEVELS),
                "bit_depth": st.sampled_from([8, 16]),
            },
        )
    )
    if "mode" in kwargs and "detector_mode" in kwargs:
        # When both are given they must agree; vary the case, which the rule ignores.
        mode: str = kwargs["mode"]
        variant = draw(st.sampled_from([mode, mode.lower(), mode.upper()]))
        kwargs["detector_mode"] = variant if variant.casefold() == mode.casefold() else mode
    return kwargs


def acquisition_configs() -> st.SearchStrategy[AcquisitionConfig]:
    """Valid acquisition configurations, from all-None to every field set."""
    return _acquisition_config_kwargs().map(lambda kwargs: AcquisitionConfig(**kwargs))


@st.composite
def _roi_spec_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    used = draw(
        st.lists(st.sampled_from(ROI_LEVELS), min_size=1, max_size=len(ROI_LEVELS), unique=True)
    )
    fovs = draw(st.lists(_positive_float, min_size=len(used), max_size=len(used), unique_by=float))
    kwargs: dict[str, Any] = {"name": draw(roi_names())}
    ordered = [level for level in ROI_LEVELS if level in used]
    for level, fov in zip(ordered, sorted(fovs, key=float), strict=True):
        kwargs[f"{level}_fov_um"] = fov
    for level in ROI_LEVELS:
        if level not in used and draw(st.booleans()):
            kwargs[f"{level}_fov_um"] = draw(st.sampled_from([0, 0.0]))  # explicit skip
    return kwargs


def roi_specs() -> st.SearchStrategy[RoiSpec]:
    """Valid ROI specs: one to four levels whose FOVs grow strictly from roi to l0."""
    return _roi_spec_kwargs().map(lambda kwargs: RoiSpec(**kwargs))


def acquisition_results() -> st.SearchStrategy[AcquisitionResult]:
    """Valid acquisition results with JSON-ready metadata."""
    optional_text = st.none() | st.text()
    return st.builds(
        AcquisitionResult,
        correlation_id=st.text(),
        image_id=optional_text,
        remote_path=optional_text,
        local_path=optional_text,
        mime=st.none() | st.sampled_from(["image/tiff", "image/png"]),
        size=st.none() | st.tuples(st.integers(min_value=1), st.integers(min_value=1)),
        metadata=_json_objects,
    )


def find_roi_results() -> st.SearchStrategy[FindRoiResult]:
    """Valid find_roi results: a pose with x, y (mm) and optionally r (deg) and fov_um."""
    pose = st.fixed_dictionaries(
        {"x": _finite, "y": _finite}, optional={"r": _finite, "fov_um": _positive_float}
    )
    return st.builds(
        FindRoiResult,
        found=st.booleans(),
        final_pose=st.none() | pose,
        iterations=_non_negative_int,
        level_history=st.lists(_json_objects, max_size=3),
        metrics=_json_objects,
    )


# ---- invalid values -----------------------------------------------------------------------

_numeric_strings = st.one_of(
    st.sampled_from(["3", "1.5", "0", "-1", "nan", "inf", "1e3", " 7 "]),
    st.integers().map(str),
    _finite.map(repr),
)
_not_finite = st.sampled_from([math.nan, math.inf, -math.inf])
_negative_float = st.floats(max_value=0.0, exclude_max=True, allow_nan=False).filter(
    lambda x: x < 0
)
_bad_positive_float = st.one_of(
    _not_finite,
    st.sampled_from([0, 0.0, -0.0]),
    _negative_float,
    st.integers(max_value=-1),
    st.booleans(),
    _numeric_strings,
)
_bad_non_negative_float = st.one_of(
    _not_finite, _negative_float, st.integers(max_value=-1), st.booleans(), _numeric_strings
)
_non_integral = st.one_of(
    _finite.filter(lambda x: not x.is_integer()),
    st.integers(min_value=0, max_value=100).map(float),  # 3.0 is still not an int
)
_bad_non_negative_int = st.one_of(
    st.integers(max_value=-1), st.booleans(), _numeric_strings, _non_integral, _not_finite
)
_bad_pixel = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=MAX_RESOLUTION_PX + 1),
    st.booleans(),
    _numeric_strings,
    st.integers(min_value=1, max_value=MAX_RESOLUTION_PX).map(float),
)


@st.composite
def _bad_resolution(draw: st.DrawFn) -> object:
    good = st.integers(min_value=1, max_value=MAX_RESOLUTION_PX)
    kind = draw(st.sampled_from(["arity", "element", "container"]))
    if kind == "arity":
        items = draw(st.lists(good, max_size=5).filter(lambda xs: len(xs) != 2))
        return draw(st.sampled_from([items, tuple(items)]))
    if kind == "element":
        pair: list[object] = [draw(good), draw(good)]
        pair[draw(st.integers(0, 1))] = draw(_bad_pixel)
        return draw(st.sampled_from([pair, tuple(pair)]))
    return draw(
        st.one_of(
            st.sets(good, min_size=2, max_size=2),  # unordered: which is the width?
            good,
            st.sampled_from(["1024x1024", "1024,768", ""]),
            st.just({"width": 1024, "height": 768}),
        )
    )


_non_string = st.one_of(st.integers(), st.booleans(), st.binary(min_size=1), _finite)


@st.composite
def _bad_roi_name(draw: st.DrawFn) -> object:
    slug_tail = st.text(alphabet=_SLUG_CHARS, max_size=10)
    kind = draw(st.sampled_from(["empty", "first", "char", "long", "newline", "type"]))
    if kind == "empty":
        return ""
    if kind == "first":
        return draw(st.sampled_from("_.- /")) + draw(slug_tail)
    if kind == "char":
        bad = draw(st.sampled_from([*" /\\:@#*?ü\t\x00", "µm"]))
        return draw(roi_names())[:60] + bad + draw(slug_tail)
    if kind == "long":
        return "a" + draw(st.text(alphabet=_SLUG_CHARS, min_size=64, max_size=100))
    if kind == "newline":
        return draw(roi_names()) + "\n"
    return draw(_non_string)


_bad_roi_level = st.one_of(
    st.text().filter(lambda s: s not in ROI_LEVELS),
    st.sampled_from(["ROI", "L0", "l3", "level0", " roi"]),
    st.integers(min_value=0, max_value=3),
)
_bad_bit_depth = st.one_of(
    st.integers().filter(lambda n: n not in (8, 16)),
    st.booleans(),
    st.sampled_from([8.0, 16.0, "8", "16", 12, 24, 32]),
)

_CONFIG_FIELDS = frozenset(f.name for f in fields(AcquisitionConfig))
_INVALID_CONFIG_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "fov_um": _bad_positive_float,
    "resolution": _bad_resolution(),
    "mode": _non_string,
    "dwell_time_us": _bad_positive_float,
    "working_distance_mm": _bad_positive_float,
    "scan_speed_index": _bad_non_negative_int,
    "detector_channel": _bad_non_negative_int,
    "detector_mode": _non_string,
    "roi_name": _bad_roi_name(),
    "roi_level": _bad_roi_level,
    "bit_depth": _bad_bit_depth,
}


@st.composite
def _invalid_acquisition_config(draw: st.DrawFn, kinds: tuple[str, ...]) -> InvalidCase:
    kwargs = draw(_acquisition_config_kwargs())
    kind = draw(st.sampled_from(kinds))
    if kind == "mode_mismatch":
        mode = draw(st.text())
        other = draw(st.text().filter(lambda s: s.casefold() != mode.casefold()))
        kwargs.update(mode=mode, detector_mode=other)
        return kwargs, "detector_mode"
    if kind == "unknown":
        key = draw(
            st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
                lambda k: k not in _CONFIG_FIELDS
            )
        )
        kwargs[key] = draw(_json_scalars)
        return kwargs, key
    kwargs[kind] = draw(_INVALID_CONFIG_VALUES[kind])
    return kwargs, kind


def invalid_acquisition_config_kwargs(field: str | None = None) -> st.SearchStrategy[InvalidCase]:
    """Pairs ``(kwargs, field)``: ``AcquisitionConfig(**kwargs)`` must refuse, naming ``field``.

    Every other argument in ``kwargs`` is valid, so the one named field is the only fault. Give
    ``field`` to draw only the faults of that field (``detector_mode`` includes disagreeing with
    ``mode``); without it, unknown keywords are drawn too, named by the keyword.
    """
    if field is None:
        kinds = (*sorted(_INVALID_CONFIG_VALUES), "mode_mismatch", "unknown")
    elif field in _INVALID_CONFIG_VALUES:
        kinds = (field, "mode_mismatch") if field == "detector_mode" else (field,)
    else:
        raise ValueError(f"field must be one of {sorted(_INVALID_CONFIG_VALUES)}, got {field!r}")
    return _invalid_acquisition_config(kinds)


_LEVEL_FIELDS = tuple(f"{level}_fov_um" for level in ROI_LEVELS)


@st.composite
def _wrong_level_order(draw: st.DrawFn, coarser: str) -> InvalidCase:
    # Two used levels, the coarser no larger than the finer; every other used level keeps the
    # chain growing, so this is the one pair the rule finds at fault.
    i = _LEVEL_FIELDS.index(coarser)
    j = draw(st.integers(min_value=0, max_value=i - 1))
    fovs = draw(st.lists(_positive_float, min_size=4, max_size=4, unique_by=float))
    kwargs: dict[str, Any] = {"name": draw(roi_names())}
    for k, (level_field, fov) in enumerate(
        zip(_LEVEL_FIELDS, sorted(fovs, key=float), strict=True)
    ):
        if k in (i, j) or (not j < k < i and draw(st.booleans())):
            kwargs[level_field] = fov
    finer_um = float(kwargs[_LEVEL_FIELDS[j]])
    kwargs[coarser] = draw(
        st.one_of(
            st.just(finer_um),
            st.floats(min_value=0.0, max_value=finer_um, exclude_min=True),
        )
    )
    return kwargs, coarser


@st.composite
def _invalid_roi_spec(draw: st.DrawFn, field: str | None) -> InvalidCase:
    kwargs = draw(_roi_spec_kwargs())
    if field is None:
        kinds = ["name", "missing_name", "level_value", "no_level", "order"]
    elif field == "name":
        kinds = ["name", "missing_name"]
    elif field == "roi_fov_um":
        kinds = ["level_value", "no_level"]
    else:
        kinds = ["level_value", "order"]
    kind = draw(st.sampled_from(kinds))
    if kind == "name":
        kwargs["name"] = draw(_bad_roi_name())
        return kwargs, "name"
    if kind == "missing_name":
        del kwargs["name"]
        return kwargs, "name"
    if kind == "level_value":
        level_field = field or draw(st.sampled_from(_LEVEL_FIELDS))
        kwargs[level_field] = draw(_bad_non_negative_float)
        return kwargs, level_field
    if kind == "no_level":
        for level_field in _LEVEL_FIELDS:
            kwargs.pop(level_field, None)
            if draw(st.booleans()):
                kwargs[level_field] = draw(st.sampled_from([0, 0.0, -0.0]))
        return kwargs, "roi_fov_um"
    return draw(_wrong_level_order(field or draw(st.sampled_from(_LEVEL_FIELDS[1:]))))


def invalid_roi_spec_kwargs(field: str | None = None) -> st.SearchStrategy[InvalidCase]:
    """Pairs ``(kwargs, field)``: ``RoiSpec(**kwargs)`` must refuse, naming ``field``.

    For "no level at all" the named field is ``roi_fov_um`` (the message lists every level);
    for a wrong order it is the coarser level of the pair that does not grow. Give ``field`` to
    draw only the faults that name it.
    """
    if field is not None and field not in ("name", *_LEVEL_FIELDS):
        raise ValueError(f"field must be one of {['name', *_LEVEL_FIELDS]}, got {field!r}")
    return _invalid_roi_spec(field)
