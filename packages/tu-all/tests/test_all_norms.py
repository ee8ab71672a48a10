"""ALL_LAYERNORM_LAYERS, NORM_LAYERS and decay_parameter_names."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tu.all import ALL_LAYERNORM_LAYERS, NORM_LAYERS, decay_parameter_names, is_norm_layer


class CustomRMSNorm(nn.Module):
    """A model's own RMSNorm, not a subclass of torch's (like LlamaRMSNorm)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(4)
        self.attn = nn.Linear(4, 4)
        self.post = CustomRMSNorm(4)
        self.gn = nn.GroupNorm(2, 4)
        self.mlp = nn.Linear(4, 4, bias=False)
        self.scale = nn.Parameter(torch.ones(1))


def test_all_layernorm_layers_is_transformers_list() -> None:
    assert [nn.LayerNorm] == ALL_LAYERNORM_LAYERS


def test_norm_layers_hold_torch_norms() -> None:
    assert nn.LayerNorm in NORM_LAYERS
    assert nn.GroupNorm in NORM_LAYERS
    assert is_norm_layer(nn.BatchNorm1d(3))
    assert is_norm_layer(nn.InstanceNorm2d(3))
    if hasattr(nn, "RMSNorm"):
        assert nn.RMSNorm in NORM_LAYERS
        assert is_norm_layer(nn.RMSNorm(3))
    assert not is_norm_layer(nn.Linear(2, 2))


def test_decay_names_skip_norms_and_biases_by_module_type() -> None:
    model = nn.Sequential(Block(), nn.Linear(4, 2))
    assert decay_parameter_names(model) == ["0.scale", "0.attn.weight", "0.mlp.weight", "1.weight"]


def test_class_name_matching_can_be_turned_off() -> None:
    names = decay_parameter_names(Block(), match_class_names=False)
    assert "post.weight" in names
    assert "ln_1.weight" not in names


def test_biases_can_decay_if_asked() -> None:
    names = decay_parameter_names(Block(), exclude_biases=False)
    assert "attn.bias" in names
    assert "ln_1.bias" not in names


def test_tied_parameters_are_listed_once() -> None:
    emb = nn.Embedding(10, 4)
    head = nn.Linear(4, 10, bias=False)
    head.weight = emb.weight
    model = nn.ModuleDict({"emb": emb, "head": head})
    assert decay_parameter_names(model) == ["emb.weight"]


def test_a_module_that_is_itself_a_norm_decays_nothing() -> None:
    assert decay_parameter_names(nn.LayerNorm(4)) == []


def test_not_a_module_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module"):
        decay_parameter_names("model")  # type: ignore[arg-type]
