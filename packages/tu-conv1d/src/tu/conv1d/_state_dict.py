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

    Args:
        model: The module to search.

    Returns:
        The qualified names of its Conv1D submodules (tu's and transformers').

    Raises:
        TypeError: ``model`` is not an ``nn.Module``.

    Examples:
        >>> from torch import nn
        >>> from tu.conv1d import Conv1D, conv1d_module_names
        >>> model = nn.Sequential(Conv1D(4, 3), nn.Linear(4, 2))
        >>> conv1d_module_names(model)
        ['0']
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__qualname__}")
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
        strict: Raise when a name or pattern matches no weight (a ``bool``).

    Returns:
        A new dict with the same keys, in the same order.

    Raises:
        TypeError: ``state_dict`` is not a mapping or has a key that is not a string,
            ``module_names`` is a single string or holds non-strings, ``strict`` is not a bool,
            or a matched entry is not a tensor.
        KeyError: ``strict`` is true and a name or pattern matches no ``.weight`` entry.
        ValueError: a matched weight is not 2-D.

    Examples:
        >>> import torch
        >>> from tu.conv1d import transpose_conv1d_weights
        >>> sd = {"c_attn.weight": torch.zeros(3, 9), "c_attn.bias": torch.zeros(9)}
        >>> transpose_conv1d_weights(sd, ["c_attn"])["c_attn.weight"].shape
        torch.Size([9, 3])
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"state_dict must be a mapping of names to tensors, got {type(state_dict).__qualname__}"
        )
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be a bool, got {type(strict).__qualname__}")
    if isinstance(module_names, (str, bytes)):
        raise TypeError("module_names must be an iterable of names, not a single string")
    if not isinstance(module_names, Iterable):
        raise TypeError(
            f"module_names must be an iterable of names, got {type(module_names).__qualname__}"
        )
    patterns = list(module_names)
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise TypeError(f"module_names must hold strings, got {type(pattern).__qualname__}")
    matched: set[str] = set()
    result: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"state_dict keys must be strings, got {type(key).__qualname__}")
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
