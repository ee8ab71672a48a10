"""tu-versions' flags agree with whichever torch this matrix cell installed."""

from __future__ import annotations

import importlib.metadata

import pytest
import torch
from packaging.version import Version

import tu.versions

INSTALLED = Version(importlib.metadata.version("torch"))


@pytest.mark.parametrize("name", tu.versions.TRANSFORMERS_FLAGS)
def test_transformers_flags_follow_installed_torch(name: str) -> None:
    major, minor = (int(x) for x in name.rsplit("_", 2)[-2:])
    release = Version(INSTALLED.base_version).release
    assert getattr(tu.versions, name) is (release[:2] >= (major, minor))


def test_version_read_from_metadata_equals_torch_module() -> None:
    # PyPI's CUDA wheels say 2.1.2 in their metadata and 2.1.2+cu121 in torch.__version__.
    from_metadata = Version(tu.versions.installed_torch_version() or "0")
    assert from_metadata.public == Version(torch.__version__).public


def test_flags_beyond_transformers_resolve() -> None:
    major, minor = Version(INSTALLED.base_version).release[:2]
    assert getattr(tu.versions, f"is_torch_greater_or_equal_than_{major}_{minor}") is True
    assert getattr(tu.versions, f"is_torch_greater_or_equal_than_{major}_{minor + 1}") is False


def test_dynamo_check_in_eager_code() -> None:
    assert tu.versions.is_torchdynamo_compiling() is False
