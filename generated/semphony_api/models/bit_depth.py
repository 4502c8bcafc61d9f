from typing import Literal

BitDepth = Literal[8, 16]

BIT_DEPTH_VALUES: set[BitDepth] = {
    8,
    16,
}


def check_bit_depth(value: int) -> BitDepth:
    if value in BIT_DEPTH_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {BIT_DEPTH_VALUES!r}")
