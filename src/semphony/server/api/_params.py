"""Parameters shared by the routers, with the contract's constraints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError

from semphony.server.schemas import IMAGE_ID_PATTERN, MAX_SAFE_INTEGER, NAME_PATTERN
from semphony.server.store.instruments import INSTRUMENT_PATTERN

RunId = Annotated[str, Path(min_length=1, max_length=128)]
SessionId = Annotated[str, Path(min_length=1, max_length=128)]
OperationId = Annotated[str, Path(min_length=1, max_length=128)]
ImageId = Annotated[str, Path(pattern=IMAGE_ID_PATTERN)]
RoiName = Annotated[str, Path(pattern=NAME_PATTERN)]
AfterId = Annotated[int, Query(ge=0, le=MAX_SAFE_INTEGER)]
InstrumentQuery = Annotated[str | None, Query(pattern=INSTRUMENT_PATTERN)]


async def refuse_null_body(request: Request) -> None:
    """An optional body may be absent, but a JSON `null` is not the object the contract names."""
    if (await request.body()).strip() == b"null":
        raise RequestValidationError(
            [{"type": "model_type", "loc": ("body",), "msg": "Input should be an object, not null"}]
        )


# Put it after the token's dependency, so that a missing token is still a 401 first.
NotNullBody = Annotated[None, Depends(refuse_null_body)]
