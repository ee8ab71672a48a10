"""The helpers on real accelerators: each test runs where the device exists, skips elsewhere."""

from __future__ import annotations

import pytest
import torch

from tu.devices import (
    available_device_types,
    device_count,
    empty_cache,
    infer_device,
    isin_broadcast,
    isin_mps_friendly,
    manual_seed,
    memory_allocated,
    move_to_device,
    synchronize,
)

ACCELERATORS = [
    pytest.param(
        kind,
        marks=pytest.mark.skipif(kind not in available_device_types(), reason=f"no {kind} here"),
    )
    for kind in ("cuda", "mps", "xpu")
]


@pytest.mark.parametrize("kind", ACCELERATORS)
def test_runtime_helpers(kind: str) -> None:
    assert kind in available_device_types()
    assert device_count(kind) >= 1
    x = torch.ones(1024, device=kind)
    synchronize(kind)
    allocated = memory_allocated(kind)
    assert allocated is not None and allocated >= x.numel() * 4
    del x
    empty_cache(kind)
    manual_seed(11)
    a = torch.rand(8, device=kind)
    manual_seed(11)
    assert torch.equal(torch.rand(8, device=kind), a)


@pytest.mark.parametrize("kind", ACCELERATORS)
def test_move_and_isin_on_device(kind: str) -> None:
    batch = {"ids": torch.tensor([[1, 2, 3], [4, 5, 6]]), "extra": [torch.zeros(2)]}
    moved = move_to_device(batch, kind)
    assert moved["ids"].device.type == kind
    assert moved["extra"][0].device.type == kind
    test_cpu = torch.tensor([2, 6])  # on the CPU: moved to the elements' device
    expected = torch.isin(batch["ids"], test_cpu)
    for function in (isin_mps_friendly, isin_broadcast):
        got = function(moved["ids"], test_cpu)
        assert got.device.type == kind
        assert torch.equal(got.cpu(), expected)
    assert isin_mps_friendly(moved["ids"], [1, 4]).cpu().tolist() == [
        [True, False, False],
        [True, False, False],
    ]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA here")
def test_cuda_is_inferred_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TU_DEVICE", raising=False)
    assert infer_device() == "cuda"
    synchronize(torch.cuda.device_count() - 1)
