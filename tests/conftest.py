"""Shared test configuration.

Under CI (the CI variable set), hypothesis draws derandomized examples: a CI run is then the same
run every time, and a failure it finds is reproduced by running the suite again.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
