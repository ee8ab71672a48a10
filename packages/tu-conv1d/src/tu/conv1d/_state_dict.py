"""Checkpoint conversion helpers: find Conv1D modules and transpose their weights."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping

import torch
from torch import nn

from tu.conv1d._detect import is_conv1d


def conv1d_module_names(model: nn.Module) -> list[str]:
    """List the qualified names of the Conv1D submodules of ``model`` (tu's or transformers').

    The names are those of ``model.named_modules()``, in its order; the root is named ``""``.
    They can be passed to :func:`transpose_conv1d_weights`.

    Examples:
        >>> from tu.conv1d import Conv1D
        >>> model = nn.Sequential(Conv1D(4, 3), nn.Linear(4, 2))
        >>> conv1d_module_names(model)
        ['0']
    """
    return [name for name, module in model.named_modules() if is_conv1d(module)]


def transpose_conv1d_weights(
    state_dict: Mapping[str, torch.Tensor],
    module_names: Iterable[str],
    *,
    strict: bool = True,
) -> dict[str, torch.Tensor]:
    """Return a copy of ``state_dict`` with the weights of the named modules transposed.

    Conv1D stores ``(in, out)`` where ``nn.Linear`` stores ``(out, in)``, and the transposition
    is its own inverse, so the same call converts a checkpoint either way. Transposed weights
    are new contiguous tensors; every other entry is the same tensor object as in the input,
    which is not modified.

    Args:
        state_dict: Mapping from parameter names to tensors.
        module_names: Module names such as ``"h.0.attn.c_attn"`` or shell-style patterns such
            as ``"h.*.attn.c_attn"``; the entry ``"<name>.weight"`` of each matching module is
            transposed (``"weight"`` alone for the root module ``""``).
        strict: Raise when a name or pattern matches no weight.

    Returns:
        A new dict with the same keys, in the same order.

    Raises:
        TypeError: ``module_names`` is a single string, or a matched entry is not a tensor.
        KeyError: ``strict`` is true and a name or pattern matches no ``.weight`` entry.
        ValueError: a matched weight is not 2-D.

    Examples:
        >>> sd = {"c_attn.weight": torch.zeros(3, 9), "c_attn.bias": torch.zeros(9)}
        >>> transpose_conv1d_weights(sd, ["c_attn"])["c_attn.weight"].shape
        torch.Size([9, 3])
    """
    if isinstance(module_names, str):
        raise TypeError("module_names must be an iterable of names, not a single string")
    patterns = list(module_names)
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise TypeError(f"module_names must hold strings, got {type(pattern).__qualname__}")
    matched: set[str] = set()
    result: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        owner = _weight_owner(key)
        hits = [] if owner is None else [p for p in patterns if fnmatch.fnmatchcase(owner, p)]
        if not hits:
            result[key] = value
            continue
        matched.update(hits)
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"state_dict[{key!r}] must be a tensor, got {type(value).__qualname__}")
        if value.dim() != 2:
            raise ValueError(
                f"state_dict[{key!r}] must be a 2-D weight to transpose, "
                f"got shape {tuple(value.shape)}"
            )
        result[key] = value.t().contiguous()
    if strict:
        missing = [p for p in patterns if p not in matched]
        if missing:
            raise KeyError(f"no '<name>.weight' entry of state_dict matches module_names {missing}")
    return result


def _weight_owner(key: str) -> str | None:
    """Return the module name owning ``key`` when ``key`` names a weight, else None."""
    if key == "weight":
        return ""
    if key.endswith(".weight"):
        return key[: -len(".weight")]
    return None
