"""The documented configuration and result objects of the semphony SDK.

The SDK uses Python dataclasses for configuration and result objects. Every class here is a
pydantic dataclass: a real :mod:`dataclasses` dataclass (``fields``, ``replace`` and ``asdict``
work), keyword-only, validated on construction, on ``dataclasses.replace`` and on assignment.

Every model has ``to_dict()`` (JSON-ready; configurations keep only non-None fields) and the
class method ``from_dict(data)`` (lists accepted where a tuple is expected). ``from_dict`` of a
configuration refuses an unknown key, naming it, because a misspelt setting must not be dropped
silently; ``from_dict`` of a result keeps unknown keys (in ``metadata`` for
:class:`AcquisitionResult`, in ``metrics`` for :class:`FindRoiResult`) so a newer server never
breaks an older SDK.

Every rejection is a :class:`pydantic.ValidationError` (a :class:`ValueError`) whose message names
the field and the rule. Numbers are checked strictly: a bool or a numeric string such as ``"3"``
is refused, an ``int`` is accepted where a ``float`` is expected (``fov_um=100``), and numpy
scalars are accepted as the Python numbers they stand for. Rules that involve several fields
(``mode`` against ``detector_mode``, the order of the ROI levels) are reported without a
location; their error's ``ctx["field"]`` names the field to blame.
"""

from __future__ import annotations

import dataclasses
import itertools
import numbers
from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal, Self

from annotated_types import Ge, Gt, Le
from pydantic import (
    AllowInfNan,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    model_validator,
)
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

__all__ = [
    "MAX_RESOLUTION_PX",
    "ROI_LEVELS",
    "ROI_NAME_PATTERN",
    "AcquisitionConfig",
    "AcquisitionResult",
    "FindRoiResult",
    "RoiLevel",
    "RoiSpec",
]

RoiLevel = Literal["roi", "l2", "l1", "l0"]
"""A level of the ROI pyramid, from the finest (``roi``) to the coarsest overview (``l0``)."""

ROI_LEVELS: Final[tuple[RoiLevel, ...]] = ("roi", "l2", "l1", "l0")
"""The ROI pyramid's levels, finest first (the order ``save_roi`` acquires them)."""

ROI_NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
"""A ROI name: a letter or digit, then up to 63 letters, digits, ``_``, ``.`` or ``-``.

Pydantic and JSON Schema read ``$`` as the end of the text; with Python's :mod:`re` use
``re.fullmatch``, since there ``$`` also matches before a trailing newline.
"""

MAX_RESOLUTION_PX: Final = 65536
"""The largest image width or height, in pixels, a configuration may ask for."""


def _plain_int(value: object) -> object:
    """Turn an integer scalar that is not an ``int`` (e.g. ``numpy.int64``) into an ``int``."""
    if isinstance(value, int):
        return value  # bool included: the strict validator refuses it with its own message
    if isinstance(value, numbers.Integral):
        return int(value)
    return value


def _plain_float(value: object) -> object:
    """Turn a real scalar that is neither int nor float (e.g. ``numpy.float32``) into a float."""
    if isinstance(value, int | float):
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def _integer_only(value: object) -> object:
    """Refuse a non-integer before a ``Literal`` of ints, which would accept ``8.0`` or ``True``."""
    value = _plain_int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _pair(value: object) -> object:
    """Accept only a list or tuple of exactly two items where a (width, height) pair is expected.

    Pydantic's lax mode would also take a set (unordered) and reports a wrong length as a missing
    or extra item; this says what is wrong in one sentence.
    """
    if value is None:
        return value
    if not isinstance(value, (list, tuple)):
        raise PydanticCustomError(
            "pair_type",
            "Input should be a (width, height) pair: a tuple or list of two integers",
        )
    if len(value) != 2:
        raise PydanticCustomError(
            "pair_length",
            "Input should be a (width, height) pair of exactly 2 integers, got {count} item(s)",
            {"count": len(value)},
        )
    return value


