"""Conv1D <-> nn.Linear conversions, is_conv1d and the state-dict helpers."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from tu.conv1d import Conv1D, conv1d_module_names, is_conv1d, transpose_conv1d_weights


def _fake_transformers_conv1d(module_name: str = "transformers.pytorch_utils") -> type[nn.Module]:
    """A stand-in with transformers' class name and module, so no transformers is needed."""

    class FakeConv1D(nn.Module):
        def __init__(self, nf: int, nx: int) -> None:
            super().__init__()
            self.nf, self.nx = nf, nx
            self.weight = nn.Parameter(torch.randn(nx, nf))
            self.bias = nn.Parameter(torch.zeros(nf))

    FakeConv1D.__name__ = FakeConv1D.__qualname__ = "Conv1D"
    FakeConv1D.__module__ = module_name
    return FakeConv1D


@pytest.mark.parametrize("bias", [True, False])
def test_from_linear_computes_the_same_function(bias: bool) -> None:
    torch.manual_seed(0)
    linear = nn.Linear(8, 5, bias=bias)
    conv = Conv1D.from_linear(linear)
    assert (conv.nf, conv.nx) == (5, 8)
    torch.testing.assert_close(conv.weight, linear.weight.t(), rtol=0, atol=0)
    assert conv.weight.is_contiguous()
    assert (conv.bias is None) == (not bias)
    x = torch.randn(3, 4, 8)
    torch.testing.assert_close(conv(x), linear(x), rtol=1e-6, atol=1e-6)


def test_from_linear_keeps_dtype_device_requires_grad_and_mode() -> None:
    linear = nn.Linear(4, 3, dtype=torch.bfloat16).eval()
    linear.weight.requires_grad_(False)
    conv = Conv1D.from_linear(linear)
    assert conv.weight.dtype == torch.bfloat16
    assert conv.bias is not None
    assert conv.bias.dtype == torch.bfloat16
    assert not conv.weight.requires_grad
    assert conv.bias.requires_grad
    assert not conv.training
    meta = Conv1D.from_linear(nn.Linear(4, 3, device="meta"))
    assert meta.weight.device.type == "meta"


def test_from_linear_copies_and_leaves_the_source_alone() -> None:
    linear = nn.Linear(4, 3)
    before = linear.weight.detach().clone()
    conv = Conv1D.from_linear(linear)
    with torch.no_grad():
        conv.weight.zero_()
    torch.testing.assert_close(linear.weight.detach(), before, rtol=0, atol=0)


def test_from_linear_rejects_other_modules() -> None:
    with pytest.raises(TypeError, match=r"linear must be a torch\.nn\.Linear"):
        Conv1D.from_linear(Conv1D(3, 4))  # type: ignore[arg-type]


@pytest.mark.parametrize("bias", [True, False])
def test_to_linear_round_trips_exactly(bias: bool) -> None:
    torch.manual_seed(1)
    conv = Conv1D(6, 4, bias=bias, dtype=torch.float64)
    conv.weight.requires_grad_(False)
    conv.eval()
    linear = conv.to_linear()
    assert type(linear) is nn.Linear
    assert (linear.in_features, linear.out_features) == (4, 6)
    assert linear.weight.dtype == torch.float64
    assert not linear.weight.requires_grad
    assert not linear.training
    x = torch.randn(5, 4, dtype=torch.float64)
    torch.testing.assert_close(linear(x), conv(x))
    back = Conv1D.from_linear(linear)
    torch.testing.assert_close(back.weight, conv.weight, rtol=0, atol=0)


def test_to_linear_of_a_zero_width_layer_does_not_warn() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        linear = Conv1D(3, 0).to_linear()
    assert linear.weight.shape == (3, 0)


def test_is_conv1d_recognises_tu_and_transformers_classes() -> None:
    fake = _fake_transformers_conv1d()
    old = _fake_transformers_conv1d("transformers.modeling_utils")

    class Sub(fake):  # type: ignore[valid-type,misc]
        pass

    class TuSub(Conv1D):
        pass

    assert is_conv1d(Conv1D(2, 3))
    assert is_conv1d(TuSub(2, 3))
    assert is_conv1d(fake(2, 3))
    assert is_conv1d(old(2, 3))
    assert is_conv1d(Sub(2, 3))


def test_is_conv1d_rejects_everything_else() -> None:
    impostor = _fake_transformers_conv1d("mylib.layers")
    assert not is_conv1d(impostor(2, 3))
    assert not is_conv1d(nn.Linear(3, 2))
    assert not is_conv1d(nn.Conv1d(3, 2, 1))
    assert not is_conv1d(Conv1D)
    assert not is_conv1d(torch.zeros(2))
    assert not is_conv1d(None)


def test_importing_tu_conv1d_does_not_import_transformers() -> None:
    code = "import sys, tu.conv1d; print('transformers' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"


def test_conv1d_module_names_lists_both_kinds_in_order() -> None:
    fake = _fake_transformers_conv1d()
    model = nn.Sequential(Conv1D(4, 3), nn.Linear(4, 4), nn.Sequential(fake(2, 4)))
    assert conv1d_module_names(model) == ["0", "2.0"]
    assert conv1d_module_names(Conv1D(2, 2)) == [""]


def test_transpose_conv1d_weights_converts_a_checkpoint_for_linear() -> None:
    model = nn.ModuleDict({"c_attn": Conv1D(9, 3), "ln": nn.LayerNorm(3)})
    state = model.state_dict()
    converted = transpose_conv1d_weights(state, conv1d_module_names(model))
    assert list(converted) == list(state)
    assert converted["c_attn.weight"].shape == (9, 3)
    assert converted["c_attn.weight"].is_contiguous()
    assert converted["c_attn.bias"] is state["c_attn.bias"]
    assert converted["ln.weight"] is state["ln.weight"]
    linear = nn.Linear(3, 9)
    linear.load_state_dict({"weight": converted["c_attn.weight"], "bias": converted["c_attn.bias"]})
    x = torch.randn(2, 3)
    torch.testing.assert_close(linear(x), model["c_attn"](x))
    assert state["c_attn.weight"].shape == (3, 9)  # input untouched


def test_transpose_conv1d_weights_patterns_and_root() -> None:
    state = {
        "h.0.attn.c_attn.weight": torch.zeros(2, 6),
        "h.1.attn.c_attn.weight": torch.zeros(2, 6),
        "h.1.attn.c_proj.weight": torch.zeros(2, 2),
    }
    out = transpose_conv1d_weights(state, ["h.*.attn.c_attn"])
    assert out["h.0.attn.c_attn.weight"].shape == (6, 2)
    assert out["h.1.attn.c_attn.weight"].shape == (6, 2)
    assert out["h.1.attn.c_proj.weight"] is state["h.1.attn.c_proj.weight"]
    root = transpose_conv1d_weights({"weight": torch.zeros(2, 3)}, [""])
    assert root["weight"].shape == (3, 2)


def test_transpose_conv1d_weights_errors() -> None:
    state = {"a.weight": torch.zeros(2, 3), "b.weight": torch.zeros(3)}
    with pytest.raises(KeyError, match="missing"):
        transpose_conv1d_weights(state, ["missing"])
    assert transpose_conv1d_weights(state, ["missing"], strict=False)["a.weight"].shape == (2, 3)
    with pytest.raises(ValueError, match="2-D"):
        transpose_conv1d_weights(state, ["b"])
    with pytest.raises(TypeError, match="single string"):
        transpose_conv1d_weights(state, "a")
    with pytest.raises(TypeError, match="strings"):
        transpose_conv1d_weights(state, [1])  # type: ignore[list-item]
