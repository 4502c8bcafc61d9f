from typing import Literal

RoiLevel = Literal["l0", "l1", "l2", "roi"]

ROI_LEVEL_VALUES: set[RoiLevel] = {
    "l0",
    "l1",
    "l2",
    "roi",
}


def check_roi_level(value: str) -> RoiLevel:
    if value in ROI_LEVEL_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {ROI_LEVEL_VALUES!r}")
