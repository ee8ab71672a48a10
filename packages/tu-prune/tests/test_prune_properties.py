"""Hypothesis properties: a pruned layer computes the matching slice of the original layer."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tu.conv1d import Conv1D
from tu.prune import prune_conv1d_layer, prune_layer, prune_linear_layer

SETTINGS = settings(max_examples=40, deadline=None)
DTYPE = torch.float64


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 9), st.booleans(), st.data())
def test_linear_dim0_output_is_the_slice_of_the_original_output(
    out_features: int, in_features: int, bias: bool, data: st.DataObject
) -> None:
    layer = nn.Linear(in_features, out_features, bias=bias, dtype=DTYPE)
    index = data.draw(st.lists(st.integers(0, out_features - 1), max_size=12))
    x = torch.randn(3, in_features, dtype=DTYPE)
    pruned = prune_linear_layer(layer, index, dim=0)
    torch.testing.assert_close(pruned(x), layer(x)[:, index])


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 9), st.booleans(), st.data())
def test_linear_dim1_on_kept_inputs_equals_original_on_zeroed_others(
    out_features: int, in_features: int, bias: bool, data: st.DataObject
) -> None:
    layer = nn.Linear(in_features, out_features, bias=bias, dtype=DTYPE)
    index = data.draw(st.lists(st.integers(0, in_features - 1), unique=True, max_size=9))
    x = torch.randn(3, in_features, dtype=DTYPE)
    zeroed = torch.zeros_like(x)
    zeroed[:, index] = x[:, index]
    pruned = prune_linear_layer(layer, torch.tensor(index, dtype=torch.int32), dim=1)
    torch.testing.assert_close(pruned(x[:, index]), layer(zeroed))


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 9), st.booleans(), st.data())
def test_conv1d_dim1_output_is_the_slice_and_dim0_drops_zeroed_inputs(
    nf: int, nx: int, bias: bool, data: st.DataObject
) -> None:
    layer = Conv1D(nf, nx, bias=bias, dtype=DTYPE)
    with torch.no_grad():
        layer.weight.normal_()
        if layer.bias is not None:
            layer.bias.normal_()
    x = torch.randn(2, 3, nx, dtype=DTYPE)
    outputs = data.draw(st.lists(st.integers(0, nf - 1), max_size=12))
    torch.testing.assert_close(prune_conv1d_layer(layer, outputs)(x), layer(x)[..., outputs])
    inputs = data.draw(st.lists(st.integers(0, nx - 1), unique=True, max_size=9))
    zeroed = torch.zeros_like(x)
    zeroed[..., inputs] = x[..., inputs]
    torch.testing.assert_close(
        prune_conv1d_layer(layer, inputs, dim=0)(x[..., inputs]), layer(zeroed)
    )


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 9), st.data())
def test_pruning_linear_and_its_conv1d_twin_agree(
    out_features: int, in_features: int, data: st.DataObject
) -> None:
    linear = nn.Linear(in_features, out_features, dtype=DTYPE)
    conv = Conv1D.from_linear(linear)
    index = data.draw(st.lists(st.integers(0, out_features - 1), max_size=12))
    x = torch.randn(4, in_features, dtype=DTYPE)
    pruned_linear = prune_layer(linear, index)
    pruned_conv = prune_layer(conv, index)
    torch.testing.assert_close(pruned_conv(x), pruned_linear(x))


@SETTINGS
@given(
    st.sampled_from([torch.float32, torch.bfloat16, torch.float16, torch.float64]),
    st.integers(0, 1),
    st.data(),
)
def test_values_are_copied_exactly_in_every_dtype(
    dtype: torch.dtype, dim: int, data: st.DataObject
) -> None:
    layer = nn.Linear(5, 7, dtype=dtype)
    index = data.draw(st.lists(st.integers(0, layer.weight.shape[dim] - 1), max_size=8))
    pruned = prune_linear_layer(layer, index, dim=dim)
    assert pruned.weight.dtype == dtype
    expected = layer.weight[index] if dim == 0 else layer.weight[:, index]
    torch.testing.assert_close(pruned.weight, expected, rtol=0, atol=0)
