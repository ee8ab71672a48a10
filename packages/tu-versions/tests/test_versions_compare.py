"""is_torch_greater_or_equal and the flags, against transformers' documented semantics."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

import tu.versions
from tu.versions import TRANSFORMERS_FLAGS, is_torch_greater_or_equal

FakeInstall = Callable[[str | None], None]


@pytest.mark.parametrize(
    ("installed", "wanted", "plain", "dev_ok"),
    [
        ("2.6.0.dev20241112+cu121", "2.6", False, True),
        ("2.6.0.dev20241112+cu121", "2.5", True, True),
        ("2.6.0rc1", "2.6", False, True),
        ("2.6.0+cpu", "2.6", True, True),
        ("2.6.0", "2.6.0", True, True),
        ("2.5.1", "2.6", False, False),
        ("2.13.0+cpu", "2.8", True, True),
        ("1.13.1", "2.0", False, False),
        ("2.1.2", "2.1.2", True, True),
        ("2.1.2", "2.1.3", False, False),
    ],
)
def test_dev_builds_count_only_with_accept_dev(
    fake_torch_version: FakeInstall, installed: str, wanted: str, plain: bool, dev_ok: bool
) -> None:
    fake_torch_version(installed)
    assert is_torch_greater_or_equal(wanted) is plain
    assert is_torch_greater_or_equal(wanted, accept_dev=True) is dev_ok


def test_false_for_every_version_without_torch(fake_torch_version: FakeInstall) -> None:
    fake_torch_version(None)
    assert is_torch_greater_or_equal("0.1") is False
    assert is_torch_greater_or_equal("0.1", accept_dev=True) is False
    assert tu.versions.is_torch_greater_or_equal_than_1_12 is False


def test_bad_version_argument_is_a_typed_error() -> None:
    with pytest.raises(TypeError, match="version must be a str"):
        is_torch_greater_or_equal(2.4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="PEP 440"):
        is_torch_greater_or_equal("two point four")


def test_flags_follow_the_installed_torch() -> None:
    installed = Version(Version(importlib.metadata.version("torch")).base_version)
    for name in TRANSFORMERS_FLAGS:
        major, minor = name.rsplit("_", 2)[-2:]
        expected = installed >= Version(f"{major}.{minor}")
        assert getattr(tu.versions, name) is expected, name


def test_every_transformers_flag_is_importable() -> None:
    namespace: dict[str, object] = {}
    exec(f"from tu.versions import {', '.join(TRANSFORMERS_FLAGS)}", namespace)
    assert all(isinstance(namespace[name], bool) for name in TRANSFORMERS_FLAGS)
    assert set(TRANSFORMERS_FLAGS) <= set(tu.versions.__all__)
    assert set(TRANSFORMERS_FLAGS) <= set(dir(tu.versions))


def test_flags_of_future_releases_resolve_on_access(fake_torch_version: FakeInstall) -> None:
    fake_torch_version("2.10.0.dev20260101")
    assert tu.versions.is_torch_greater_or_equal_than_2_10 is True
    assert tu.versions.is_torch_greater_or_equal_than_2_11 is False
    assert tu.versions.is_torch_greater_or_equal_than_3_0 is False
    assert tu.versions.is_torch_less_than_2_11 is True
    assert tu.versions.is_torch_less_than_1_11 is False


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'is_torch_great'"):
        _ = tu.versions.is_torch_great
    assert not hasattr(tu.versions, "is_torch_greater_or_equal_than_2")


releases = st.tuples(st.integers(0, 3), st.integers(0, 20), st.integers(0, 5))
suffixes = st.sampled_from(["", ".dev20241112", "rc1", "a2", ".post1", "+cpu", ".dev0+cu121"])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # set per example
@given(have=releases, suffix=suffixes, want=releases)
def test_accept_dev_compares_release_numbers_only(
    fake_torch_version: FakeInstall,
    have: tuple[int, int, int],
    suffix: str,
    want: tuple[int, int, int],
) -> None:
    fake_torch_version(".".join(map(str, have)) + suffix)
    wanted = ".".join(map(str, want))
    assert is_torch_greater_or_equal(wanted, accept_dev=True) is (have >= want)
    if suffix in {"", "+cpu", ".post1"}:
        assert is_torch_greater_or_equal(wanted) is (have >= want)
    elif have == want:
        assert is_torch_greater_or_equal(wanted) is False
