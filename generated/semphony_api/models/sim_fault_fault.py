from typing import Literal

SimFaultFault = Literal["drop_move", "scan_error", "slow", "vacuum_loss"]

SIM_FAULT_FAULT_VALUES: set[SimFaultFault] = {
    "drop_move",
    "scan_error",
    "slow",
    "vacuum_loss",
}


def check_sim_fault_fault(value: str) -> SimFaultFault:
    if value in SIM_FAULT_FAULT_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SIM_FAULT_FAULT_VALUES!r}"
    )
