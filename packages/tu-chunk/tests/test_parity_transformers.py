"""Parity with transformers.pytorch_utils.apply_chunking_to_forward where transformers succeeds.

Bit for bit on CPU (values, dtype, shape), forward and gradients, and the same exception type for
its documented error (inputs of unequal length along chunk_dim).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tu.chunk import apply_chunking_to_forward

transformers = pytest.importorskip("transformers")
pytorch_utils = pytest.importorskip("transformers.pytorch_utils")
if not hasattr(pytorch_utils, "apply_chunking_to_forward"):
    pytest.skip(
        f"transformers {transformers.__version__} has no apply_chunking_to_forward",
        allow_module_level=True,
    )
tf_apply: Callable[..., Any] = pytorch_utils.apply_chunking_to_forward

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)


@st.composite
def _divisible_case(draw: st.DrawFn) -> tuple[list[int], int, int]:
    """Shapes and chunk sizes transformers accepts: the length is a multiple of chunk_size."""
    rank = draw(st.integers(2, 4))
    shape = draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank))
    shape[-1] = draw(st.integers(1, 6))
    dim = draw(st.integers(0, rank - 2))
    chunk_size = draw(st.integers(1, 4))
    shape[dim] = chunk_size * draw(st.integers(1, 4))
    if draw(st.booleans()):
        chunk_size = -draw(st.integers(0, 2))  # no chunking
    chunk_dim = dim - rank if draw(st.booleans()) else dim
    return shape, chunk_dim, chunk_size


def _ffn(features: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 16), nn.GELU(), nn.Linear(16, features))


def _assert_identical(ours: torch.Tensor, theirs: torch.Tensor) -> None:
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    assert ours.requires_grad == theirs.requires_grad
    assert torch.equal(ours, theirs)


@SETTINGS
@given(_divisible_case(), st.integers(0, 2**16), st.booleans())
def test_ffn_forward_is_bit_identical(
    case: tuple[list[int], int, int], seed: int, grad_mode: bool
) -> None:
    shape, chunk_dim, chunk_size = case
    ffn = _ffn(shape[-1], seed)

    def forward(hidden: torch.Tensor) -> torch.Tensor:
        return ffn(hidden)

    x = torch.randn(shape)
    with torch.set_grad_enabled(grad_mode):
        _assert_identical(
            apply_chunking_to_forward(forward, chunk_size, chunk_dim, x),
            tf_apply(forward, chunk_size, chunk_dim, x),
        )


@SETTINGS
@given(_divisible_case(), st.integers(0, 2**16))
def test_gradients_are_bit_identical(case: tuple[list[int], int, int], seed: int) -> None:
    shape, chunk_dim, chunk_size = case
    ffn = _ffn(shape[-1], seed)

    def forward(hidden: torch.Tensor) -> torch.Tensor:
        return ffn(hidden)

    x = torch.randn(shape, requires_grad=True)
    grads = []
    for apply in (apply_chunking_to_forward, tf_apply):
        x.grad = None
        ffn.zero_grad(set_to_none=True)
        out = apply(forward, chunk_size, chunk_dim, x)
        (out * torch.arange(out.numel()).reshape(out.shape).sin()).sum().backward()
        grads.append([x.grad] + [p.grad for p in ffn.parameters()])
    for ours, theirs in zip(*grads, strict=True):
        assert ours is not None and theirs is not None
        assert torch.equal(ours, theirs)


@SETTINGS
@given(_divisible_case(), st.sampled_from([torch.float32, torch.float64, torch.bfloat16]))
def test_two_inputs_bit_identical(case: tuple[list[int], int, int], dtype: torch.dtype) -> None:
    shape, chunk_dim, chunk_size = case
    x = torch.randn(shape).to(dtype)
    y = torch.randn(shape).to(dtype)

    def forward(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.tanh(a) * b + a.softmax(-1)

    with torch.no_grad():
        _assert_identical(
            apply_chunking_to_forward(forward, chunk_size, chunk_dim, x, y),
            tf_apply(forward, chunk_size, chunk_dim, x, y),
        )


def test_bound_method_forward_chunk_pattern() -> None:
    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dense = nn.Linear(8, 8)

        def forward_chunk(self, hidden: torch.Tensor) -> torch.Tensor:
            return self.dense(hidden).relu()

    torch.manual_seed(0)
    layer = Layer()
    x = torch.randn(2, 12, 8)
    with torch.no_grad():
        _assert_identical(
            apply_chunking_to_forward(layer.forward_chunk, 4, 1, x),
            tf_apply(layer.forward_chunk, 4, 1, x),
        )


def test_unequal_lengths_raise_the_same_type() -> None:
    def forward(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a + b

    x, y = torch.randn(2, 8), torch.randn(2, 6)
    with pytest.raises(ValueError) as theirs:
        tf_apply(forward, 2, 1, x, y)
    with pytest.raises(type(theirs.value)):
        apply_chunking_to_forward(forward, 2, 1, x, y)


def test_wrong_parameter_count_raises_a_value_error_in_both() -> None:
    def forward(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a + b

    x = torch.randn(4, 4)
    with pytest.raises(ValueError):
        tf_apply(forward, 2, 0, x)
    with pytest.raises(ValueError):
        apply_chunking_to_forward(forward, 2, 0, x)


def test_chunk_dim_out_of_range_raises_an_index_error_in_both() -> None:
    def forward(a: torch.Tensor) -> torch.Tensor:
        return a.relu()

    x = torch.randn(4, 4)
    with pytest.raises(IndexError):
        tf_apply(forward, 2, 2, x)
    with pytest.raises(IndexError):
        apply_chunking_to_forward(forward, 2, 2, x)


def test_what_transformers_refuses_works_here() -> None:
    x = torch.randn(2, 10, 8)
    ffn = _ffn(8, 0)
    with pytest.raises(ValueError):
        tf_apply(lambda t: t * 2, 4, 1, x)  # 10 is not a multiple of 4
    assert torch.equal(apply_chunking_to_forward(lambda t: t * 2, 4, 1, x), x * 2)
    with pytest.raises(ValueError):
        tf_apply(ffn, 5, 1, x)  # an nn.Module: its signature is (*args, **kwargs)
    with torch.no_grad():
        torch.testing.assert_close(apply_chunking_to_forward(ffn, 5, 1, x), ffn(x))
