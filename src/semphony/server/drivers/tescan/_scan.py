"""One acquisition over SharkSEM: speed, `ScScanXY` (dwell in ns), the image on the data channel,
and `ScStopScan` always, after a failure or a cancel too.

The scan uses scan channel 0 (the driver put the chosen detector on it with `DtSelect` and its
depth with `DtEnable`). The image is the whole virtual frame (0, 0, w−1, h−1); chunks are
reassembled by frame id and channel, so data of an earlier scan arriving late is never taken for
this one. A negative `ScScanXY` is a `DeviceFault` carrying that code; an image that did not
arrive whole (gap, stall, dropped data connection) is a `DeviceFault` saying how far it got.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from semphony.server.drivers.errors import Cancelled, DeviceFault, DriverError
from semphony.server.drivers.tescan._codec import WAIT_A
from semphony.server.drivers.tescan._data import DataChannel
from semphony.server.drivers.tescan._errors import ScanCancelled, ScanDataError
from semphony.server.drivers.tescan._link import Link, Wait, poll
from semphony.server.drivers.types import Progress, ScanData, ScanPlan

__all__ = ["SCAN_CHANNEL", "scan_frame"]

SCAN_CHANNEL = 0
_STALL_MIN_S = 5.0
_LINE_SETTLE_S = 50e-6
_STOP_CHECK_S = 1.0
_DWELL_SINCE = (2, 0, 6)  # ScScanXY's dwell argument


def _stop_scan(link: Link) -> bool:
    """`ScStopScan`, read back with `IsBusy` on the scanning bit; False when it still scans."""
    with contextlib.suppress(DriverError):
        link.call("ScStopScan")
        for elapsed in poll(None, 0.005, 0.05):
            if link.get_int("IsBusy", WAIT_A) == 0:
                return True
            if elapsed > _STOP_CHECK_S:
                break
    return False


def scan_frame(
    link: Link,
    data: DataChannel,
    plan: ScanPlan,
    frame_id: int,
    progress: Progress,
    cancel: Wait,
    clock: Callable[[], float],
) -> ScanData:
    """Scan `plan` as frame `frame_id` and return its pixels (rows top to bottom)."""
    width, height = plan.resolution
    link.guarded(data.open)
    if cancel.is_set():
        raise Cancelled("the scan was cancelled before it started")
    # The speed index is what older servers use; the dwell argument (2.0.6+) is what counts.
    link.call("ScSetSpeed", plan.scan_speed_index + 1)
    args: list[int] = [frame_id, width, height, 0, 0, width - 1, height - 1, 1]
    if link.version >= _DWELL_SINCE:
        args.append(max(1, round(plan.dwell_time_us * 1000)))
    start = clock()
    try:
        code = link.get_int("ScScanXY", *args)
        if code < 0:
            raise DeviceFault(
                code,
                f"ScScanXY answered {code}: the scan generator refused the scan ({width}×{height} "
                f"px at {plan.dwell_time_us:g} µs, frame {frame_id}); nothing was acquired",
            )

        def lines(done: int, total: int) -> None:
            progress(min(height, done // width), height)
            # A chunk may complete the image in the same read: a cancel here must still count.
            if cancel.is_set():
                raise ScanCancelled("ScData", f"cancelled after {done} of {total} pixels")

        line_s = width * plan.dwell_time_us * 1e-6 + _LINE_SETTLE_S
        try:
            pixels = data.receive(
                frame_id,
                SCAN_CHANNEL,
                width,
                height,
                plan.bit_depth,
                stall_timeout_s=max(_STALL_MIN_S, 4 * line_s),
                progress=lines,
                cancel=cancel,
            )
        except ScanCancelled as exc:
            raise Cancelled(f"the scan was cancelled: {exc.message}") from exc
        except ScanDataError as exc:
            raise DeviceFault(
                None,
                f"the image did not arrive whole ({exc.kind}): {exc.message}; the scan was "
                "stopped and nothing was kept",
            ) from exc
    finally:
        # Required after every scan, a failed one too; a stop that fails must not hide why.
        stopped = _stop_scan(link)
    if not stopped:
        raise DeviceFault(
            None, "ScStopScan was sent but the scan generator still reports busy (IsBusy)"
        )
    return ScanData(pixels=pixels, clock_s_start=start, clock_s_end=clock())
