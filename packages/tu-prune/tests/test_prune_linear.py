"""prune_linear_layer: values, order, bias, dtype, device, classes and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from tu.prune import prune_linear_layer

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _layer(out_features: int = 6, in_features: int = 4, bias: bool = True) -> nn.Linear:
    layer = nn.Linear(in_features, out_features, bias=bias)
    with torch.no_grad():
        layer.weight.copy_(
            torch.arange(out_features * in_features, dtype=torch.float32).view(
                out_features, in_features
            )
        )
        if layer.bias is not None:
            layer.bias.copy_(torch.arange(out_features, dtype=torch.float32) * 100)
    return layer


def test_dim0_keeps_rows_and_bias_entries_in_the_given_order() -> None:
    layer = _layer()
    pruned = prune_linear_layer(layer, torch.tensor([4, 0, 2]))
    assert type(pruned) is nn.Linear
    assert (pruned.in_features, pruned.out_features) == (4, 3)
    torch.testing.assert_close(pruned.weight, layer.weight[[4, 0, 2]], rtol=0, atol=0)
    torch.testing.assert_close(pruned.bias, torch.tensor([400.0, 0.0, 200.0]), rtol=0, atol=0)


def test_dim1_keeps_columns_and_the_whole_bias() -> None:
    layer = _layer()
    pruned = prune_linear_layer(layer, torch.tensor([3, 1]), dim=1)
    assert (pruned.in_features, pruned.out_features) == (2, 6)
    torch.testing.assert_close(pruned.weight, layer.weight[:, [3, 1]], rtol=0, atol=0)
    torch.testing.assert_close(pruned.bias, layer.bias, rtol=0, atol=0)


@pytest.mark.parametrize(("negative", "positive"), [(-2, 0), (-1, 1)])
def test_negative_dims_mean_the_same_as_positive(negative: int, positive: int) -> None:
    layer = _layer()
    a = prune_linear_layer(layer, [1, 2], dim=negative)
    b = prune_linear_layer(layer, [1, 2], dim=positive)
    torch.testing.assert_close(a.weight, b.weight, rtol=0, atol=0)
    torch.testing.assert_close(a.bias, b.bias, rtol=0, atol=0)


def test_repeated_positions_are_kept_repeated() -> None:
    pruned = prune_linear_layer(_layer(), [1, 1, 5])
    assert pruned.out_features == 3
    torch.testing.assert_close(pruned.bias, torch.tensor([100.0, 100.0, 500.0]))


def test_without_bias() -> None:
    pruned = prune_linear_layer(_layer(bias=False), [0], dim=0)
    assert list(pruned.state_dict()) == ["weight"]
    assert pruned.weight.shape == (1, 4)


def test_parameters_require_grad_even_when_the_source_is_frozen() -> None:
    layer = _layer()
    layer.requires_grad_(False)
    pruned = prune_linear_layer(layer, [0, 1])
    assert isinstance(pruned.weight, nn.Parameter)
    assert pruned.weight.requires_grad
    assert pruned.bias is not None
    assert pruned.bias.requires_grad
    assert pruned.weight.grad_fn is None  # a leaf, detached from the source


def test_result_is_independent_of_the_source() -> None:
    layer = _layer()
    before = layer.weight.detach().clone()
    pruned = prune_linear_layer(layer, [0, 1, 2, 3], dim=1)  # keeps everything
    with torch.no_grad():
        pruned.weight.zero_()
        pruned.bias.zero_()
    torch.testing.assert_close(layer.weight.detach(), before, rtol=0, atol=0)
    assert layer.bias is not None
    assert torch.count_nonzero(layer.bias) == 5


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64])
@pytest.mark.parametrize("dim", [0, 1])
def test_dtype_is_kept(dtype: torch.dtype, dim: int) -> None:
    layer = _layer().to(dtype)
    pruned = prune_linear_layer(layer, [0, 2], dim=dim)
    assert pruned.weight.dtype == dtype
    assert pruned.bias is not None
    assert pruned.bias.dtype == dtype


def test_bf16_pruned_layer_runs_on_bf16_input() -> None:
    layer = nn.Linear(8, 8, dtype=torch.bfloat16)
    pruned = prune_linear_layer(layer, [0, 1, 2, 3], dim=1)
    assert pruned(torch.randn(2, 4, dtype=torch.bfloat16)).dtype == torch.bfloat16


def test_training_flag_is_kept() -> None:
    assert not prune_linear_layer(_layer().eval(), [0]).training
    assert prune_linear_layer(_layer().train(), [0]).training


def test_meta_layers_prune_to_meta_layers() -> None:
    layer = nn.Linear(4096, 4096, device="meta")
    pruned = prune_linear_layer(layer, torch.arange(0, 4096, 2), dim=1)
    assert pruned.weight.device.type == "meta"
    assert pruned.weight.shape == (4096, 2048)


@CUDA
@pytest.mark.parametrize("index_device", ["cpu", "cuda"])
def test_cuda_layer_stays_on_cuda(index_device: str) -> None:
    layer = _layer().cuda()
    pruned = prune_linear_layer(layer, torch.tensor([1, 3], device=index_device))
    assert pruned.weight.is_cuda
    assert pruned.bias is not None
    assert pruned.bias.is_cuda
    torch.testing.assert_close(pruned.weight.cpu(), layer.weight[[1, 3]].cpu())


@pytest.mark.parametrize(
    "index",
    [
        torch.tensor([2, 0]),
        torch.tensor([2, 0], dtype=torch.int32),
        torch.tensor([2, 0], dtype=torch.int16),
        torch.tensor([2, 0], dtype=torch.uint8),
        [2, 0],
        (2, 0),
        np.array([2, 0]),
        [np.int64(2), torch.tensor(0)],
    ],
    ids=["long", "int32", "int16", "uint8", "list", "tuple", "numpy", "mixed"],
)
def test_index_kinds(index: object) -> None:
    pruned = prune_linear_layer(_layer(), index)  # type: ignore[arg-type]
    torch.testing.assert_close(pruned.bias, torch.tensor([200.0, 0.0]))


def test_range_index() -> None:
    assert prune_linear_layer(_layer(), range(1, 4)).out_features == 3


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("index", [[], torch.tensor([], dtype=torch.long)], ids=["list", "tensor"])
def test_empty_index_gives_a_zero_width_layer(dim: int, index: object) -> None:
    layer = _layer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pruned = prune_linear_layer(layer, index, dim=dim)  # type: ignore[arg-type]
    x = torch.randn(3, pruned.in_features)
    out = pruned(x)
    if dim == 0:
        assert pruned.weight.shape == (0, 4)
        assert out.shape == (3, 0)
    else:
        assert pruned.weight.shape == (6, 0)
        torch.testing.assert_close(out, layer.bias.expand(3, 6))  # only the bias is left


class Scaled(nn.Linear):
    """A subclass that can be built with in/out features."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * super().forward(x)


