"""The public faces of the SharkSEM packages: what `__all__` lists is what they export."""

from __future__ import annotations

import types

import pytest

import semphony.server.drivers.tescan as tescan
import semphony.server.drivers.tescan.emulator as emulator


@pytest.mark.parametrize("module", [tescan, emulator])
def test_all_is_sorted_and_every_name_exists(module: types.ModuleType) -> None:
    names = list(module.__all__)
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(module, n) for n in names)
    public = {n for n in vars(module) if not n.startswith("_")}
    submodules = {n for n in public if isinstance(getattr(module, n), types.ModuleType)}
    assert public - submodules - {"annotations"} == set(names)


def test_the_wire_layer_does_not_import_the_emulator() -> None:
    import subprocess
    import sys

    code = (
        "import sys, semphony.server.drivers.tescan; "
        "print(any(m.startswith('semphony.server.drivers.tescan.emulator') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
