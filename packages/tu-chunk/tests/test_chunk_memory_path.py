"""Which join is taken: a preallocated result (no torch.cat) exactly when autograd is not recording.

The path is observed, not timed: ``torch.cat`` and ``torch.empty`` are wrapped to record their calls.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from tu.chunk import apply_chunking_to_forward


class _Spy:
    """Counts calls made while active (``with spy:``), so building modules does not count."""

    def __init__(self) -> None:
        self.active = False
        self.cat_calls = 0
        self.empty_shapes: list[tuple[int, ...]] = []

    def __enter__(self) -> _Spy:
        self.active = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.active = False


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> _Spy:
    record = _Spy()
    real_cat, real_empty = torch.cat, torch.empty

    def cat(*args: Any, **kwargs: Any) -> torch.Tensor:
        record.cat_calls += record.active
        return real_cat(*args, **kwargs)

    def empty(*args: Any, **kwargs: Any) -> torch.Tensor:
        out = real_empty(*args, **kwargs)
        if record.active:
            record.empty_shapes.append(tuple(out.shape))
        return out

    monkeypatch.setattr(torch, "cat", cat)
    monkeypatch.setattr(torch, "empty", empty)
    return record


def _ffn(requires_grad: bool = True) -> nn.Module:
    torch.manual_seed(0)
    ffn = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8))
    ffn.requires_grad_(requires_grad)
    return ffn


def test_no_grad_writes_into_one_preallocated_result(spy: _Spy) -> None:
    ffn = _ffn()
    x = torch.randn(2, 10, 8)
    with torch.no_grad():
        with spy:
            out = apply_chunking_to_forward(ffn, 4, 1, x)
        expected = ffn(x)
    assert spy.cat_calls == 0
    assert spy.empty_shapes == [(2, 10, 8)]
    torch.testing.assert_close(out, expected)


def test_inference_mode_takes_the_preallocated_path(spy: _Spy) -> None:
    ffn = _ffn()
    x = torch.randn(2, 10, 8)
    with torch.inference_mode(), spy:
        out = apply_chunking_to_forward(ffn, 3, 1, x)
    assert spy.cat_calls == 0
    assert out.shape == (2, 10, 8)


def test_grad_enabled_but_nothing_requires_grad_preallocates(spy: _Spy) -> None:
    ffn = _ffn(requires_grad=False)
    with spy:
        out = apply_chunking_to_forward(ffn, 4, 1, torch.randn(2, 10, 8))
    assert spy.cat_calls == 0
    assert not out.requires_grad


def test_parameters_requiring_grad_use_cat(spy: _Spy) -> None:
    ffn = _ffn()
    with spy:
        out = apply_chunking_to_forward(ffn, 4, 1, torch.randn(2, 10, 8))
    assert spy.cat_calls == 1
    assert spy.empty_shapes == []
    assert out.requires_grad and out.grad_fn is not None


def test_input_requiring_grad_uses_cat(spy: _Spy) -> None:
    x = torch.randn(2, 10, 8, requires_grad=True)
    with spy:
        out = apply_chunking_to_forward(torch.sin, 4, 1, x)
    assert spy.cat_calls == 1
    out.sum().backward()
    assert x.grad is not None
    torch.testing.assert_close(x.grad, torch.cos(x.detach()))


def test_each_output_of_a_tuple_is_preallocated(spy: _Spy) -> None:
    x = torch.randn(9, 3)
    with torch.no_grad(), spy:
        a, b = apply_chunking_to_forward(lambda t: (t * 2, t.sum(-1)), 4, 0, x)
    assert spy.cat_calls == 0
    assert sorted(spy.empty_shapes) == [(9,), (9, 3)]
    assert torch.equal(a, x * 2)
    assert torch.equal(b, x.sum(-1))


def test_mixed_tuple_preallocates_only_what_needs_no_grad(spy: _Spy) -> None:
    x = torch.randn(9, 3)
    w = torch.randn(3, requires_grad=True)
    with spy:
        a, b = apply_chunking_to_forward(lambda t: (t * w, t * 2), 4, 0, x)
    assert spy.cat_calls == 1  # only for the output that requires grad
    assert a.requires_grad and not b.requires_grad
    assert torch.equal(b, x * 2)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's own jvp decompositions
def test_forward_ad_uses_cat(spy: _Spy) -> None:
    from torch.autograd import forward_ad

    x = torch.randn(6, 2)
    tangent = torch.randn(6, 2)
    with forward_ad.dual_level():
        dual = forward_ad.make_dual(x, tangent)
        with spy:
            out = apply_chunking_to_forward(lambda t: t * 3, 4, 0, dual)
        _, out_tangent = forward_ad.unpack_dual(out)
    assert spy.cat_calls == 1
    assert out_tangent is not None
    torch.testing.assert_close(out_tangent, tangent * 3)


def test_output_length_unlike_input_falls_back_to_cat(spy: _Spy) -> None:
    x = torch.randn(5, 2)
    with torch.no_grad(), spy:
        out = apply_chunking_to_forward(lambda t: t[:1], 2, 0, x)
    assert spy.cat_calls == 1
    assert torch.equal(out, x[[0, 2, 4]])


def test_a_later_chunk_that_does_not_fit_finishes_with_cat(spy: _Spy) -> None:
    # The first chunk fills a buffer; a later chunk of another dtype cannot go in it.
    calls = iter(range(10))
    x = torch.randn(6, 2)

    def fn(t: torch.Tensor) -> torch.Tensor:
        return t.double() if next(calls) == 1 else t

    with torch.no_grad(), spy:
        out = apply_chunking_to_forward(fn, 2, 0, x)
    assert spy.cat_calls == 1
    assert out.dtype == torch.float64
    assert torch.equal(out, x.double())


def test_a_later_chunk_requiring_grad_keeps_its_graph(spy: _Spy) -> None:
    calls = iter(range(10))
    w = torch.tensor(2.0, requires_grad=True)
    x = torch.randn(6)

    def fn(t: torch.Tensor) -> torch.Tensor:
        return t * w if next(calls) == 2 else t * 2

    with spy:
        out = apply_chunking_to_forward(fn, 2, 0, x)
    assert spy.cat_calls == 1
    out.sum().backward()
    assert w.grad is not None
    torch.testing.assert_close(w.grad, x[4:].sum())


def test_vmap_uses_cat(spy: _Spy) -> None:
    func = pytest.importorskip("torch.func")
    x = torch.randn(3, 6, 2)
    with spy:
        out = func.vmap(lambda t: apply_chunking_to_forward(lambda u: u * 2, 4, 0, t))(x)
    assert torch.equal(out, x * 2)
    assert spy.cat_calls >= 1
