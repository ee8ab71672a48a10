"""chunked / Chunked: a wrapper that chunks a sub-module without changing the model's state."""

from __future__ import annotations

import copy
import io
import pickle
from typing import Any

import pytest
import torch
from torch import nn

from tu.chunk import Chunked, chunked


class MLP(nn.Module):
    def __init__(self, hidden: int = 8) -> None:
        super().__init__()
        self.hidden_size = hidden
        self.up = nn.Linear(hidden, 4 * hidden)
        self.act = nn.GELU()
        self.down = nn.Linear(4 * hidden, hidden)
        self.register_buffer("scale", torch.ones(hidden))
        self.register_buffer("scratch", torch.zeros(1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.act(self.up(x))) * self.scale

    def describe(self) -> str:
        return f"mlp{self.hidden_size}"


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.mlp = MLP()
        self.norm = nn.LayerNorm(8)
        self.lm_head = nn.Linear(8, 20, bias=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.embed(ids)
        return self.lm_head(self.norm(h + self.mlp(h)))


def _model(seed: int = 0) -> Model:
    torch.manual_seed(seed)
    return Model()


class TestForward:
    def test_matches_the_wrapped_module(self) -> None:
        mlp = MLP()
        x = torch.randn(2, 11, 8)
        with torch.no_grad():
            torch.testing.assert_close(chunked(mlp, 4, 1)(x), mlp(x))

    def test_inside_a_model_forward_and_backward(self) -> None:
        model = _model()
        ids = torch.randint(0, 20, (2, 9))
        expected = model(ids)
        expected.sum().backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        model.zero_grad(set_to_none=True)
        model.mlp = chunked(model.mlp, 4, 1)
        model.lm_head = chunked(model.lm_head, 2, -2)
        out = model(ids)
        torch.testing.assert_close(out, expected)
        out.sum().backward()
        for name, param in model.named_parameters():
            assert param.grad is not None
            torch.testing.assert_close(param.grad, grads[name])

    def test_function(self) -> None:
        wrapper = chunked(torch.tanh, 3, 0)
        x = torch.randn(7, 2)
        assert torch.equal(wrapper(x), torch.tanh(x))
        assert list(wrapper.state_dict()) == []

    def test_keyword_arguments_are_passed_unchunked(self) -> None:
        def fn(x: torch.Tensor, *, shift: torch.Tensor) -> torch.Tensor:
            return x + shift

        x = torch.randn(7, 2)
        shift = torch.randn(2)
        assert torch.equal(chunked(fn, 3, 0)(x, shift=shift), x + shift)

    def test_chunk_size_zero_disables_chunking(self) -> None:
        calls: list[torch.Size] = []
        mlp = MLP()
        mlp.register_forward_pre_hook(lambda m, args: calls.append(args[0].shape))
        chunked(mlp, 0, 1)(torch.randn(2, 9, 8))
        assert calls == [torch.Size([2, 9, 8])]

    def test_wrapped_hooks_run_per_chunk_wrapper_hooks_once(self) -> None:
        mlp = MLP()
        inner: list[int] = []
        outer: list[int] = []
        mlp.register_forward_hook(lambda m, a, o: inner.append(o.shape[1]))
        wrapper = chunked(mlp, 4, 1)
        wrapper.register_forward_hook(lambda m, a, o: outer.append(o.shape[1]))
        wrapper(torch.randn(1, 10, 8))
        assert inner == [4, 4, 2]
        assert outer == [10]

    def test_chunk_size_and_dim_can_be_changed(self) -> None:
        mlp = MLP()
        wrapper = chunked(mlp, 4, 1)
        seen: list[int] = []
        mlp.register_forward_pre_hook(lambda m, args: seen.append(args[0].shape[1]))
        wrapper.chunk_size = 5
        wrapper(torch.randn(1, 10, 8))
        assert seen == [5, 5]


class TestState:
    def test_state_dict_keys_and_values_equal_the_wrapped_modules(self) -> None:
        mlp = MLP()
        wrapper = chunked(mlp, 4, 1)
        expected = mlp.state_dict()
        got = wrapper.state_dict()
        assert list(got) == list(expected)
        for key in expected:
            assert got[key] is not None and torch.equal(got[key], expected[key])

    def test_nested_keys_look_unwrapped(self) -> None:
        model = _model()
        keys = list(model.state_dict())
        names = [n for n, _ in model.named_parameters()]
        buffers = [n for n, _ in model.named_buffers()]
        model.mlp = chunked(model.mlp, 4, 1)
        model.lm_head = chunked(model.lm_head, 4, 1)
        assert list(model.state_dict()) == keys
        assert [n for n, _ in model.named_parameters()] == names
        assert [n for n, _ in model.named_buffers()] == buffers
        assert model.state_dict()._metadata.keys() == _model().state_dict()._metadata.keys()

    def test_unwrapped_checkpoint_loads_strictly(self) -> None:
        source = _model(seed=1)
        checkpoint = source.state_dict()
        target = _model(seed=2)
        target.mlp = chunked(target.mlp, 4, 1)
        result = target.load_state_dict(checkpoint, strict=True)
        assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
        assert torch.equal(target.mlp.up.weight, source.mlp.up.weight)
        assert torch.equal(target.mlp.wrapped.up.weight, source.mlp.up.weight)

    def test_wrapped_checkpoint_loads_into_unwrapped_model(self) -> None:
        source = _model(seed=1)
        source.mlp = chunked(source.mlp, 4, 1)
        target = _model(seed=2)
        target.load_state_dict(source.state_dict(), strict=True)
        assert torch.equal(target.mlp.down.bias, source.mlp.down.bias)

    def test_missing_and_unexpected_keys_are_reported(self) -> None:
        model = _model()
        model.mlp = chunked(model.mlp, 4, 1)
        checkpoint = _model().state_dict()
        checkpoint.pop("mlp.up.bias")
        checkpoint["mlp.extra"] = torch.zeros(1)
        with pytest.raises(RuntimeError) as raised:
            model.load_state_dict(checkpoint, strict=True)
        assert '"mlp.up.bias"' in str(raised.value)
        assert '"mlp.extra"' in str(raised.value)
        result = model.load_state_dict(checkpoint, strict=False)
        assert result.missing_keys == ["mlp.up.bias"]
        assert result.unexpected_keys == ["mlp.extra"]

    def test_load_on_the_wrapper_itself(self) -> None:
        mlp = MLP()
        wrapper = chunked(MLP(), 4, 1)
        wrapper.load_state_dict(mlp.state_dict(), strict=True)
        assert torch.equal(wrapper.down.weight, mlp.down.weight)

    def test_parameters_are_shared_not_copied(self) -> None:
        mlp = MLP()
        wrapper = chunked(mlp, 4, 1)
        assert list(wrapper.parameters()) == list(mlp.parameters())
        assert wrapper.up is mlp.up

    def test_dtype_move_and_modes_reach_the_wrapped_module(self) -> None:
        mlp = MLP()
        wrapper = chunked(mlp, 4, 1)
        wrapper.to(torch.float64)
        assert mlp.up.weight.dtype == torch.float64
        assert mlp.scale.dtype == torch.float64
        wrapper.eval()
        assert not mlp.training and not mlp.up.training and not wrapper.training
        wrapper.train()
        assert mlp.training and mlp.up.training and wrapper.training

    def test_weight_tying_through_the_wrapper(self) -> None:
        model = _model()
        model.lm_head = chunked(model.lm_head, 4, 1)
        model.lm_head.weight = model.embed.weight
        assert model.lm_head.wrapped.weight is model.embed.weight
        keys = list(model.state_dict())
        assert "lm_head.weight" in keys

    def test_register_buffer_through_the_wrapper_is_shared(self) -> None:
        mlp = MLP()
        wrapper = chunked(mlp, 4, 1)
        wrapper.register_buffer("extra", torch.ones(2))
        assert torch.equal(mlp.extra, torch.ones(2))
        assert "extra" in mlp.state_dict()

    def test_state_dict_hooks_registered_on_the_wrapper_apply(self) -> None:
        mlp = MLP()
        wrapper = chunked(mlp, 4, 1)
        seen: list[str] = []
        wrapper._register_state_dict_hook(lambda module, sd, prefix, meta: seen.append("save"))
        wrapper.register_load_state_dict_post_hook(lambda module, keys: seen.append("load"))
        model = nn.ModuleDict({"mlp": wrapper})
        model.load_state_dict(model.state_dict(), strict=True)
        assert seen == ["save", "load"]

    def test_deepcopy_keeps_sharing(self) -> None:
        wrapper = chunked(MLP(), 4, 1)
        clone = copy.deepcopy(wrapper)
        assert clone.wrapped.up is clone.up
        assert clone.up is not wrapper.up
        clone.to(torch.float64)
        assert clone.wrapped.up.weight.dtype == torch.float64

    def test_pickle_round_trip(self) -> None:
        wrapper = chunked(nn.Sequential(nn.Linear(4, 8), nn.ReLU()), 2, 0)
        buffer = io.BytesIO()
        torch.save(wrapper, buffer)
        buffer.seek(0)
        clone = torch.load(buffer, weights_only=False)
        assert clone[0] is clone.wrapped[0]
        x = torch.randn(5, 4)
        assert torch.equal(clone(x), wrapper(x))
        assert isinstance(pickle.loads(pickle.dumps(wrapper)), Chunked)


class TestAccess:
    def test_repr_looks_like_the_wrapped_module(self) -> None:
        mlp = MLP()
        text = repr(chunked(mlp, 4, 1))
        assert text.startswith("MLP(\n  chunk_size=4, chunk_dim=1\n")
        assert text.replace("  chunk_size=4, chunk_dim=1\n", "") == repr(mlp)

    def test_repr_of_a_leaf_module(self) -> None:
        text = repr(chunked(nn.Linear(2, 3), 4, -2))
        assert (
            text == "Linear(in_features=2, out_features=3, bias=True, chunk_size=4, chunk_dim=-2)"
        )

    def test_repr_of_a_function(self) -> None:
        assert repr(chunked(torch.tanh, 4, 1)) == "Chunked(tanh, chunk_size=4, chunk_dim=1)"

    def test_attribute_reads_fall_through(self) -> None:
        wrapper = chunked(MLP(), 4, 1)
        assert wrapper.hidden_size == 8
        assert wrapper.describe() == "mlp8"
        assert "describe" in dir(wrapper)
        with pytest.raises(AttributeError):
            _ = wrapper.no_such_attribute

    def test_container_protocol(self) -> None:
        seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        wrapper = chunked(seq, 4, 0)
        assert len(wrapper) == 2
        assert wrapper[0] is seq[0]
        assert list(wrapper) == list(seq)
        assert bool(wrapper)

    def test_named_modules_has_no_extra_level(self) -> None:
        model = _model()
        names = [n for n, _ in model.named_modules()]
        model.mlp = chunked(model.mlp, 4, 1)
        assert [n for n, _ in model.named_modules()] == names

    def test_apply_sees_the_wrapped_children(self) -> None:
        model = _model()
        model.mlp = chunked(model.mlp, 4, 1)
        seen: list[str] = []
        model.apply(lambda m: seen.append(type(m).__name__))
        assert seen.count("Linear") == 3


class TestErrors:
    @pytest.mark.parametrize("chunk_size", [1.5, "4", None])
    def test_chunk_size_not_an_int(self, chunk_size: Any) -> None:
        with pytest.raises(TypeError, match="chunk_size must be an int"):
            chunked(MLP(), chunk_size, 1)

    def test_chunk_dim_not_an_int(self) -> None:
        with pytest.raises(TypeError, match="chunk_dim must be an int"):
            chunked(MLP(), 4, 1.0)  # type: ignore[arg-type]

    def test_not_callable(self) -> None:
        with pytest.raises(TypeError, match="module_or_fn must be"):
            chunked(3, 4, 1)  # type: ignore[arg-type]

    def test_chunk_dim_out_of_range_at_call(self) -> None:
        with pytest.raises(IndexError, match="chunk_dim=5"):
            chunked(MLP(), 4, 5)(torch.randn(2, 3, 8))
