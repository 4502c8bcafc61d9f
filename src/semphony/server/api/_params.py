"""Path parameters shared by the routers, with the contract's constraints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from semphony.server.schemas import IMAGE_ID_PATTERN, NAME_PATTERN

RunId = Annotated[str, Path(min_length=1, max_length=128)]
SessionId = Annotated[str, Path(min_length=1, max_length=128)]
OperationId = Annotated[str, Path(min_length=1, max_length=128)]
ImageId = Annotated[str, Path(pattern=IMAGE_ID_PATTERN)]
RoiName = Annotated[str, Path(pattern=NAME_PATTERN)]
