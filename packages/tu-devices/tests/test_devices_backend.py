"""synchronize / empty_cache / memory_allocated / device_count / manual_seed: routing and checks.

Routing is tested everywhere with a fake backend module standing in for ``torch.<backend>``;
the real CPU behaviour is tested too. Real accelerators: test_devices_accelerators.py.
"""

from __future__ import annotations

import types
from typing import Any

import pytest
import torch

import tu.devices._backend as backend
from tu.devices import (
    DEVICE_TYPES,
    device_count,
    empty_cache,
    manual_seed,
    memory_allocated,
    synchronize,
)
from tu.devices import _infer as infer_module


class FakeBackend(types.SimpleNamespace):
    """Records calls; answers device_count and memory figures."""

    def __init__(self, **missing: bool) -> None:
        super().__init__()
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        names = (
            "synchronize",
            "empty_cache",
            "memory_allocated",
            "current_allocated_memory",
            "device_count",
            "manual_seed_all",
            "wait_device_ops",
            "set_rng_state",
            "get_xla_supported_devices",
        )
        for name in names:
            if not missing.get(name):
                setattr(self, name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        def record(*args: Any) -> Any:
            self.calls.append((name, args))
            return {"device_count": 3, "get_xla_supported_devices": ["a", "b"]}.get(name, 1234)

        return record


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make every accelerator 'available', each backed by its own FakeBackend."""
    fakes = {name: FakeBackend() for name in DEVICE_TYPES if name != "cpu"}
    for name in fakes:
        monkeypatch.setitem(infer_module._CHECKS, name, lambda: True)
    monkeypatch.setattr(backend, "_module", lambda kind: fakes[kind])
    monkeypatch.delenv("TU_DEVICE", raising=False)
    return fakes


@pytest.fixture
def nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DEVICE_TYPES[:-1]:
        monkeypatch.setitem(infer_module._CHECKS, name, lambda: False)
    monkeypatch.delenv("TU_DEVICE", raising=False)


EXPECTED_SYNC = {
    "cuda": ("synchronize", True),
    "xpu": ("synchronize", True),
    "npu": ("synchronize", True),
    "mps": ("synchronize", False),
    "hpu": ("synchronize", False),
    "xla": ("wait_device_ops", False),
}


class StandIn(types.SimpleNamespace):
    """A device of a type this torch cannot parse yet ("npu" before torch_npu is imported)."""


def _device(kind: str, index: int | None = None) -> Any:
    if kind == "npu":
        return StandIn(type="npu", index=index)
    return torch.device(kind, index) if index is not None else torch.device(kind)


@pytest.mark.parametrize("kind", list(EXPECTED_SYNC))
def test_synchronize_routes(fake: Any, kind: str) -> None:
    device = _device(kind, 0)
    backend._run("synchronize", device)
    name, with_device = EXPECTED_SYNC[kind]
    assert fake[kind].calls == [(name, (device,) if with_device else ())]
    if kind != "npu":
        fake[kind].calls.clear()
        synchronize(f"{kind}:0" if with_device else kind)
        assert fake[kind].calls == [(name, (torch.device(f"{kind}:0"),) if with_device else ())]


@pytest.mark.parametrize("kind", ["cuda", "xpu", "npu", "mps", "hpu"])
def test_empty_cache_routes(fake: Any, kind: str) -> None:
    backend._run("empty_cache", _device(kind))
    assert fake[kind].calls == [("empty_cache", ())]
    if kind != "npu":
        empty_cache(kind)
        assert fake[kind].calls == [("empty_cache", ())] * 2


def test_empty_cache_noops(fake: Any) -> None:
    empty_cache("xla")
    empty_cache("cpu")
    empty_cache("meta")
    assert all(f.calls == [] for f in fake.values())


def test_optional_functions_missing(monkeypatch: pytest.MonkeyPatch, fake: Any) -> None:
    fake["hpu"] = FakeBackend(empty_cache=True, memory_allocated=True)
    assert empty_cache("hpu") is None
    assert memory_allocated("hpu") is None
    fake["cuda"] = FakeBackend(empty_cache=True)
    with pytest.raises(ValueError, match=r"torch\.cuda has no empty_cache"):
        empty_cache("cuda")


@pytest.mark.parametrize(
    ("kind", "expected", "call"),
    [
        ("cuda", 1234, "memory_allocated"),
        ("xpu", 1234, "memory_allocated"),
        ("npu", 1234, "memory_allocated"),
        ("hpu", 1234, "memory_allocated"),
        ("mps", 1234, "current_allocated_memory"),
        ("xla", None, None),
    ],
)
def test_memory_allocated_routes(fake: Any, kind: str, expected: int | None, call: Any) -> None:
    device = _device(kind, 1 if kind not in ("mps", "xla") else None)
    assert backend._run("memory_allocated", device) == expected
    passed = (device,) if kind not in ("mps", "xla") else ()
    assert fake[kind].calls == ([(call, passed)] if call else [])
    if kind != "npu":
        fake[kind].calls.clear()
        assert memory_allocated(device) == expected
        assert fake[kind].calls == ([(call, passed)] if call else [])


def test_cpu_and_meta_figures(fake: Any) -> None:
    assert memory_allocated("cpu") is None
    assert memory_allocated("meta") is None
    synchronize("cpu")
    synchronize(torch.device("meta"))


def test_device_count(fake: Any, nothing: None) -> None:
    assert device_count("cpu") == 1
    assert device_count("meta") == 0
    assert device_count("cuda") == 0  # unavailable: zero, not an error


def test_device_count_routes(fake: Any) -> None:
    assert device_count("cuda") == 3
    assert device_count("npu:0") == 3
    assert device_count("XPU:1") == 3
    assert device_count("mps") == 1
    assert device_count() == 3  # infer_device() -> cuda


def test_default_device_is_inferred(fake: Any) -> None:
    synchronize()
    assert fake["cuda"].calls == [("synchronize", (torch.device("cuda"),))]
    synchronize(2)  # an index on the inferred type
    assert fake["cuda"].calls[-1] == ("synchronize", (torch.device("cuda", 2),))


def test_unavailable_backend_and_bad_arguments(nothing: None) -> None:
    with pytest.raises(ValueError, match=r"device: cuda is not available here; available: cpu"):
        synchronize("cuda")
    with pytest.raises(ValueError, match="not available"):
        memory_allocated("xpu:0")
    with pytest.raises(ValueError, match="npu is not available"):
        synchronize("npu:0")  # unparsable for torch without torch_npu: still a clear error
    with pytest.raises(ValueError, match="not available"):
        empty_cache("mps")
    with pytest.raises(ValueError, match="no accelerator"):
        synchronize(0)
    with pytest.raises(ValueError, match=">= 0"):
        synchronize(-1)
    with pytest.raises(ValueError, match="'nonsense' is not supported"):
        synchronize("nonsense")
    with pytest.raises(ValueError, match="is not a device"):
        synchronize("cpu:x")
    with pytest.raises(ValueError, match="not supported"):
        synchronize("vulkan")
    with pytest.raises(TypeError, match="device must be"):
        synchronize(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="device must be"):
        synchronize(True)
    with pytest.raises(TypeError, match="device_type must be"):
        device_count(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="device_type"):
        device_count("gpu")


def test_cpu_helpers_really_run(nothing: None) -> None:
    synchronize()
    empty_cache()
    assert memory_allocated() is None
    assert device_count() == 1


def test_manual_seed_reproduces_cpu_draws(nothing: None) -> None:
    manual_seed(1234)
    a = torch.rand(4)
    manual_seed(1234)
    assert torch.equal(torch.rand(4), a)
    manual_seed(-5)
    manual_seed(2**64 - 1)


def test_manual_seed_seeds_every_available_backend(
    monkeypatch: pytest.MonkeyPatch, fake: Any
) -> None:
    seen: list[int] = []
    monkeypatch.setattr(torch, "manual_seed", lambda seed: seen.append(seed))
    manual_seed(7)
    assert seen == [7]
    for kind in ("xpu", "npu", "hpu"):
        assert fake[kind].calls == [("manual_seed_all", (7,))]
    assert fake["xla"].calls == [("set_rng_state", (7,))]
    assert fake["cuda"].calls == []  # torch.manual_seed covers CUDA (and MPS) itself


@pytest.mark.parametrize(
    ("seed", "error"),
    [
        (1.5, TypeError),
        ("3", TypeError),
        (True, TypeError),
        (2**64, ValueError),
        (-(2**63) - 1, ValueError),
    ],
)
def test_manual_seed_rejects(seed: Any, error: type, nothing: None) -> None:
    with pytest.raises(error, match="seed"):
        manual_seed(seed)


def test_route_table_is_complete() -> None:
    for operation in ("synchronize", "empty_cache", "memory_allocated"):
        for kind in (*DEVICE_TYPES, "meta"):
            backend._route(operation, kind)  # raises KeyError if a pair were missing
