"""apply_chunking_to_forward: results, accepted forward functions, outputs and errors."""

from __future__ import annotations

import collections
import functools
from typing import Any

import pytest
import torch
from torch import nn

from tu.chunk import ForwardArityError, apply_chunking_to_forward


def _double(x: torch.Tensor) -> torch.Tensor:
    return x * 2


def _ffn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 8))


class TestResults:
    def test_divisible_length_equals_unchunked(self) -> None:
        x = torch.randn(3, 12, 5)
        assert torch.equal(apply_chunking_to_forward(_double, 4, 1, x), x * 2)

    def test_last_chunk_is_shorter_when_length_is_not_a_multiple(self) -> None:
        seen: list[int] = []

        def record(x: torch.Tensor) -> torch.Tensor:
            seen.append(x.shape[1])
            return x + 1

        x = torch.randn(2, 10, 3)
        out = apply_chunking_to_forward(record, 4, 1, x)
        assert seen == [4, 4, 2]
        assert torch.equal(out, x + 1)

    def test_ffn_matches_unchunked(self) -> None:
        ffn = _ffn()
        x = torch.randn(2, 13, 8)
        with torch.no_grad():
            torch.testing.assert_close(apply_chunking_to_forward(ffn, 5, 1, x), ffn(x))

    @pytest.mark.parametrize("chunk_size", [0, -1, -100])
    def test_non_positive_chunk_size_calls_once_on_whole_inputs(self, chunk_size: int) -> None:
        calls: list[torch.Size] = []

        def record(x: torch.Tensor) -> torch.Tensor:
            calls.append(x.shape)
            return x

        x = torch.randn(4, 6)
        out = apply_chunking_to_forward(record, chunk_size, 0, x)
        assert calls == [x.shape]
        assert out is x  # the plain call's result, as transformers returns it

    def test_chunk_size_at_least_length_is_one_plain_call(self) -> None:
        calls: list[torch.Size] = []

        def record(x: torch.Tensor) -> torch.Tensor:
            calls.append(x.shape)
            return x * 3

        x = torch.randn(4, 6)
        assert torch.equal(apply_chunking_to_forward(record, 99, 1, x), x * 3)
        assert calls == [x.shape]

    def test_negative_chunk_dim(self) -> None:
        x = torch.randn(2, 7, 3)
        seen: list[torch.Size] = []

        def record(t: torch.Tensor) -> torch.Tensor:
            seen.append(t.shape)
            return t - 1

        assert torch.equal(apply_chunking_to_forward(record, 3, -2, x), x - 1)
        assert seen == [torch.Size([2, 3, 3]), torch.Size([2, 3, 3]), torch.Size([2, 1, 3])]

    def test_inputs_broadcast_along_other_dims(self) -> None:
        x = torch.randn(4, 9, 6)
        mask = torch.randn(1, 9, 1)
        out = apply_chunking_to_forward(torch.mul, 4, 1, x, mask)
        assert torch.equal(out, x * mask)

    def test_inputs_of_different_rank_with_negative_dim(self) -> None:
        x = torch.randn(3, 9, 6)
        bias = torch.randn(9, 6)
        assert torch.equal(apply_chunking_to_forward(torch.add, 2, -2, x, bias), x + bias)

    def test_empty_chunked_dim_returns_forward_on_empty_inputs(self) -> None:
        ffn = _ffn()
        x = torch.randn(2, 0, 8)
        with torch.no_grad():
            out = apply_chunking_to_forward(ffn, 4, 1, x)
        assert out.shape == (2, 0, 8)

    def test_chunk_dim_other_than_sequence(self) -> None:
        x = torch.randn(10, 4, 3)
        assert torch.equal(apply_chunking_to_forward(torch.tanh, 3, 0, x), torch.tanh(x))

    def test_dtype_and_device_follow_forward(self) -> None:
        x = torch.randn(2, 9, dtype=torch.float64)
        out = apply_chunking_to_forward(lambda t: t.to(torch.bfloat16), 4, 1, x)
        assert out.dtype == torch.bfloat16
        assert torch.equal(out, x.to(torch.bfloat16))

    def test_inputs_are_not_modified(self) -> None:
        x = torch.randn(2, 9, 4)
        before = x.clone()
        apply_chunking_to_forward(lambda t: t * 2, 4, 1, x)
        assert torch.equal(x, before)

    def test_channels_last_output_keeps_its_layout(self) -> None:
        x = torch.randn(6, 3, 4, 5).contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            out = apply_chunking_to_forward(lambda t: t * 2, 4, 0, x)
        assert out.is_contiguous(memory_format=torch.channels_last)
        assert torch.equal(out, x * 2)