# Constraints come before the BeforeValidator so pydantic still sees them as the number's own
# bounds (minimum/exclusiveMinimum in the JSON Schema) rather than as opaque metadata.
_Str = Annotated[str, Strict()]
_NonNegativeInt = Annotated[int, Strict(), Ge(0), Le(2**53 - 1), BeforeValidator(_plain_int)]
_PositiveInt = Annotated[int, Strict(), Ge(1), BeforeValidator(_plain_int)]
_Pixels = Annotated[int, Strict(), Ge(1), Le(MAX_RESOLUTION_PX), BeforeValidator(_plain_int)]
_PositiveFloat = Annotated[
    float,
    Strict(),
    AllowInfNan(False),
    Gt(0),
    Le(1.7976931348623157e308),
    BeforeValidator(_plain_float),
]
_NonNegativeFloat = Annotated[
    float, Strict(), AllowInfNan(False), Ge(0), BeforeValidator(_plain_float)
]
_Resolution = Annotated[tuple[_Pixels, _Pixels] | None, BeforeValidator(_pair)]
_Size = Annotated[tuple[_PositiveInt, _PositiveInt] | None, BeforeValidator(_pair)]
_RoiName = Annotated[str, Strict(), StringConstraints(pattern=ROI_NAME_PATTERN)]
_BitDepth = Annotated[Literal[8, 16], BeforeValidator(_integer_only)]
_JsonObject = dict[str, Any]


def _open_schema(schema: dict[str, Any]) -> None:
    # A result document may carry keys a newer server added; from_dict keeps them, so the
    # schema must not claim they are forbidden.
    schema.pop("additionalProperties", None)


# Pydantic's own validate_assignment would store the new value before a cross-field rule
# refuses it, leaving a half-changed object; _Model.__setattr__ revalidates the whole object
# first instead.
_CONFIG_SETTINGS = ConfigDict(extra="forbid")
_RESULT_SETTINGS = ConfigDict(extra="forbid", json_schema_extra=_open_schema)


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    if cls not in _ADAPTERS:
        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


def _as_dict(data: object) -> object:
    # Any Mapping is welcome; anything else goes to pydantic, which refuses it with a
    # ValidationError like every other rejection.
    return dict(data) if isinstance(data, Mapping) else data


class _Model:
    """Behaviour shared by every model: validated assignment and JSON-ready ``to_dict``."""

    _drop_none: ClassVar[bool] = False

    if not TYPE_CHECKING:  # hidden from type checkers, which then still flag unknown names

        def __setattr__(self, name: str, value: Any) -> None:
            values = {f.name: getattr(self, f.name) for f in fields(self)}
            if name not in values:
                raise AttributeError(f"{type(self).__name__} has no field {name!r}")
            values[name] = value
            # Validate the whole object so a cross-field rule refuses before anything changes.
            checked = type(self)(**values)
            object.__setattr__(self, name, getattr(checked, name))

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict (tuples become lists)."""
        result: dict[str, Any] = _adapter(type(self)).dump_python(
            self, mode="json", exclude_none=self._drop_none
        )
        return result


class _Config(_Model):
    """A configuration: ``to_dict`` drops None fields, ``from_dict`` refuses unknown keys."""

    _drop_none: ClassVar[bool] = True

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build and validate from a mapping (lists accepted for tuples, unknown keys refused)."""
        instance: Self = _adapter(cls).validate_python(_as_dict(data))
        return instance


