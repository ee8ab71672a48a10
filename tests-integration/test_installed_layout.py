"""The installed tu: a namespace package of non-editable wheels whose versions agree."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import sysconfig
from pathlib import Path

import pytest
from tu_integration_helpers import DISTRIBUTIONS


def test_tu_is_a_namespace_package() -> None:
    import tu

    assert getattr(tu, "__file__", None) is None
    for entry in tu.__path__:
        assert not (Path(entry) / "__init__.py").exists(), entry


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_version_metadata_matches_module(dist: str) -> None:
    module = importlib.import_module("tu." + dist.removeprefix("tu-"))
    assert importlib.metadata.version(dist) == module.__version__


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_packages_come_from_installed_wheels(dist: str) -> None:
    module = importlib.import_module("tu." + dist.removeprefix("tu-"))
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert Path(module.__file__ or "").resolve().is_relative_to(site), module.__file__
    direct_url = json.loads(
        importlib.metadata.distribution(dist).read_text("direct_url.json") or "{}"
    )
    assert direct_url.get("dir_info", {}).get("editable", False) is False


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_every_shipped_module_imports(dist: str) -> None:
    files = importlib.metadata.files(dist) or []
    modules = sorted(
        str(f)[: -len(".py")].replace("/", ".").removesuffix(".__init__")
        for f in files
        if str(f).endswith(".py") and str(f).startswith("tu/") and "__main__" not in str(f)
    )
    assert modules, f"{dist} ships no modules"
    for name in modules:
        importlib.import_module(name)
