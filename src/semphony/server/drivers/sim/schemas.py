"""The wire shapes of the simulator-only routes (`/v1/sim/*`, openapi/semphony.yaml)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

__all__ = ["SimDetector", "SimFault", "SimReload"]


def _integral(value: object) -> object:
    """JSON Schema counts 3.0 as the integer 3, so an integral float is read as that int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Bounds before the validator, so that the JSON Schema states them (see `server.schemas`).
_DeviceCode = Annotated[int, Field(ge=-(2**31), le=2**31 - 1), BeforeValidator(_integral), Strict()]
_Lines = Annotated[int, Field(ge=0, le=65536), BeforeValidator(_integral), Strict()]
_Count = Annotated[int, Field(ge=1, le=1000), BeforeValidator(_integral), Strict()]


class _Request(BaseModel):
    """Closed, strict and finite, as the server's own request bodies (`server.schemas`)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class SimReload(_Request):
    """Remount the specimen: shift and rotation on top of the current placement (None: drawn)."""

    shift_x_um: float | None = Field(default=None, ge=-10000, le=10000)
    shift_y_um: float | None = Field(default=None, ge=-10000, le=10000)
    rotation_deg: float | None = Field(default=None, ge=-180, le=180)
    height_um: float | None = Field(default=None, ge=-1000, le=1000)


class SimFault(_Request):
    """A fault to arm; each kind takes only the members the contract lists for it."""

    fault: Literal["scan_error", "vacuum_loss", "drop_move", "slow"]
    device_code: _DeviceCode | None = None
    device_message: str | None = Field(default=None, max_length=500)
    after_lines: _Lines | None = None
    factor: float | None = Field(default=None, ge=1, le=1000)
    count: _Count | None = None


class SimDetector(_Request):
    """The simulated detector's response: gamma is the simulator's own; gain and offset are the
    normal detector's, accepted here as well."""

    gain: float | None = Field(default=None, ge=0.01, le=100)
    offset: float | None = Field(default=None, ge=-1, le=1)
    gamma: float | None = Field(default=None, ge=0.1, le=10)