class _Result(_Model):
    """A result: ``to_dict`` keeps every field, ``from_dict`` keeps unknown keys."""

    _extras_field: ClassVar[str]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build and validate from a mapping, keeping unknown keys in the extras field.

        Lists are accepted for tuples. Where an unknown key is also a key of the explicit extras
        mapping, the explicit entry wins.
        """
        payload = _as_dict(data)
        if isinstance(payload, dict):
            known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
            unknown = {k: v for k, v in payload.items() if k not in known}
            extras = payload.get(cls._extras_field, {})
            if unknown and isinstance(extras, Mapping):
                payload = {k: v for k, v in payload.items() if k in known}
                payload[cls._extras_field] = {**unknown, **extras}
        instance: Self = _adapter(cls).validate_python(payload)
        return instance


@dataclass(kw_only=True, config=_CONFIG_SETTINGS)
class AcquisitionConfig(_Config):
    """Configuration for an ``imaging.acquire`` call.

    All fields are optional; device clients may ignore unsupported fields. Only non-None fields
    are sent in the request. ``mode`` and ``detector_mode``, when both are given, must agree
    (compared case-insensitively, so ``"SE"`` and ``"se"`` agree). ``bit_depth`` is an
    extension beyond the documented fields.

    Example::

        config = AcquisitionConfig(
            fov_um=100,  # field of view in µm
            resolution=(1024, 1024),  # width, height in pixels
            mode="SE",  # detector mode (e.g. "SE", "BSE")
            dwell_time_us=1.0,  # dwell time per pixel in µs
            working_distance_mm=10.5,
            scan_speed_index=3,
            detector_channel=0,
        )
    """

    fov_um: Annotated[
        _PositiveFloat | None,
        Field(
            description="Requested field of view in micrometres (µm), finite and > 0. "
            "Sets the SEM view field before scanning."
        ),
    ] = None
    resolution: Annotated[
        _Resolution,
        Field(description="Image resolution as (width, height) in pixels, each 1..65536."),
    ] = None
    mode: Annotated[
        _Str | None,
        Field(description='Detector mode, e.g. "SE" (secondary electron) or "BSE" (backscatter).'),
    ] = None
    dwell_time_us: Annotated[
        _PositiveFloat | None,
        Field(description="Pixel dwell time in microseconds (µs), finite and > 0."),
    ] = None
    working_distance_mm: Annotated[
        _PositiveFloat | None,
        Field(
            description="Working distance in millimetres (mm), finite and > 0. "
            "Set before acquisition if provided."
        ),
    ] = None
    scan_speed_index: Annotated[
        _NonNegativeInt | None,
        Field(description="Scan speed index (ScSetSpeed), >= 0. Device-specific mapping."),
    ] = None
    detector_channel: Annotated[
        _NonNegativeInt | None,
        Field(description="Detector channel index, >= 0."),
    ] = None
    detector_mode: Annotated[
        _Str | None,
        Field(
            description="Detector mode string (SE, BSE, etc.); must agree with mode "
            "(ignoring case) when both are given."
        ),
    ] = None
    roi_name: Annotated[
        _RoiName | None,
        Field(
            description="ROI name stored in acquisition metadata (used by save_roi): a letter "
            "or digit, then up to 63 letters, digits, '_', '.' or '-'."
        ),
    ] = None
    roi_level: Annotated[
        RoiLevel | None,
        Field(description='ROI level ("roi", "l2", "l1", "l0") stored in acquisition metadata.'),
    ] = None
    bit_depth: Annotated[
        _BitDepth | None,
        Field(
            description="Bits per pixel of the image, 8 or 16 (extension; None = device default)."
        ),
    ] = None

    @model_validator(mode="after")
    def _modes_agree(self) -> Self:
        if (
            self.mode is not None
            and self.detector_mode is not None
            and self.mode.casefold() != self.detector_mode.casefold()
        ):
            raise PydanticCustomError(
                "mode_mismatch",
                "detector_mode {detector_mode} must agree with mode {mode} "
                "(rule: when both are given they name the same detector mode, ignoring case)",
                {
                    "field": "detector_mode",
                    "mode": repr(self.mode),
                    "detector_mode": repr(self.detector_mode),
                },
            )
        return self


@dataclass(kw_only=True, config=_RESULT_SETTINGS)
class AcquisitionResult(_Result):
    """Returned by ``imaging.acquire()``.

    Contains the correlation ID, artifact references, and optional local path if the image was
    downloaded. ``from_dict`` keeps keys it does not know in ``metadata``.
    """

    _extras_field: ClassVar[str] = "metadata"

    correlation_id: Annotated[
        _Str,
        Field(
            description="Unique ID for this acquisition in the control server (the operation id)."
        ),
    ]
    image_id: Annotated[
        _Str | None,
        Field(description="Artifact ID for downloading the image via the API."),
    ] = None
    remote_path: Annotated[
        _Str | None,
        Field(description="Path to the image on the control server."),
    ] = None
    local_path: Annotated[
        _Str | None,
        Field(description="Local file path if downloaded with target_path (client side only)."),
    ] = None
    mime: Annotated[
        _Str | None,
        Field(description='MIME type of the image (e.g. "image/tiff").'),
    ] = None
    size: Annotated[
        _Size,
        Field(description="Image dimensions as (width, height) in pixels."),
    ] = None
    metadata: Annotated[
        _JsonObject,
        Field(description="Any additional fields from the server response."),
    ] = dataclasses.field(default_factory=dict)


@dataclass(kw_only=True, config=_CONFIG_SETTINGS)
class RoiSpec(_Config):
    """Defines the field of view for each level of the ROI pyramid.

    Set a level's FOV to 0 (or omit) to skip it during ``save_roi``. The levels are acquired from
    finest (ROI) to coarsest (L0). At least one level must be > 0, and the non-zero levels must
    grow strictly: ``roi_fov_um < l2_fov_um < l1_fov_um < l0_fov_um``.

    Example::

        spec = RoiSpec(
            name="my_roi",
            roi_fov_um=50,  # finest level (ROI)
            l2_fov_um=150,  # intermediate level 2
            l1_fov_um=300,  # intermediate level 1
            l0_fov_um=1500,  # coarsest level (overview)
        )
    """

    name: Annotated[
        _RoiName,
        Field(
            description="Name identifier for the ROI: a letter or digit, then up to 63 letters, "
            "digits, '_', '.' or '-'."
        ),
    ]
    roi_fov_um: Annotated[
        _NonNegativeFloat,
        Field(
            description="Field of view for the finest ROI level, in micrometres (µm); 0 skips it."
        ),
    ] = 0.0
    l0_fov_um: Annotated[
        _NonNegativeFloat,
        Field(description="FOV for the coarsest overview level (L0), in µm; 0 skips it."),
    ] = 0.0
    l1_fov_um: Annotated[
        _NonNegativeFloat,
        Field(description="FOV for intermediate level 1, in µm. Default 0 (skipped)."),
    ] = 0.0
    l2_fov_um: Annotated[
        _NonNegativeFloat,
        Field(description="FOV for intermediate level 2, in µm. Default 0 (skipped)."),
    ] = 0.0

    def levels(self) -> list[tuple[RoiLevel, float]]:
        """Return the levels that are not skipped, finest first, as ``(level, fov_um)`` pairs."""
        fovs = {
            "roi": self.roi_fov_um,
            "l2": self.l2_fov_um,
            "l1": self.l1_fov_um,
            "l0": self.l0_fov_um,
        }
        return [(level, fovs[level]) for level in ROI_LEVELS if fovs[level] > 0]

    @model_validator(mode="after")
    def _levels_grow(self) -> Self:
        levels = self.levels()
        if not levels:
            raise PydanticCustomError(
                "roi_no_level",
                "roi_fov_um, l2_fov_um, l1_fov_um and l0_fov_um are all 0 "
                "(rule: at least one level FOV must be > 0; 0 skips a level)",
                {"field": "roi_fov_um"},
            )
        for (finer, finer_um), (coarser, coarser_um) in itertools.pairwise(levels):
            if not coarser_um > finer_um:
                raise PydanticCustomError(
                    "roi_level_order",
                    "{coarser} ({coarser_um} µm) must be greater than {finer} ({finer_um} µm) "
                    "(rule: non-zero level FOVs grow strictly roi < l2 < l1 < l0)",
                    {
                        "field": f"{coarser}_fov_um",
                        "coarser": f"{coarser}_fov_um",
                        "coarser_um": repr(coarser_um),
                        "finer": f"{finer}_fov_um",
                        "finer_um": repr(finer_um),
                    },
                )
        return self


@dataclass(kw_only=True, config=_RESULT_SETTINGS)
class FindRoiResult(_Result):
    """Returned by ``imaging.find_roi()``.

    Reports whether the ROI was found, the final stage pose, and per-iteration diagnostics.
    ``from_dict`` keeps keys it does not know in ``metrics``.
    """

    _extras_field: ClassVar[str] = "metrics"

    found: Annotated[
        bool,
        Strict(),
        Field(description="Whether the ROI was successfully relocated."),
    ]
    final_pose: Annotated[
        _JsonObject | None,
        Field(
            description="Final stage position: x and y in mm, optionally r in degrees and "
            "fov_um in µm."
        ),
    ] = None
    iterations: Annotated[
        _NonNegativeInt,
        Field(description="Total iterations performed across all levels, >= 0."),
    ] = 0
    level_history: Annotated[
        list[_JsonObject],
        Field(description="Per-iteration diagnostics (confidence, residuals, etc.)."),
    ] = dataclasses.field(default_factory=list)
    metrics: Annotated[
        _JsonObject,
        Field(description="Summary metrics from the find_roi orchestration."),
    ] = dataclasses.field(default_factory=dict)
