"""prune_heads on real attention blocks: the pruned block equals the block with heads masked."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tu.conv1d import Conv1D
from tu.prune import HeadPruning, UnsupportedLayerError, prune_heads

DTYPE = torch.float64


def _attend(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, head_size: int, mask: torch.Tensor | None
) -> torch.Tensor:
    """(B, H, T, D) inputs: causal softmax attention, per-head output optionally zeroed."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(head_size)
    t = q.shape[-2]
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    scores = scores.masked_fill(~causal, float("-inf"))
    heads = scores.softmax(-1) @ v
    if mask is not None:
        heads = heads * mask.view(1, -1, 1, 1)
    return heads


class GPT2Attention(nn.Module):
    """GPT-2's attention: fused c_attn (Conv1D) -> heads -> c_proj (Conv1D)."""

    def __init__(self, embed: int, num_heads: int, head_size: int) -> None:
        super().__init__()
        self.num_heads, self.head_size = num_heads, head_size
        self.c_attn = Conv1D(3 * num_heads * head_size, embed, dtype=DTYPE)
        self.c_proj = Conv1D(embed, num_heads * head_size, dtype=DTYPE)
        self.pruned_heads: frozenset[int] = frozenset()
        with torch.no_grad():
            for layer in (self.c_attn, self.c_proj):
                assert layer.bias is not None
                layer.bias.normal_()
                layer.weight.normal_()

    def forward(self, x: torch.Tensor, head_mask: torch.Tensor | None = None) -> torch.Tensor:
        b, t, _ = x.shape
        width = self.num_heads * self.head_size
        fused = self.c_attn(x)  # [query | key | value]; slices also work for width 0
        q, k, v = (
            fused[..., i * width : (i + 1) * width]
            .reshape(b, t, self.num_heads, self.head_size)
            .transpose(1, 2)
            for i in range(3)
        )
        heads = _attend(q, k, v, self.head_size, head_mask)
        out: torch.Tensor = self.c_proj(heads.transpose(1, 2).reshape(b, t, width))
        return out

    def prune(self, heads: list[int]) -> HeadPruning:
        result = prune_heads(
            heads,
            num_heads=self.num_heads,
            head_size=self.head_size,
            qkv=self.c_attn,
            out=self.c_proj,
            already_pruned_heads=self.pruned_heads,
        )
        assert isinstance(result.qkv, Conv1D)
        assert isinstance(result.out, Conv1D)
        self.c_attn, self.c_proj = result.qkv, result.out
        self.num_heads, self.pruned_heads = result.num_heads, result.pruned_heads
        return result


class GQAAttention(nn.Module):
    """Llama-style grouped-query attention with separate nn.Linear q/k/v/o projections."""

    def __init__(self, embed: int, num_heads: int, num_kv: int, head_size: int) -> None:
        super().__init__()
        self.num_heads, self.num_kv, self.head_size = num_heads, num_kv, head_size
        self.q = nn.Linear(embed, num_heads * head_size, dtype=DTYPE)
        self.k = nn.Linear(embed, num_kv * head_size, dtype=DTYPE)
        self.v = nn.Linear(embed, num_kv * head_size, dtype=DTYPE)
        self.o = nn.Linear(num_heads * head_size, embed, dtype=DTYPE)

    def forward(self, x: torch.Tensor, head_mask: torch.Tensor | None = None) -> torch.Tensor:
        b, t, _ = x.shape

        def split(y: torch.Tensor, n: int) -> torch.Tensor:
            return y.reshape(b, t, n, self.head_size).transpose(1, 2)

        repeat = self.num_heads // self.num_kv if self.num_kv else 1
        q = split(self.q(x), self.num_heads)
        k = split(self.k(x), self.num_kv).repeat_interleave(repeat, dim=1)
        v = split(self.v(x), self.num_kv).repeat_interleave(repeat, dim=1)
        heads = _attend(q, k, v, self.head_size, head_mask)
        out: torch.Tensor = self.o(
            heads.transpose(1, 2).reshape(b, t, self.num_heads * self.head_size)
        )
        return out


def _mask(num_heads: int, pruned: set[int] | frozenset[int]) -> torch.Tensor:
    mask = torch.ones(num_heads, dtype=DTYPE)
    mask[sorted(pruned)] = 0
    return mask


