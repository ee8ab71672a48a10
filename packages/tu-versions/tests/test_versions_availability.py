"""Backend checks: booleans, cached, never raising, False without torch."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import pytest
import torch

import tu.versions
from tu.versions import _availability

CHECKS: list[Callable[[], bool]] = [
    tu.versions.is_torch_available,
    tu.versions.is_torch_xla_available,
    tu.versions.is_torch_xpu_available,
    tu.versions.is_torch_npu_available,
    tu.versions.is_torch_mps_available,
    tu.versions.is_torch_hpu_available,
    tu.versions.is_torch_distributed_available,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_checks_return_bools(check: Callable[[], bool]) -> None:
    assert isinstance(check(), bool)


def test_checks_agree_with_torch_here() -> None:
    assert tu.versions.is_torch_available() is True
    assert tu.versions.is_torch_distributed_available() is torch.distributed.is_available()
    mps = torch.backends.mps.is_available() and torch.backends.mps.is_built()
    assert tu.versions.is_torch_mps_available() is mps
    xpu = hasattr(torch, "xpu") and torch.xpu.is_available()
    assert tu.versions.is_torch_xpu_available() is (
        xpu and tu.versions.is_torch_greater_or_equal("2.4", accept_dev=True)
    )
    assert tu.versions.is_torch_xla_available() is (
        importlib.util.find_spec("torch_xla") is not None
    )


def test_xla_refuses_both_checks() -> None:
    with pytest.raises(ValueError, match="check_is_tpu and check_is_gpu"):
        tu.versions.is_torch_xla_available(check_is_tpu=True, check_is_gpu=True)


def test_use_torch_xla_switch_turns_xla_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_availability, "_has_module", lambda name: True)
    monkeypatch.setenv("USE_TORCH_XLA", "false")
    _availability.clear_caches()
    try:
        assert tu.versions.is_torch_xla_available() is False
    finally:
        _availability.clear_caches()


def test_everything_is_false_without_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tu.versions._installed, "installed_torch_version", lambda: None)
    monkeypatch.setattr(_availability, "is_torch_available", lambda: False)
    _availability.clear_caches()
    try:
        for check in CHECKS[1:]:
            assert check() is False, check.__name__
    finally:
        _availability.clear_caches()


def test_a_broken_backend_reports_false_instead_of_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def is_available(self) -> bool:
            raise RuntimeError("driver exploded")

        def is_built(self) -> bool:
            return True

    monkeypatch.setattr(torch.backends, "mps", Broken())
    _availability.clear_caches()
    try:
        assert tu.versions.is_torch_mps_available() is False
    finally:
        _availability.clear_caches()


def test_answers_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    _availability.clear_caches()
    first = tu.versions.is_torch_distributed_available()
    monkeypatch.setattr(torch.distributed, "is_available", lambda: not first)
    assert tu.versions.is_torch_distributed_available() is first
    _availability.clear_caches()
