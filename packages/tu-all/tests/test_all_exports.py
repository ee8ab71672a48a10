"""tu.all re-exports every public tu name and every transformers.pytorch_utils name, lazily."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys

import pytest

import tu.all
from tu.all._backfill import TRANSFORMERS_PYTORCH_UTILS_NAMES
from tu.all._exports import EXPORTS, MODULE_OF

PACKAGES = (
    "tu.versions",
    "tu.conv1d",
    "tu.prune",
    "tu.chunk",
    "tu.storage",
    "tu.devices",
    "tu.cache",
)


@pytest.mark.parametrize("name", TRANSFORMERS_PYTORCH_UTILS_NAMES)
def test_every_transformers_name_is_importable(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from tu.all import {name}", namespace)
    assert name in tu.all.__all__


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_of_each_package_is_reexported(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        if name == "__version__":
            continue
        assert name in tu.all.__all__, f"{package}.{name} is missing from tu.all"
        assert getattr(tu.all, name) is getattr(module, name), name


def test_names_are_unique_across_packages() -> None:
    every = [name for names in EXPORTS.values() for name in names]
    assert len(every) == len(set(every))


def test_all_lists_exactly_the_table() -> None:
    assert set(tu.all.__all__) == set(MODULE_OF) | {"__version__"}


def test_type_checking_imports_match_the_table() -> None:
    tree = ast.parse(inspect.getsource(tu.all))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    imported = {
        alias.asname or alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    annotated = {
        node.target.id
        for node in block.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    assert {**imported, **dict.fromkeys(annotated, "tu.versions")} == MODULE_OF


def test_star_import_gives_every_name() -> None:
    namespace: dict[str, object] = {}
    exec("from tu.all import *", namespace)
    assert set(tu.all.__all__) <= set(namespace)


def test_newer_flags_resolve_through_tu_versions() -> None:
    assert isinstance(tu.all.is_torch_greater_or_equal_than_2_9, bool)
    assert tu.all.is_torch_less_than_1_0 is False
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = tu.all.nothing_here


def test_importing_tu_all_imports_no_tu_package() -> None:
    code = (
        "import sys, tu.all; "
        f"print(sorted(m for m in {PACKAGES!r} if m in sys.modules), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "False"]
