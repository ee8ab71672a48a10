"""Column selection through aligned blocks gives exactly index_select's values."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tu.conv1d import Conv1D
from tu.prune import prune_conv1d_layer, prune_linear_layer
from tu.prune._gather import _block_size, select


@pytest.mark.parametrize(
    ("positions", "size", "block"),
    [
        (list(range(8)), 8, 8),
        ([4, 5, 6, 7, 0, 1, 2, 3], 8, 4),  # reordered heads
        ([0, 1, 2, 3, 0, 1, 2, 3], 8, 4),  # a repeated head
        ([8, 9, 10, 11, 12, 13, 14, 15], 16, 8),
        ([2, 3, 4, 5], 8, 2),  # misaligned run
        (list(range(0, 16, 2)), 16, 1),  # stride 2: no runs
        ([0, 1, 2], 8, 1),  # too short
        (list(range(4, 8)), 10, 2),  # the dimension is not a multiple of the run
        ([], 8, 1),
    ],
)
def test_block_size(positions: list[int], size: int, block: int) -> None:
    assert _block_size(torch.tensor(positions, dtype=torch.long), size) == block


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
    got = select(weight, 1, positions, positions)
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
    got = select(weight, 1, positions, positions)
    torch.testing.assert_close(got, weight[:, 4:8], rtol=0, atol=0)
