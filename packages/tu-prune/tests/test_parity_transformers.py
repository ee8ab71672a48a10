"""tu.prune against the installed transformers release (skipped without transformers).

transformers 5.x has only ``prune_linear_layer``; the 4.x-only names are skipped there.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tu.prune import (
    find_pruneable_heads_and_indices,
    prune_conv1d_layer,
    prune_layer,
    prune_linear_layer,
)

transformers = pytest.importorskip("transformers")
hf = pytest.importorskip("transformers.pytorch_utils")
SETTINGS = settings(max_examples=30, deadline=None)


def _need(name: str) -> object:
    if not hasattr(hf, name):
        pytest.skip(f"transformers {transformers.__version__} has no pytorch_utils.{name}")
    return getattr(hf, name)


def _assert_same_layer(ours: nn.Module, theirs: nn.Module) -> None:
    assert type(ours) is type(theirs)
    for name in ("weight", "bias"):
        mine, other = getattr(ours, name), getattr(theirs, name)
        if other is None:
            assert mine is None
            continue
        assert mine.shape == other.shape
        assert mine.dtype == other.dtype
        assert mine.device == other.device
        assert mine.requires_grad == other.requires_grad
        torch.testing.assert_close(mine, other, rtol=0, atol=0)


@SETTINGS
@given(
    out_features=st.integers(1, 12),
    in_features=st.integers(1, 12),
    bias=st.booleans(),
    frozen=st.booleans(),
    dim=st.integers(0, 1),
    data=st.data(),
)
def test_prune_linear_layer_matches(
    out_features: int, in_features: int, bias: bool, frozen: bool, dim: int, data: st.DataObject
) -> None:
    layer = nn.Linear(in_features, out_features, bias=bias).requires_grad_(not frozen)
    size = layer.weight.shape[dim]
    index = torch.tensor(data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=16)))
    _assert_same_layer(
        prune_linear_layer(layer, index, dim=dim), hf.prune_linear_layer(layer, index, dim=dim)
    )


@SETTINGS
@given(
    nf=st.integers(1, 12),
    nx=st.integers(1, 12),
    frozen=st.booleans(),
    dim=st.integers(0, 1),
    data=st.data(),
)
def test_prune_conv1d_layer_matches(
    nf: int, nx: int, frozen: bool, dim: int, data: st.DataObject
) -> None:
    theirs_fn = _need("prune_conv1d_layer")
    layer = hf.Conv1D(nf, nx).requires_grad_(not frozen)
    with torch.no_grad():
        layer.bias.normal_()
    size = layer.weight.shape[dim]
    index = torch.tensor(data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=16)))
    ours = prune_conv1d_layer(layer, index, dim=dim)
    theirs = theirs_fn(layer, index, dim=dim)  # type: ignore[operator]
    _assert_same_layer(ours, theirs)
    assert (ours.nf, ours.nx) == (theirs.nf, theirs.nx)
    assert repr(ours) == repr(theirs)


def test_transformers_conv1d_is_pruned_into_transformers_conv1d_on_every_release() -> None:
    torch.manual_seed(0)
    layer = hf.Conv1D(6, 4)
    pruned = prune_conv1d_layer(layer, [1, 3])
    assert type(pruned) is hf.Conv1D
    x = torch.randn(2, 4)
    torch.testing.assert_close(pruned(x), layer(x)[:, [1, 3]], rtol=0, atol=0)
    assert type(prune_layer(layer, [0], dim=0)) is hf.Conv1D


@pytest.mark.parametrize("kind", ["linear", "conv1d"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prune_layer_matches(kind: str, dim: int | None) -> None:
    theirs_fn = _need("prune_layer")
    torch.manual_seed(1)
    layer = nn.Linear(5, 6) if kind == "linear" else hf.Conv1D(6, 5)
    index = torch.tensor([0, 4, 2])
    _assert_same_layer(prune_layer(layer, index, dim), theirs_fn(layer, index, dim))  # type: ignore[operator]


def test_prune_layer_error_is_catchable_as_transformers_raises_it() -> None:
    theirs_fn = _need("prune_layer")
    with pytest.raises(ValueError):
        theirs_fn(nn.Conv1d(2, 2, 1), torch.tensor([0]))  # type: ignore[operator]
    with pytest.raises(ValueError):
        prune_layer(nn.Conv1d(2, 2, 1), torch.tensor([0]))


@settings(max_examples=60, deadline=None)
@given(total=st.integers(1, 12), head_size=st.integers(1, 4), data=st.data())
def test_find_pruneable_heads_and_indices_matches(
    total: int, head_size: int, data: st.DataObject
) -> None:
    theirs_fn = _need("find_pruneable_heads_and_indices")
    already = data.draw(st.sets(st.integers(0, total - 1), max_size=total - 1))
    heads = data.draw(st.lists(st.integers(0, total - 1), max_size=total))
    n_heads = total - len(already)
    ours = find_pruneable_heads_and_indices(heads, n_heads, head_size, set(already))
    theirs = theirs_fn(list(heads), n_heads, head_size, set(already))  # type: ignore[operator]
    assert ours[0] == theirs[0]
    assert ours[1].dtype == theirs[1].dtype
    assert torch.equal(ours[1], theirs[1])


def test_gpt2_attention_pruned_by_transformers_and_by_tu_agree() -> None:
    """Prune a real transformers GPT-2 attention block both ways: same layers, same output."""
    try:
        from transformers import GPT2Config
        from transformers.models.gpt2.modeling_gpt2 import GPT2Attention
    except ImportError as error:  # pragma: no cover - depends on the release
        pytest.skip(f"no GPT-2 attention in this transformers: {error}")
    if not hasattr(GPT2Attention, "prune_heads"):
        pytest.skip(f"transformers {transformers.__version__} GPT2Attention has no prune_heads")
    from tu.prune import prune_heads

    torch.manual_seed(0)
    config = GPT2Config(n_embd=16, n_head=4, n_layer=1, attn_pdrop=0.0, resid_pdrop=0.0)
    attention = GPT2Attention(config).eval()
    result = prune_heads(
        [1, 3], num_heads=4, head_size=4, qkv=attention.c_attn, out=attention.c_proj
    )
    attention.prune_heads([1, 3])
    _assert_same_layer(result.qkv, attention.c_attn)  # type: ignore[arg-type]
    _assert_same_layer(result.out, attention.c_proj)  # type: ignore[arg-type]
    assert result.num_heads == attention.num_heads
    assert result.pruned_heads == attention.pruned_heads
