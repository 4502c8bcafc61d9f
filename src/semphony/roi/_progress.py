"""The progress display of `find_roi`: a rich bar over the levels, or a callback, or nothing."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

__all__ = ["FindProgress", "ProgressOption"]

ProgressOption = bool | Callable[[int, int, str], None] | None
"""`True` shows a rich display; a callable gets `(levels_done, levels_total, message)`."""


class FindProgress:
    """Levels done out of the total, with the latest iteration's news as the description."""

    def __init__(self, option: ProgressOption, *, total: int) -> None:
        self._callback = option if callable(option) else None
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._total = total
        self._done = 0
        if option is True:
            self._bar = Progress(
                TextColumn("[bold]find_roi"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                transient=False,
            )

    def __enter__(self) -> FindProgress:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task("starting", total=self._total)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def step(self, message: str) -> None:
        """Report one iteration's outcome."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=message)
        if self._callback is not None:
            self._callback(self._done, self._total, message)

    def level_done(self) -> None:
        """Count one level as finished."""
        self._done += 1
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self._done)
        if self._callback is not None:
            self._callback(self._done, self._total, "level done")
