"""tu's Conv1D against the installed transformers' Conv1D (skipped without transformers)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tu.conv1d import Conv1D, conv1d_module_names, is_conv1d, transpose_conv1d_weights

transformers = pytest.importorskip("transformers")
pytorch_utils = pytest.importorskip("transformers.pytorch_utils")
HFConv1D = pytorch_utils.Conv1D


def _pair(nf: int, nx: int, seed: int) -> tuple[Conv1D, torch.nn.Module]:
    torch.manual_seed(seed)
    theirs = HFConv1D(nf, nx)
    with torch.no_grad():
        theirs.bias.normal_()
    ours = Conv1D(nf, nx)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


@settings(max_examples=40, deadline=None)
@given(
    nf=st.integers(1, 48),
    nx=st.integers(1, 48),
    lead=st.lists(st.integers(1, 5), min_size=0, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_outputs_equal_bit_for_bit_on_cpu_float32(
    nf: int, nx: int, lead: list[int], seed: int
) -> None:
    ours, theirs = _pair(nf, nx, seed)
    x = torch.randn(*lead, nx)
    torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=0)


def test_gpt2_sized_layer_equal_bit_for_bit() -> None:
    ours, theirs = _pair(3072, 768, 0)
    x = torch.randn(2, 16, 768)
    torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=0)


def test_state_dicts_have_the_same_keys_shapes_and_load_both_ways() -> None:
    ours, theirs = _pair(12, 8, 1)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == value.shape
        assert ours.state_dict()[key].dtype == value.dtype
    fresh = HFConv1D(12, 8)
    fresh.load_state_dict(ours.state_dict())
    torch.testing.assert_close(fresh.weight, ours.weight, rtol=0, atol=0)


def test_repr_equals_transformers() -> None:
    assert repr(Conv1D(768, 3072)) == repr(HFConv1D(768, 3072))


def test_initialisation_matches_in_distribution() -> None:
    torch.manual_seed(0)
    theirs = HFConv1D(256, 256)
    torch.manual_seed(0)
    ours = Conv1D(256, 256)
    # Same distribution, same draw order: the same values.
    torch.testing.assert_close(ours.weight, theirs.weight, rtol=0, atol=0)
    torch.testing.assert_close(ours.bias, theirs.bias, rtol=0, atol=0)


def test_non_contiguous_input_works_where_transformers_raises() -> None:
    ours, theirs = _pair(6, 8, 2)
    x = torch.randn(8, 3, 2).transpose(0, 2)
    with pytest.raises(RuntimeError):
        theirs(x)
    torch.testing.assert_close(ours(x), theirs(x.contiguous()), rtol=0, atol=0)


def test_is_conv1d_and_module_names_accept_transformers_layers() -> None:
    layer = HFConv1D(4, 3)
    assert is_conv1d(layer)
    model = torch.nn.ModuleDict({"c_fc": layer, "c_proj": Conv1D(3, 4)})
    assert conv1d_module_names(model) == ["c_fc", "c_proj"]


def test_to_linear_of_transformers_weights_matches_their_output() -> None:
    ours, theirs = _pair(5, 7, 3)
    x = torch.randn(4, 7)
    torch.testing.assert_close(ours.to_linear()(x), theirs(x))
    state = transpose_conv1d_weights(theirs.state_dict(), [""])
    linear = torch.nn.Linear(7, 5)
    linear.load_state_dict(state)
    torch.testing.assert_close(linear(x), theirs(x))