class NeedsConfig(nn.Linear):
    """A subclass that cannot be built with in/out features."""

    def __init__(self, config: dict[str, int]) -> None:
        super().__init__(config["in"], config["out"])


class WithExtra(nn.Linear):
    """A subclass holding another tensor that pruning could not know how to slice."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias)
        self.scale = nn.Parameter(torch.ones(out_features))


def test_subclass_built_from_features_keeps_its_class() -> None:
    layer = Scaled(4, 6)
    pruned = prune_linear_layer(layer, [0, 1])
    assert type(pruned) is Scaled
    assert (pruned.in_features, pruned.out_features) == (4, 2)
    x = torch.randn(2, 4)
    torch.testing.assert_close(pruned(x), layer(x)[:, :2])
    assert type(prune_linear_layer(Scaled(4, 6, bias=False), [0])) is Scaled


@pytest.mark.parametrize("layer", [NeedsConfig({"in": 4, "out": 6}), WithExtra(4, 6)])
def test_other_subclasses_fall_back_to_plain_linear(layer: nn.Linear) -> None:
    pruned = prune_linear_layer(layer, [0, 1])
    assert type(pruned) is nn.Linear
    torch.testing.assert_close(pruned.weight, layer.weight[:2], rtol=0, atol=0)


def test_no_random_initialisation_happens() -> None:
    layer = nn.Linear(64, 64)
    scaled = Scaled(64, 64)
    state = torch.random.get_rng_state()
    prune_linear_layer(layer, list(range(32)))
    prune_linear_layer(scaled, list(range(32)), dim=1)
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("dim", [2, -3, 5])
def test_dim_out_of_range_is_an_index_error(dim: int) -> None:
    with pytest.raises(IndexError, match=r"dim must be in \[-2, 1\]"):
        prune_linear_layer(_layer(), [0], dim=dim)


@pytest.mark.parametrize("dim", [0.0, "0", None, True])
def test_dim_of_wrong_type_is_a_type_error(dim: object) -> None:
    with pytest.raises(TypeError, match="dim must be an int"):
        prune_linear_layer(_layer(), [0], dim=dim)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("index", "match"),
    [
        (torch.tensor([0.0, 1.0]), "integer tensor"),
        (torch.tensor([True, False]), "bool tensor"),
        ([0.5], r"index\[0\] must be an int"),
        ([True], r"index\[0\] must be an int, got a bool"),
        (3, "wrap a single position"),
        ("01", "sequence of ints"),
        (object(), "sequence of ints"),
        ([[0, 1]], "1-D"),
    ],
    ids=["float", "bool", "float-list", "bool-list", "int", "str", "object", "nested"],
)
def test_index_of_wrong_kind_is_a_type_error(index: object, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        prune_linear_layer(_layer(), index)  # type: ignore[arg-type]


@pytest.mark.parametrize("index", [torch.tensor([[0, 1]]), torch.tensor(0)], ids=["2d", "0d"])
def test_index_not_1d_is_a_value_error(index: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="index must be 1-D"):
        prune_linear_layer(_layer(), index)


@pytest.mark.parametrize(
    ("index", "dim", "bad"),
    [([0, 6], 0, "6"), ([4], 1, "4"), ([-1], 0, "-1"), (torch.tensor([0, 9]), 1, "9")],
)
def test_positions_out_of_range_are_an_index_error(index: object, dim: int, bad: str) -> None:
    with pytest.raises(IndexError, match=rf"index values must be in \[0, \d\).*got {bad}"):
        prune_linear_layer(_layer(), index, dim=dim)  # type: ignore[arg-type]


def test_non_linear_layers_are_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"layer must be a torch\.nn\.Linear"):
        prune_linear_layer(nn.Conv1d(4, 6, 1), [0])  # type: ignore[arg-type]
