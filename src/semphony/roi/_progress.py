"""The progress display of `save_roi` and `find_roi`: a rich bar over the levels, or a callback,
or nothing."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from semphony.roi._options import ProgressOption

__all__ = ["FindProgress", "LevelProgress", "ProgressOption"]


class LevelProgress:
    """Levels done out of the total, with the latest news as the description."""

    def __init__(self, option: ProgressOption, *, total: int, label: str = "find_roi") -> None:
        self._callback = option if callable(option) else None
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._total = total
        self._done = 0
        if option is True:
            self._bar = Progress(
                TextColumn(f"[bold]{label}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                transient=False,
            )

    def __enter__(self) -> LevelProgress:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task("starting", total=self._total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def step(self, message: str) -> None:
        """Report one iteration's (or acquisition's) outcome."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=message)
        if self._callback is not None:
            self._callback(self._done, self._total, message)

    def level_done(self, message: str = "level done") -> None:
        """Count one level as finished."""
        self._done += 1
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=self._done)
        if self._callback is not None:
            self._callback(self._done, self._total, message)


FindProgress = LevelProgress
