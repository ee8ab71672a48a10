"""Helpers shared by the integration tests (importable: conftest puts this folder on sys.path)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

DISTRIBUTIONS = (
    "tu-versions",
    "tu-conv1d",
    "tu-prune",
    "tu-chunk",
    "tu-storage",
    "tu-devices",
    "tu-cache",
    "tu-all",
)


def wheel_of(wheelhouse: Path, dist: str) -> Path:
    """The newest wheel of ``dist`` in ``wheelhouse``."""
    prefix = dist.replace("-", "_") + "-"
    found = sorted(p for p in wheelhouse.glob("*.whl") if p.name.startswith(prefix))
    if not found:
        pytest.fail(f"no wheel of {dist} in {wheelhouse}")
    return found[-1]


def modules_in_wheel(wheel: Path) -> list[str]:
    """Every importable module name a wheel ships."""
    names = []
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.endswith(".py") and not name.split("/", 1)[0].endswith(".dist-info"):
                module = name[: -len(".py")].replace("/", ".")
                names.append(module.removesuffix(".__init__"))
    return sorted(set(names))
