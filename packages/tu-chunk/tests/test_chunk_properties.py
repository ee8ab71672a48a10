"""Hypothesis properties: chunked equals unchunked, forward and backward, for random shapes."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tu.chunk import apply_chunking_to_forward

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@st.composite
def _case(draw: st.DrawFn) -> tuple[list[int], int, int, list[int]]:
    """A shape, a chunk_dim (maybe negative), a chunk_size (maybe <= 0) and a broadcast shape."""
    rank = draw(st.integers(1, 4))
    shape = draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank))
    dim = draw(st.integers(0, rank - 1))
    shape[dim] = draw(st.integers(0, 13))
    chunk_dim = dim - rank if draw(st.booleans()) else dim
    chunk_size = draw(st.integers(-2, shape[dim] + 2))
    # A second input broadcast along every dim but the chunked one.
    other = [n if i == dim or draw(st.booleans()) else 1 for i, n in enumerate(shape)]
    return shape, chunk_dim, chunk_size, other


def _elementwise(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.sin(x) * 2 + y * y


@SETTINGS
@given(_case(), st.booleans())
def test_elementwise_forward_is_bit_identical(
    case: tuple[list[int], int, int, list[int]], grad_mode: bool
) -> None:
    shape, chunk_dim, chunk_size, other = case
    x, y = torch.randn(shape), torch.randn(other)
    with torch.set_grad_enabled(grad_mode):
        out = apply_chunking_to_forward(_elementwise, chunk_size, chunk_dim, x, y)
    assert out.shape == torch.Size(shape)
    assert torch.equal(out, _elementwise(x, y))


@SETTINGS
@given(_case())
def test_tuple_outputs_are_each_joined(case: tuple[list[int], int, int, list[int]]) -> None:
    shape, chunk_dim, chunk_size, other = case
    x, y = torch.randn(shape), torch.randn(other)

    def fn(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return a * b, a.exp()

    with torch.no_grad():
        first, second = apply_chunking_to_forward(fn, chunk_size, chunk_dim, x, y)
    assert torch.equal(first, x * y)
    assert torch.equal(second, x.exp())


@SETTINGS
@given(_case())
def test_elementwise_backward_matches_unchunked(
    case: tuple[list[int], int, int, list[int]],
) -> None:
    shape, chunk_dim, chunk_size, other = case
    x = torch.randn(shape, requires_grad=True)
    y = torch.randn(other, requires_grad=True)
    weight = torch.randn(shape)

    out = apply_chunking_to_forward(_elementwise, chunk_size, chunk_dim, x, y)
    (out * weight).sum().backward()
    grads = (x.grad, y.grad)
    x.grad = y.grad = None
    (_elementwise(x, y) * weight).sum().backward()
    torch.testing.assert_close(grads[0], x.grad)
    torch.testing.assert_close(grads[1], y.grad)


@st.composite
def _linear_case(draw: st.DrawFn) -> tuple[list[int], int, int]:
    """A shape whose last dim is the features and a chunk_dim among the others."""
    rank = draw(st.integers(2, 4))
    shape = draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank))
    shape[-1] = draw(st.integers(1, 6))
    dim = draw(st.integers(0, rank - 2))
    shape[dim] = draw(st.integers(0, 11))
    chunk_dim = dim - rank if draw(st.booleans()) else dim
    return shape, chunk_dim, draw(st.integers(-1, shape[dim] + 1))


@SETTINGS
@given(_linear_case(), st.integers(1, 5), st.integers(0, 2**16))
def test_module_forward_and_backward_match_unchunked(
    case: tuple[list[int], int, int], out_features: int, seed: int
) -> None:
    shape, chunk_dim, chunk_size = case
    torch.manual_seed(seed)
    ffn = nn.Sequential(nn.Linear(shape[-1], 7), nn.GELU(), nn.Linear(7, out_features))
    x = torch.randn(shape, requires_grad=True)

    with torch.no_grad():
        expected = ffn(x)
        torch.testing.assert_close(
            apply_chunking_to_forward(ffn, chunk_size, chunk_dim, x), expected
        )

    out = apply_chunking_to_forward(ffn, chunk_size, chunk_dim, x)
    torch.testing.assert_close(out, expected)
    weight = torch.randn(out.shape)
    (out * weight).sum().backward()
    chunked_grads = [x.grad] + [p.grad for p in ffn.parameters()]
    x.grad = None
    ffn.zero_grad(set_to_none=True)
    (ffn(x) * weight).sum().backward()
    plain_grads = [x.grad] + [p.grad for p in ffn.parameters()]
    for got, want in zip(chunked_grads, plain_grads, strict=True):
        assert got is not None and want is not None
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64, torch.int64])
def test_dtypes_are_kept(dtype: torch.dtype) -> None:
    x = (torch.randn(3, 10) * 10).to(dtype)
    with torch.no_grad():
        out = apply_chunking_to_forward(lambda t: t * 3, 4, 1, x)
    assert out.dtype == dtype
    assert torch.equal(out, x * 3)
