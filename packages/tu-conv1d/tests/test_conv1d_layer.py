"""Conv1D: construction, forward, initialisation, repr, state dict, devices, autograd, compile."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from tu.conv1d import Conv1D

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_parameters_have_gpt2_shapes_and_names() -> None:
    layer = Conv1D(12, 8)
    assert layer.nf == 12
    assert layer.nx == 8
    assert layer.weight.shape == (8, 12)
    assert layer.bias is not None
    assert layer.bias.shape == (12,)
    assert isinstance(layer.weight, nn.Parameter)
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_without_bias_registers_none_and_drops_the_key() -> None:
    layer = Conv1D(5, 3, bias=False)
    assert layer.bias is None
    assert list(layer.state_dict()) == ["weight"]
    x = torch.randn(4, 3)
    torch.testing.assert_close(layer(x), x @ layer.weight, rtol=0, atol=0)


def test_repr_matches_transformers_format() -> None:
    assert repr(Conv1D(768, 3072)) == "Conv1D(nf=768, nx=3072)"
    assert repr(Conv1D(2, 3, bias=False)) == "Conv1D(nf=2, nx=3, bias=False)"


def test_initialisation_is_normal_002_and_zero_bias() -> None:
    torch.manual_seed(0)
    layer = Conv1D(512, 512)
    assert layer.bias is not None
    assert torch.count_nonzero(layer.bias) == 0
    std = layer.weight.std().item()
    assert abs(std - 0.02) < 0.001
    assert abs(layer.weight.mean().item()) < 0.001


def test_reset_parameters_redraws_weight_and_zeroes_bias() -> None:
    layer = Conv1D(64, 32)
    assert layer.bias is not None
    with torch.no_grad():
        layer.weight.fill_(1.0)
        layer.bias.fill_(3.0)
    layer.reset_parameters()
    assert torch.count_nonzero(layer.bias) == 0
    assert layer.weight.std().item() < 0.05


@pytest.mark.parametrize("shape", [(8,), (3, 8), (2, 3, 8), (2, 1, 3, 8), (0, 8), (2, 0, 8)])
def test_forward_is_x_at_weight_plus_bias_for_any_rank(shape: tuple[int, ...]) -> None:
    torch.manual_seed(1)
    layer = Conv1D(6, 8)
    with torch.no_grad():
        assert layer.bias is not None
        layer.bias.normal_()
    x = torch.randn(shape)
    out = layer(x)
    assert out.shape == (*shape[:-1], 6)
    expected = torch.addmm(layer.bias, x.reshape(-1, 8), layer.weight).reshape(out.shape)
    torch.testing.assert_close(out, expected, rtol=0, atol=0)


def test_non_contiguous_inputs_give_the_contiguous_result() -> None:
    torch.manual_seed(2)
    layer = Conv1D(6, 8)
    base = torch.randn(8, 5, 4)
    transposed = base.transpose(0, 2)  # (4, 5, 8), not contiguous
    assert not transposed.is_contiguous()
    torch.testing.assert_close(layer(transposed), layer(transposed.contiguous()), rtol=0, atol=0)
    strided = torch.randn(4, 10, 16)[:, ::2, ::2]
    assert not strided.is_contiguous()
    torch.testing.assert_close(layer(strided), layer(strided.contiguous()), rtol=0, atol=0)
    expanded = torch.randn(1, 8).expand(3, 8)
    torch.testing.assert_close(layer(expanded), layer(expanded.contiguous()), rtol=0, atol=0)


def test_zero_input_features_output_the_bias() -> None:
    layer = Conv1D(4, 0)
    assert layer.bias is not None
    with torch.no_grad():
        layer.bias.copy_(torch.arange(4.0))
    out = layer(torch.randn(2, 3, 0))
    assert out.shape == (2, 3, 4)
    torch.testing.assert_close(out, torch.arange(4.0).expand(2, 3, 4))


def test_zero_output_features() -> None:
    assert Conv1D(0, 4)(torch.randn(2, 4)).shape == (2, 0)


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16])
def test_dtype_argument(dtype: torch.dtype) -> None:
    layer = Conv1D(4, 3, dtype=dtype)
    assert layer.weight.dtype == dtype
    assert layer.bias is not None
    assert layer.bias.dtype == dtype
    if dtype != torch.float16:  # fp16 matmul is not implemented on every CPU build
        assert layer(torch.randn(2, 3, dtype=dtype)).dtype == dtype


def test_meta_device_builds_without_memory_and_infers_shapes() -> None:
    layer = Conv1D(3072, 768, device="meta")
    assert layer.weight.device.type == "meta"
    assert layer.weight.shape == (768, 3072)
    out = layer(torch.empty(2, 5, 768, device="meta"))
    assert out.shape == (2, 5, 3072)
    assert out.device.type == "meta"


def test_to_empty_then_reset_materialises_a_meta_layer() -> None:
    layer = Conv1D(16, 8, device="meta").to_empty(device="cpu")
    layer.reset_parameters()
    assert layer.weight.device.type == "cpu"
    assert layer.bias is not None
    assert torch.count_nonzero(layer.bias) == 0


@CUDA
def test_cuda_device_argument_and_forward() -> None:
    layer = Conv1D(6, 4, device="cuda")
    assert layer.weight.is_cuda
    x = torch.randn(3, 4, device="cuda")
    torch.testing.assert_close(layer(x).cpu(), layer.cpu()(x.cpu()), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("nf", "nx"), [(-1, 3), (3, -2)])
def test_negative_sizes_raise_value_error(nf: int, nx: int) -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        Conv1D(nf, nx)


@pytest.mark.parametrize(("nf", "nx", "name"), [(2.0, 3, "nf"), (3, "4", "nx"), (True, 3, "nf")])
def test_non_int_sizes_raise_type_error(nf: object, nx: object, name: str) -> None:
    with pytest.raises(TypeError, match=name):
        Conv1D(nf, nx)  # type: ignore[arg-type]


def test_autograd_gradcheck_in_float64() -> None:
    torch.manual_seed(3)
    layer = Conv1D(3, 4, dtype=torch.float64)
    x = torch.randn(2, 5, 4, dtype=torch.float64, requires_grad=True).transpose(0, 1)
    assert torch.autograd.gradcheck(layer, (x,))
    weight = layer.weight.detach().clone().requires_grad_()
    bias = torch.randn(3, dtype=torch.float64, requires_grad=True)

    def with_params(w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = torch.func.functional_call(
            layer, {"weight": w, "bias": b}, (x.detach(),)
        )
        return out

    assert torch.autograd.gradcheck(with_params, (weight, bias))


def test_backward_populates_parameter_gradients() -> None:
    layer = Conv1D(3, 4)
    layer(torch.randn(2, 4)).sum().backward()
    assert layer.weight.grad is not None
    assert layer.weight.grad.shape == (4, 3)
    assert layer.bias is not None
    assert layer.bias.grad is not None
    torch.testing.assert_close(layer.bias.grad, torch.full((3,), 2.0))


@pytest.mark.parametrize("backend", ["eager", "aot_eager"])
def test_torch_compile_fullgraph(backend: str) -> None:
    torch._dynamo.reset()  # a fresh cache per backend (torch 2.1 warns otherwise)
    torch.manual_seed(4)
    layer = Conv1D(6, 8)
    compiled = torch.compile(layer, fullgraph=True, backend=backend)
    x = torch.randn(2, 3, 8)
    torch.testing.assert_close(compiled(x), layer(x))
    transposed = torch.randn(8, 3, 2).transpose(0, 2)
    torch.testing.assert_close(compiled(transposed), layer(transposed))


def test_works_inside_a_sequential_and_under_no_grad() -> None:
    model = nn.Sequential(Conv1D(16, 8), nn.GELU(), Conv1D(8, 16))
    with torch.no_grad():
        out = model(torch.randn(4, 8))
    assert out.shape == (4, 8)
    assert not out.requires_grad
    assert math.isfinite(out.sum().item())


def test_reset_on_the_meta_device_draws_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("normal_ ran on a meta tensor")

    monkeypatch.setattr(torch.nn.init, "normal_", refuse)
    layer = Conv1D(8, 4, device="meta")
    layer.reset_parameters()
    assert layer.weight.device.type == "meta"
