"""The compat shims: softmax_backward_data, meshgrid, torch_int, torch_float, torch_int_div."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import pytest
import torch

from tu.versions import meshgrid, softmax_backward_data, torch_float, torch_int, torch_int_div


def softmax_grad(x: torch.Tensor, dim: int, g: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.softmax(x, dim), x, g)
    return grad


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_three_argument_call_matches_autograd(dim: int) -> None:
    torch.manual_seed(0)
    x, g = torch.randn(4, 5, 6), torch.randn(4, 5, 6)
    out = torch.softmax(x, dim)
    got = softmax_backward_data(SimpleNamespace(dim=dim), g, out)
    torch.testing.assert_close(got, softmax_grad(x, dim, g))


def test_five_argument_call_uses_the_input_dtype() -> None:
    torch.manual_seed(0)
    x, g = torch.randn(3, 7), torch.randn(3, 7)
    out = torch.softmax(x, -1)
    got = softmax_backward_data(SimpleNamespace(dim=-1), g, out, -1, x)
    torch.testing.assert_close(got, softmax_grad(x, -1, g))
    assert got.dtype == x.dtype


def test_dim_argument_serves_when_parent_has_none() -> None:
    x, g = torch.randn(3, 7), torch.randn(3, 7)
    out = torch.softmax(x, 0)
    got = softmax_backward_data(object(), g, out, 0)
    torch.testing.assert_close(got, softmax_grad(x, 0, g))
    with pytest.raises(TypeError, match=r"parent\.dim or dim"):
        softmax_backward_data(object(), g, out)


def test_meshgrid_defaults_to_ij_without_a_warning() -> None:
    a, b = torch.arange(3), torch.arange(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = meshgrid(a, b)
        listed = meshgrid([a, b])
    want = torch.meshgrid(a, b, indexing="ij")
    assert all(torch.equal(g, w) for g, w in zip(got, want, strict=True))
    assert all(torch.equal(g, w) for g, w in zip(listed, want, strict=True))
    assert got[0].shape == (3, 4)
    assert meshgrid(a, b, indexing="xy")[0].shape == (4, 3)
    with pytest.raises(ValueError, match="indexing must be"):
        meshgrid(a, b, indexing="ji")


def test_torch_int_and_float_cast_outside_tracing() -> None:
    assert torch_int(torch.tensor(3.7)) == 3 and type(torch_int(torch.tensor(3.7))) is int
    assert torch_float(3) == 3.0 and type(torch_float(3)) is float
    assert type(torch_float(torch.tensor(2))) is float
    assert torch_int(5.9) == 5


def test_torch_int_and_float_keep_tensors_while_tracing() -> None:
    seen: dict[str, object] = {}

    def f(x: torch.Tensor) -> torch.Tensor:
        seen["int"] = torch_int(x.sum())
        seen["float"] = torch_float(x.sum())
        return x * 2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.trace(f, (torch.ones(3, dtype=torch.int32),), check_trace=False)
    assert isinstance(seen["int"], torch.Tensor) and seen["int"].dtype == torch.int64
    assert isinstance(seen["float"], torch.Tensor) and seen["float"].dtype == torch.float32


def test_torch_int_div_floors() -> None:
    a, b = torch.tensor([7, -7, 6]), torch.tensor([2, 2, -4])
    assert torch.equal(torch_int_div(a, b), torch.tensor([3, -4, -2]))
    assert torch_int_div(-7, 2) == -4
    assert torch.equal(torch_int_div(a, 2), torch.tensor([3, -4, 3]))
