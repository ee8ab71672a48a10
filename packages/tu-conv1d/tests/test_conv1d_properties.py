"""Hypothesis properties of Conv1D: it is the linear map of its weight, for any layout."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tu.conv1d import Conv1D

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def layer_and_input(draw: st.DrawFn) -> tuple[Conv1D, torch.Tensor]:
    nf = draw(st.integers(0, 7))
    nx = draw(st.integers(0, 7))
    bias = draw(st.booleans())
    lead = draw(st.lists(st.integers(0, 4), min_size=0, max_size=3))
    seed = draw(st.integers(0, 2**16))
    generator = torch.Generator().manual_seed(seed)
    layer = Conv1D(nf, nx, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(nx, nf, generator=generator, dtype=torch.float64))
        if layer.bias is not None:
            layer.bias.copy_(torch.randn(nf, generator=generator, dtype=torch.float64))
    x = torch.randn(*lead, nx, generator=generator, dtype=torch.float64)
    if draw(st.booleans()) and x.dim() >= 2:
        # Same values, non-contiguous layout.
        x = x.transpose(0, -1).contiguous().transpose(0, -1)
    return layer, x


@SETTINGS
@given(layer_and_input())
def test_output_is_the_affine_map_over_the_last_dim(case: tuple[Conv1D, torch.Tensor]) -> None:
    layer, x = case
    expected = torch.einsum("...i,io->...o", x, layer.weight)
    if layer.bias is not None:
        expected = expected + layer.bias
    out = layer(x)
    assert out.shape == (*x.shape[:-1], layer.nf)
    torch.testing.assert_close(out, expected)


@SETTINGS
@given(layer_and_input())
def test_to_linear_and_back_preserve_the_function(case: tuple[Conv1D, torch.Tensor]) -> None:
    layer, x = case
    linear = layer.to_linear()
    assert isinstance(linear, nn.Linear)
    torch.testing.assert_close(linear(x), layer(x))
    back = Conv1D.from_linear(linear)
    torch.testing.assert_close(back.weight, layer.weight, rtol=0, atol=0)
    torch.testing.assert_close(back(x), layer(x), rtol=0, atol=0)
