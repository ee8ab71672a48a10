"""prune_conv1d_layer and prune_layer: Conv1D semantics, classes, dispatch and errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tu.conv1d import Conv1D
from tu.prune import UnsupportedLayerError, prune_conv1d_layer, prune_layer


def _conv(nf: int = 6, nx: int = 4, bias: bool = True) -> Conv1D:
    layer = Conv1D(nf, nx, bias=bias)
    with torch.no_grad():
        layer.weight.copy_(torch.arange(nx * nf, dtype=torch.float32).view(nx, nf))
        if layer.bias is not None:
            layer.bias.copy_(torch.arange(nf, dtype=torch.float32) * 100)
    return layer


def _fake_transformers_conv1d() -> type[nn.Module]:
    """Transformers' Conv1D signature (nf, nx) and names, without importing transformers."""

    class FakeConv1D(nn.Module):
        def __init__(self, nf: int, nx: int) -> None:
            super().__init__()
            self.nf, self.nx = nf, nx
            self.weight = nn.Parameter(torch.empty(nx, nf))
            self.bias = nn.Parameter(torch.zeros(nf))
            nn.init.normal_(self.weight, std=0.02)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.addmm(self.bias, x.reshape(-1, self.nx), self.weight).view(
                *x.shape[:-1], self.nf
            )

    FakeConv1D.__name__ = FakeConv1D.__qualname__ = "Conv1D"
    FakeConv1D.__module__ = "transformers.pytorch_utils"
    return FakeConv1D


def test_default_dim1_keeps_output_columns_and_bias_entries() -> None:
    layer = _conv()
    pruned = prune_conv1d_layer(layer, [5, 0])
    assert type(pruned) is Conv1D
    assert (pruned.nf, pruned.nx) == (2, 4)
    torch.testing.assert_close(pruned.weight, layer.weight[:, [5, 0]], rtol=0, atol=0)
    torch.testing.assert_close(pruned.bias, torch.tensor([500.0, 0.0]), rtol=0, atol=0)
    assert repr(pruned) == "Conv1D(nf=2, nx=4)"


def test_dim0_keeps_input_rows_and_the_whole_bias() -> None:
    layer = _conv()
    pruned = prune_conv1d_layer(layer, torch.tensor([1, 3]), dim=0)
    assert (pruned.nf, pruned.nx) == (6, 2)
    torch.testing.assert_close(pruned.weight, layer.weight[[1, 3]], rtol=0, atol=0)
    torch.testing.assert_close(pruned.bias, layer.bias, rtol=0, atol=0)


def test_negative_dim_minus_one_is_dim1_with_the_bias_indexed() -> None:
    pruned = prune_conv1d_layer(_conv(), [2], dim=-1)
    torch.testing.assert_close(pruned.bias, torch.tensor([200.0]))


def test_without_bias_stays_without_bias() -> None:
    pruned = prune_conv1d_layer(_conv(bias=False), [0, 1])
    assert pruned.bias is None
    assert repr(pruned) == "Conv1D(nf=2, nx=4, bias=False)"


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float64])
def test_dtype_device_grad_and_mode_follow_the_rules(dtype: torch.dtype) -> None:
    layer = _conv().to(dtype).eval().requires_grad_(False)
    pruned = prune_conv1d_layer(layer, [0, 1], dim=0)
    assert pruned.weight.dtype == dtype
    assert pruned.weight.requires_grad
    assert not pruned.training
    meta = prune_conv1d_layer(Conv1D(8, 8, device="meta"), [0, 1])
    assert meta.weight.device.type == "meta"


def test_empty_index_gives_zero_width_conv1d() -> None:
    layer = _conv()
    pruned = prune_conv1d_layer(layer, [], dim=0)
    assert pruned.weight.shape == (0, 6)
    assert layer.bias is not None
    torch.testing.assert_close(pruned(torch.randn(2, 0)), layer.bias.expand(2, 6))


def test_transformers_style_conv1d_is_pruned_into_its_own_class() -> None:
    fake = _fake_transformers_conv1d()
    torch.manual_seed(0)
    layer = fake(6, 4)
    state = torch.random.get_rng_state()
    pruned = prune_conv1d_layer(layer, [1, 2])
    assert torch.equal(torch.random.get_rng_state(), state)  # no throwaway initialisation
    assert type(pruned) is fake
    assert pruned.weight.shape == (4, 2)
    assert (getattr(pruned, "nf"), getattr(pruned, "nx")) == (2, 4)  # noqa: B009
    x = torch.randn(3, 4)
    torch.testing.assert_close(pruned(x), layer(x)[:, [1, 2]])
    assert type(prune_layer(layer, [0])) is fake


def test_conv1d_subclass_that_cannot_be_built_falls_back_to_tu_conv1d() -> None:
    class Configured(Conv1D):
        def __init__(self, config: tuple[int, int]) -> None:
            super().__init__(*config)

    pruned = prune_conv1d_layer(Configured((6, 4)), [0])
    assert type(pruned) is Conv1D


def test_prune_conv1d_rejects_linear() -> None:
    with pytest.raises(TypeError, match="layer must be a Conv1D"):
        prune_conv1d_layer(nn.Linear(4, 6), [0])


@pytest.mark.parametrize(
    ("index", "dim", "error"),
    [([0], 2, IndexError), ([6], 1, IndexError), ([4], 0, IndexError), ([0.0], 1, TypeError)],
)
def test_prune_conv1d_errors(index: list[float], dim: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        prune_conv1d_layer(_conv(), index, dim=dim)  # type: ignore[arg-type]


def test_prune_layer_dispatches_with_output_defaults() -> None:
    linear = prune_layer(nn.Linear(4, 6), [0, 1])
    assert (linear.in_features, linear.out_features) == (4, 2)
    conv = prune_layer(_conv(), [0, 1])
    assert isinstance(conv, Conv1D)
    assert (conv.nf, conv.nx) == (2, 4)
    assert prune_layer(nn.Linear(4, 6), [0], dim=1).in_features == 1
    assert prune_layer(_conv(), [0], dim=0).nx == 1


def test_prune_layer_rejects_other_modules_with_type_and_value_error() -> None:
    with pytest.raises(UnsupportedLayerError, match=r"nn\.Linear or a Conv1D"):
        prune_layer(nn.Conv1d(4, 6, 1), [0])
    assert issubclass(UnsupportedLayerError, TypeError)
    assert issubclass(UnsupportedLayerError, ValueError)
