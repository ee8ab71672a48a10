"""torch.compile traces chunked calls (eager backend: no C++ toolchain needed)."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from tu.chunk import apply_chunking_to_forward, chunked


def _torch_at_least(major: int, minor: int) -> bool:
    found = re.match(r"(\d+)\.(\d+)", torch.__version__)
    return found is not None and (int(found[1]), int(found[2])) >= (major, minor)


def _require_dynamo() -> None:
    dynamo = pytest.importorskip("torch._dynamo")
    if not dynamo.is_dynamo_supported():
        pytest.skip("torch.compile is not supported on this Python/torch")


@pytest.mark.parametrize("grad_mode", [False, True])
def test_compiled_wrapper_matches_eager(grad_mode: bool) -> None:
    _require_dynamo()
    torch._dynamo.reset()
    torch.manual_seed(0)
    ffn = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8))
    compiled = torch.compile(chunked(ffn, 4, 1), backend="eager")
    x = torch.randn(2, 10, 8)
    with torch.set_grad_enabled(grad_mode):
        out = compiled(x)
        expected = ffn(x)
    torch.testing.assert_close(out, expected)
    assert out.requires_grad == grad_mode


@pytest.mark.skipif(
    not _torch_at_least(2, 13), reason="checked without graph breaks on torch 2.13+"
)
def test_full_graph_without_breaks() -> None:
    _require_dynamo()
    torch._dynamo.reset()
    torch.manual_seed(0)
    ffn = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8))
    x = torch.randn(2, 10, 8)

    def run(t: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = apply_chunking_to_forward(ffn, 3, 1, t)
        return out

    with torch.no_grad():
        torch.testing.assert_close(torch.compile(run, backend="eager", fullgraph=True)(x), ffn(x))
        wrapper = torch.compile(chunked(ffn, 3, 1), backend="eager", fullgraph=True)
        torch.testing.assert_close(wrapper(x), ffn(x))