class _Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward_chunk(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.proj(hidden)


class TestForwardKinds:
    x = torch.randn(2, 7, 4)

    def _check(self, fn: Any, expected: torch.Tensor, *inputs: torch.Tensor) -> None:
        with torch.no_grad():
            out = apply_chunking_to_forward(fn, 3, 1, *(inputs or (self.x,)))
        torch.testing.assert_close(out, expected, rtol=0, atol=1e-6)

    def test_module(self) -> None:
        layer = nn.Linear(4, 4)
        with torch.no_grad():
            self._check(layer, layer(self.x))

    def test_bound_method(self) -> None:
        block = _Block()
        with torch.no_grad():
            self._check(block.forward_chunk, block.proj(self.x))

    def test_default_argument(self) -> None:
        def fn(x: torch.Tensor, scale: float = 3.0) -> torch.Tensor:
            return x * scale

        self._check(fn, self.x * 3)

    def test_keyword_only_argument_with_default(self) -> None:
        def fn(x: torch.Tensor, *, shift: float = 1.0) -> torch.Tensor:
            return x + shift

        self._check(fn, self.x + 1)

    def test_var_keyword(self) -> None:
        def fn(x: torch.Tensor, **kwargs: Any) -> torch.Tensor:
            return x * 2

        self._check(fn, self.x * 2)

    def test_var_positional(self) -> None:
        def fn(*tensors: torch.Tensor) -> torch.Tensor:
            return tensors[0] + tensors[1]

        y = torch.randn(2, 7, 4)
        self._check(fn, self.x + y, self.x, y)

    def test_partial_with_keyword_bound_argument(self) -> None:
        def fn(x: torch.Tensor, scale: float) -> torch.Tensor:
            return x * scale

        self._check(functools.partial(fn, scale=5.0), self.x * 5)

    def test_partial_of_a_builtin(self) -> None:
        y = torch.randn(2, 7, 4)
        self._check(functools.partial(torch.add, alpha=2), self.x + 2 * y, self.x, y)

    def test_builtin(self) -> None:
        self._check(torch.relu, torch.relu(self.x))

    def test_callable_object(self) -> None:
        class Scale:
            def __call__(self, x: torch.Tensor) -> torch.Tensor:
                return x * 4

        self._check(Scale(), self.x * 4)

    def test_lambda(self) -> None:
        self._check(lambda t: t.sin(), self.x.sin())


class TestOutputs:
    def test_tuple_of_tensors(self) -> None:
        x = torch.randn(2, 7, 3)
        out = apply_chunking_to_forward(lambda t: (t * 2, t + 1), 3, 1, x)
        assert isinstance(out, tuple)
        assert torch.equal(out[0], x * 2)
        assert torch.equal(out[1], x + 1)

    def test_list_of_tensors(self) -> None:
        x = torch.randn(2, 7, 3)
        out = apply_chunking_to_forward(lambda t: [t * 2, t.sum(-1)], 3, 1, x)
        assert isinstance(out, list)
        assert torch.equal(out[0], x * 2)
        assert torch.equal(out[1], x.sum(-1))

    def test_namedtuple_keeps_its_type(self) -> None:
        pair = collections.namedtuple("pair", ["a", "b"])
        x = torch.randn(5, 2)
        out = apply_chunking_to_forward(lambda t: pair(t * 2, -t), 2, 0, x)
        assert type(out) is pair
        assert torch.equal(out.a, x * 2)
        assert torch.equal(out.b, -x)

    def test_none_entries_stay_none(self) -> None:
        x = torch.randn(5, 2)
        out = apply_chunking_to_forward(lambda t: (t, None), 2, 0, x)
        assert out[1] is None
        assert torch.equal(out[0], x)

    def test_non_tensor_output_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match="forward_fn must return a tensor"):
            apply_chunking_to_forward(lambda t: 3.0, 2, 0, torch.randn(5))

    def test_non_tensor_inside_tuple_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match=r"output \[1\] is str"):
            apply_chunking_to_forward(lambda t: (t, "x"), 2, 0, torch.randn(5))

    def test_changing_structure_between_chunks_is_a_value_error(self) -> None:
        calls = iter(range(10))

        def fn(t: torch.Tensor) -> Any:
            return t if next(calls) == 0 else (t, t)

        with pytest.raises(ValueError, match="same structure"):
            apply_chunking_to_forward(fn, 2, 0, torch.randn(5))

    def test_output_with_a_different_length_along_chunk_dim(self) -> None:
        # Each chunk's output is twice as long: still joined along chunk_dim (through torch.cat).
        x = torch.randn(2, 5)
        out = apply_chunking_to_forward(lambda t: torch.cat([t, t], dim=1), 2, 1, x)
        expected = torch.cat([x[:, 0:2], x[:, 0:2], x[:, 2:4], x[:, 2:4], x[:, 4:], x[:, 4:]], 1)
        assert torch.equal(out, expected)

    def test_output_chunk_dim_out_of_range_is_an_index_error(self) -> None:
        with pytest.raises(IndexError, match="chunk_dim=2"):
            apply_chunking_to_forward(lambda t: t.sum(), 2, 2, torch.randn(2, 2, 5))


