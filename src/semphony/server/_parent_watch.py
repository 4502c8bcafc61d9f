"""Shut the server down when the process that started it is gone.

The launcher (`Semphony.local()`) gives the server a pipe as its standard input and never writes
to it. When the launcher exits, however it exits (SIGKILL included), the operating system closes
its end of the pipe, and reading standard input here returns end-of-file. That works the same on
Linux, macOS and Windows, where a parent-death signal exists on Linux only.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import BinaryIO

__all__ = ["watch_parent"]


def watch_parent(on_gone: Callable[[], None], stream: BinaryIO | None = None) -> threading.Thread:
    """Call `on_gone` (from a daemon thread) once `stream` (standard input) reaches end-of-file."""
    source = stream if stream is not None else sys.stdin.buffer

    def watch() -> None:
        try:
            while source.read(4096):
                pass  # the launcher never writes; anything read is ignored
        except (OSError, ValueError):
            pass  # a closed or broken pipe means the same as end-of-file
        on_gone()

    thread = threading.Thread(target=watch, name="semphony-parent-watch", daemon=True)
    thread.start()
    return thread
