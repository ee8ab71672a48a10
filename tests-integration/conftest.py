"""Integration tests run against the built wheels, installed non-editable.

TU_WHEELHOUSE, set by the `integration` hatch environment, names the folder of the wheels
under test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    folder = os.environ.get("TU_WHEELHOUSE")
    if not folder:
        pytest.skip("TU_WHEELHOUSE is not set (run `hatch run integration:run`)")
    path = Path(folder)
    if not any(path.glob("*.whl")):
        pytest.fail(f"TU_WHEELHOUSE={folder} holds no wheels")
    return path
