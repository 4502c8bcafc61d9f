"""What every capability shares: the session it acts for and the check-then-send rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pydantic

from semphony._exceptions import InvalidResponseError
from semphony._state import Command, InstrumentState, StagePose
from semphony._transport import SyncTransport

if TYPE_CHECKING:
    from semphony.session import Session

__all__ = ["Capability", "parse_pose", "parse_state"]


def parse_state(doc: Mapping[str, Any]) -> InstrumentState:
    """An `InstrumentState` from a wire document; a malformed one is an `InvalidResponseError`."""
    try:
        return InstrumentState.from_wire(doc)
    except pydantic.ValidationError as exc:
        raise InvalidResponseError(
            f"the instrument state the server sent is malformed: {exc}"
        ) from exc


def parse_pose(doc: Mapping[str, Any]) -> StagePose:
    """A `StagePose` from a wire document; a malformed one is an `InvalidResponseError`."""
    try:
        return StagePose.model_validate(dict(doc))
    except pydantic.ValidationError as exc:
        raise InvalidResponseError(f"the stage pose the server sent is malformed: {exc}") from exc


class Capability:
    """One part of the instrument a session controls (beam, chamber, stage, optics, imaging).

    Every command method builds its command, reads the state afresh, asks the session's
    guardrails, and only then sends; a refusal sends nothing. Reads are never judged.
    """

    def __init__(self, session: Session, transport: SyncTransport) -> None:
        self._session = session
        self._transport = transport

    def _guard(self, command: Command) -> InstrumentState:
        """Raise `SemphonyGuardrailException` unless the guardrails allow `command` now."""
        state = self._session.state()
        self._session.guardrails.check(command, state)
        return state