class TestErrors:
    def test_no_inputs(self) -> None:
        with pytest.raises(TypeError, match="input_tensors is empty"):
            apply_chunking_to_forward(_double, 2, 0)

    @pytest.mark.parametrize("chunk_size", [2.0, "2", None, [2]])
    def test_chunk_size_not_an_int(self, chunk_size: Any) -> None:
        with pytest.raises(TypeError, match="chunk_size must be an int"):
            apply_chunking_to_forward(_double, chunk_size, 0, torch.randn(4))

    def test_chunk_size_accepts_int_likes(self) -> None:
        x = torch.randn(6)
        assert torch.equal(apply_chunking_to_forward(_double, torch.tensor(4), 0, x), x * 2)

    @pytest.mark.parametrize("chunk_dim", [1.0, "1", None])
    def test_chunk_dim_not_an_int(self, chunk_dim: Any) -> None:
        with pytest.raises(TypeError, match="chunk_dim must be an int"):
            apply_chunking_to_forward(_double, 2, chunk_dim, torch.randn(4, 4))

    @pytest.mark.parametrize("chunk_dim", [3, -4, 100])
    def test_chunk_dim_out_of_range(self, chunk_dim: int) -> None:
        with pytest.raises(IndexError, match=rf"chunk_dim={chunk_dim} is out of range"):
            apply_chunking_to_forward(_double, 2, chunk_dim, torch.randn(2, 3, 4))

    def test_zero_dim_input_when_chunking(self) -> None:
        with pytest.raises(IndexError, match="0-dimensional"):
            apply_chunking_to_forward(_double, 2, 0, torch.tensor(1.0))

    def test_unequal_lengths(self) -> None:
        with pytest.raises(ValueError, match=r"input_tensors\[1\] has 5"):
            apply_chunking_to_forward(torch.add, 2, 1, torch.randn(2, 6), torch.randn(2, 5))

    def test_non_tensor_input_when_chunking(self) -> None:
        with pytest.raises(TypeError, match=r"input_tensors\[1\] must be a torch.Tensor"):
            apply_chunking_to_forward(torch.add, 2, 0, torch.randn(4), 3.0)

    def test_non_tensor_input_is_fine_without_chunking(self) -> None:
        x = torch.randn(4)
        assert torch.equal(apply_chunking_to_forward(torch.add, 0, 0, x, 3.0), x + 3.0)

    def test_forward_not_callable(self) -> None:
        with pytest.raises(TypeError, match="forward_fn must be callable"):
            apply_chunking_to_forward(42, 2, 0, torch.randn(4))  # type: ignore[arg-type]

    def test_too_few_parameters(self) -> None:
        with pytest.raises(ForwardArityError, match="2 positional tensor"):
            apply_chunking_to_forward(_double, 2, 0, torch.randn(4), torch.randn(4))

    def test_too_many_required_parameters(self) -> None:
        def fn(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return a + b

        with pytest.raises(ForwardArityError, match=r"fn\(a: .*, b: .*\).* 1 positional"):
            apply_chunking_to_forward(fn, 2, 0, torch.randn(4))

    def test_required_keyword_only_parameter(self) -> None:
        def fn(a: torch.Tensor, *, scale: float) -> torch.Tensor:
            return a * scale

        with pytest.raises(ForwardArityError):
            apply_chunking_to_forward(fn, 2, 0, torch.randn(4))

    def test_module_with_wrong_arity(self) -> None:
        with pytest.raises(ForwardArityError, match=r"Linear\.forward"):
            apply_chunking_to_forward(nn.Linear(4, 4), 2, 0, torch.randn(4, 4), torch.randn(4, 4))

    def test_arity_error_is_a_type_error_and_a_value_error(self) -> None:
        assert issubclass(ForwardArityError, TypeError)
        assert issubclass(ForwardArityError, ValueError)

    def test_arity_is_checked_without_chunking_too(self) -> None:
        with pytest.raises(ForwardArityError):
            apply_chunking_to_forward(_double, 0, 0, torch.randn(4), torch.randn(4))

    def test_reassigned_defaults_are_seen(self) -> None:
        def fn(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return a

        x = torch.randn(4)
        with pytest.raises(ForwardArityError):
            apply_chunking_to_forward(fn, 2, 0, x)
        fn.__defaults__ = (None,)
        assert torch.equal(apply_chunking_to_forward(fn, 2, 0, x), x)
