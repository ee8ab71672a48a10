"""Column selection gives exactly index_select's values, whatever the dtype or pattern."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tu.conv1d import Conv1D
from tu.prune import prune_conv1d_layer, prune_linear_layer
from tu.prune._gather import gather_columns, select

DTYPES = [torch.float32, torch.float64, torch.bfloat16, torch.float16, torch.int8, torch.bool]


@pytest.mark.parametrize("dtype", DTYPES)
def test_gathered_columns_are_index_selects_bits(dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    weight = (torch.randn(7, 40) * 10).to(dtype)
    for positions in (torch.randperm(40)[:17], torch.arange(0, 40, 2), torch.tensor([3, 3, 0])):
        got = gather_columns(weight, positions)
        assert got.dtype == dtype
        assert got.is_contiguous()
        assert torch.equal(got, weight.index_select(1, positions))


def test_selecting_nothing_gives_an_empty_weight() -> None:
    weight = torch.randn(5, 6)
    assert select(weight, 1, torch.zeros(0, dtype=torch.long)).shape == (5, 0)
    assert select(weight, 0, torch.zeros(0, dtype=torch.long)).shape == (0, 6)


def test_non_contiguous_weights_fall_back_to_index_select() -> None:
    weight = torch.randn(6, 5).t()
    positions = torch.tensor([4, 0, 2])
    assert torch.equal(select(weight, 1, positions), weight.index_select(1, positions))


@settings(max_examples=40, deadline=None)
@given(
    head_size=st.integers(1, 9),
    num_heads=st.integers(1, 6),
    rows=st.integers(1, 5),
    data=st.data(),
)
def test_head_structured_columns_equal_index_select(
    head_size: int, num_heads: int, rows: int, data: st.DataObject
) -> None:
    heads = data.draw(st.lists(st.integers(0, num_heads - 1), max_size=8))
    index = [head * head_size + i for head in heads for i in range(head_size)]
    break_structure: bool = data.draw(st.booleans())
    if index and break_structure:
        index[data.draw(st.integers(0, len(index) - 1))] = data.draw(
            st.integers(0, num_heads * head_size - 1)
        )  # break the structure sometimes
    weight = torch.randn(rows, num_heads * head_size)
    positions = torch.tensor(index, dtype=torch.long)
    got = select(weight, 1, positions)
    assert got.is_contiguous()
    torch.testing.assert_close(got, weight.index_select(1, positions), rtol=0, atol=0)


def test_pruned_layers_use_exact_values_for_whole_heads() -> None:
    torch.manual_seed(0)
    linear = nn.Linear(32, 6, dtype=torch.bfloat16)
    keep = torch.cat([torch.arange(8, 16), torch.arange(24, 32)])
    pruned = prune_linear_layer(linear, keep, dim=1)
    torch.testing.assert_close(pruned.weight, linear.weight[:, keep], rtol=0, atol=0)
    conv = Conv1D(32, 6)
    pruned_conv = prune_conv1d_layer(conv, keep.tolist())
    torch.testing.assert_close(pruned_conv.weight, conv.weight[:, keep], rtol=0, atol=0)


def test_non_contiguous_weights_take_the_plain_path() -> None:
    weight = torch.randn(8, 6).t()  # (6, 8), not contiguous
    positions = torch.arange(4, 8)
    got = select(weight, 1, positions)
    torch.testing.assert_close(got, weight[:, 4:8], rtol=0, atol=0)