@settings(max_examples=25, deadline=None)
@given(
    num_heads=st.integers(1, 6),
    head_size=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_gpt2_block_pruned_equals_masked(
    num_heads: int, head_size: int, seed: int, data: st.DataObject
) -> None:
    torch.manual_seed(seed)
    block = GPT2Attention(8, num_heads, head_size)
    heads = data.draw(st.sets(st.integers(0, num_heads - 1)))
    x = torch.randn(2, 5, 8, dtype=DTYPE)
    expected = block(x, head_mask=_mask(num_heads, heads))
    result = block.prune(sorted(heads))
    assert result.num_heads == num_heads - len(heads)
    assert result.pruned_heads == frozenset(heads)
    torch.testing.assert_close(block(x), expected)


def test_gpt2_block_pruned_in_steps_equals_pruned_at_once() -> None:
    torch.manual_seed(0)
    stepwise = GPT2Attention(8, 6, 2)
    at_once = GPT2Attention(8, 6, 2)
    at_once.load_state_dict(stepwise.state_dict())
    x = torch.randn(2, 5, 8, dtype=DTYPE)
    expected = stepwise(x, head_mask=_mask(6, {1, 4, 5}))
    stepwise.prune([4])
    second = stepwise.prune([1, 4, 5])  # 4 again: ignored, as already pruned
    assert second.newly_pruned_heads == {1, 5}
    at_once.prune([5, 1, 4])
    torch.testing.assert_close(stepwise.c_attn.weight, at_once.c_attn.weight, rtol=0, atol=0)
    torch.testing.assert_close(stepwise.c_proj.weight, at_once.c_proj.weight, rtol=0, atol=0)
    torch.testing.assert_close(stepwise(x), expected)


def test_gpt2_block_pruning_every_head_leaves_the_output_bias() -> None:
    torch.manual_seed(1)
    block = GPT2Attention(8, 3, 2)
    x = torch.randn(1, 4, 8, dtype=DTYPE)
    result = block.prune([0, 1, 2])
    assert result.num_heads == 0
    assert block.c_attn.weight.shape == (8, 0)
    assert block.c_proj.weight.shape == (0, 8)
    assert block.c_proj.bias is not None
    torch.testing.assert_close(block(x), block.c_proj.bias.expand(1, 4, 8))


def test_recorded_plan_replays_on_a_fresh_copy() -> None:
    torch.manual_seed(2)
    block = GPT2Attention(8, 4, 2)
    state = block.state_dict()
    block.prune([2])
    plan = block.prune([0]).pruned_heads
    fresh = GPT2Attention(8, 4, 2)
    fresh.load_state_dict(state)
    fresh.prune(sorted(plan))
    x = torch.randn(1, 3, 8, dtype=DTYPE)
    torch.testing.assert_close(fresh(x), block(x), rtol=0, atol=0)


def test_nothing_to_prune_returns_the_same_layers() -> None:
    block = GPT2Attention(8, 2, 2)
    result = prune_heads([], num_heads=2, head_size=2, qkv=block.c_attn, out=block.c_proj)
    assert result.qkv is block.c_attn
    assert result.out is block.c_proj
    assert result.num_heads == 2
    assert result.query_index.tolist() == [0, 1, 2, 3]


def _gqa_case(num_heads: int, num_kv: int, seed: int = 0) -> tuple[GQAAttention, torch.Tensor]:
    torch.manual_seed(seed)
    block = GQAAttention(8, num_heads, num_kv, 2)
    return block, torch.randn(2, 5, 8, dtype=DTYPE)


def _apply(block: GQAAttention, result: HeadPruning) -> None:
    assert isinstance(result.q, nn.Linear)
    assert isinstance(result.k, nn.Linear)
    assert isinstance(result.v, nn.Linear)
    assert isinstance(result.out, nn.Linear)
    block.q, block.k, block.v, block.o = result.q, result.k, result.v, result.out
    block.num_heads, block.num_kv = result.num_heads, result.num_key_value_heads


def _prune_gqa(block: GQAAttention, **kwargs: object) -> HeadPruning:
    return prune_heads(
        num_heads=block.num_heads,
        head_size=block.head_size,
        num_key_value_heads=block.num_kv,
        q=block.q,
        k=block.k,
        v=block.v,
        out=block.o,
        **kwargs,  # type: ignore[arg-type]
    )


def test_gqa_pruning_a_kv_group_prunes_its_query_heads() -> None:
    block, x = _gqa_case(8, 4)  # groups {0,1} {2,3} {4,5} {6,7}
    expected = block(x, head_mask=_mask(8, {2, 3}))
    result = _prune_gqa(block, kv_heads=[1])
    assert result.newly_pruned_heads == {2, 3}
    assert result.newly_pruned_kv_heads == {1}
    assert (result.num_heads, result.num_key_value_heads) == (6, 3)
    _apply(block, result)
    assert block.k.out_features == 6
    torch.testing.assert_close(block(x), expected)


def test_gqa_whole_groups_given_as_query_heads_prune_the_kv_heads() -> None:
    block, x = _gqa_case(8, 4)
    expected = block(x, head_mask=_mask(8, {0, 1, 6, 7}))
    result = _prune_gqa(block, heads=[0, 1, 6, 7])
    assert result.pruned_kv_heads == {0, 3}
    _apply(block, result)
    torch.testing.assert_close(block(x), expected)


def test_gqa_same_number_from_every_group_keeps_the_kv_heads() -> None:
    block, x = _gqa_case(8, 2)  # groups {0..3} {4..7}
    expected = block(x, head_mask=_mask(8, {1, 6}))
    result = _prune_gqa(block, heads=[1, 6])
    assert (result.num_heads, result.num_key_value_heads) == (6, 2)
    assert result.pruned_kv_heads == frozenset()
    _apply(block, result)
    assert block.k is not None
    torch.testing.assert_close(block(x), expected)


def test_gqa_request_that_breaks_the_grouping_is_refused() -> None:
    block, _ = _gqa_case(8, 2)
    with pytest.raises(ValueError, match="unequal numbers of query heads"):
        _prune_gqa(block, heads=[1])


def test_gqa_second_round_uses_the_recorded_sets() -> None:
    block, x = _gqa_case(8, 4)
    expected = block(x, head_mask=_mask(8, {2, 3, 6, 7}))
    first = _prune_gqa(block, kv_heads=[1])
    _apply(block, first)
    second = _prune_gqa(
        block,
        kv_heads=[3],
        already_pruned_heads=first.pruned_heads,
        already_pruned_kv_heads=first.pruned_kv_heads,
    )
    assert second.pruned_heads == {2, 3, 6, 7}
    assert second.pruned_kv_heads == {1, 3}
    _apply(block, second)
    torch.testing.assert_close(block(x), expected)


def test_gqa_inconsistent_already_pruned_sets_are_refused() -> None:
    # 6 query heads and 2 kv heads originally (groups {0,1,2} {3,4,5}).
    block, _ = _gqa_case(4, 2)
    with pytest.raises(ValueError, match="key/value head 0 has 1 query heads left"):
        _prune_gqa(block, heads=[5], already_pruned_heads=[0, 1])
    block, _ = _gqa_case(4, 1)
    with pytest.raises(ValueError, match="key/value head 0 is in already_pruned_kv_heads"):
        _prune_gqa(block, heads=[5], already_pruned_heads=[0, 1], already_pruned_kv_heads=[0])
    with pytest.raises(ValueError, match="multiple of num_key_value_heads"):
        prune_heads([0], num_heads=6, head_size=2, num_key_value_heads=4, q=block.q)


def test_fused_gqa_qkv_layout() -> None:
    torch.manual_seed(3)
    qkv = nn.Linear(8, (4 + 2 * 2) * 2, dtype=DTYPE)  # 4 query heads, 2 kv heads, size 2
    result = prune_heads([0, 1], num_heads=4, head_size=2, num_key_value_heads=2, qkv=qkv)
    assert isinstance(result.qkv, nn.Linear)
    kept = [4, 5, 6, 7, 8 + 2, 8 + 3, 12 + 2, 12 + 3]
    torch.testing.assert_close(result.qkv.weight, qkv.weight[kept], rtol=0, atol=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "at least one of"),
        ({"qkv": nn.Linear(4, 12), "q": nn.Linear(4, 4)}, ValueError, "not both"),
        ({"q": nn.Conv1d(4, 4, 1)}, UnsupportedLayerError, "q must be a torch.nn.Linear"),
        ({"q": nn.Linear(4, 6)}, ValueError, "q has 6 output features, expected"),
        ({"out": Conv1D(4, 6)}, ValueError, "out has 6 input features"),
        ({"qkv": Conv1D(9, 4)}, ValueError, "qkv has 9 output features"),
    ],
)
def test_bad_layers_are_refused(
    kwargs: dict[str, nn.Module], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        prune_heads([0], num_heads=2, head_size=2, **kwargs)  # type: ignore[arg-type]


def test_heads_out_of_range_are_refused() -> None:
    with pytest.raises(IndexError, match="heads"):
        prune_heads([2], num_heads=2, head_size=2, q=nn.Linear(4, 4))
    with pytest.raises(IndexError, match="kv_heads"):
        prune_heads(
            kv_heads=[1], num_heads=2, head_size=2, num_key_value_heads=1, q=nn.Linear(4, 4)
        )


def test_layers_passed_in_are_not_modified() -> None:
    block = GPT2Attention(8, 2, 2)
    state = {k: v.clone() for k, v in block.state_dict().items()}
    prune_heads([0], num_heads=2, head_size=2, qkv=block.c_attn, out=block.c_proj)
    for key, value in block.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    assert block.c_attn.weight.shape == (8, 12)
