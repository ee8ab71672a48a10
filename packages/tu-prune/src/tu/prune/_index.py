"""Check and normalise the ``index`` and ``dim`` arguments of the prune functions."""

from __future__ import annotations

import numbers
import operator
from collections.abc import Iterable, Sequence
from typing import TypeAlias

import torch

#: What the prune functions accept as ``index``: an integer tensor or a sequence of ints.
IndexLike: TypeAlias = torch.Tensor | Sequence[int] | Iterable[int]


def normalize_dim(dim: int, *, name: str = "dim") -> int:
    """Return ``dim`` as 0 or 1, accepting the negative spellings -2 and -1."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{name} must be an int in [-2, 1], got {type(dim).__qualname__}")
    if not -2 <= dim <= 1:
        raise IndexError(f"{name} must be in [-2, 1] (a weight has two dims), got {dim}")
    return dim % 2


def as_index(index: IndexLike, *, size: int, name: str = "index") -> torch.Tensor:
    """Validate ``index`` against a dimension of length ``size``; return it as int64.

    A tensor stays on its device; a sequence becomes a CPU tensor.

    Raises:
        TypeError: ``index`` is a scalar, a string, not iterable, a floating/bool/complex tensor,
            or holds something other than ints.
        ValueError: ``index`` is a tensor that is not 1-D.
        IndexError: a value is negative or ``>= size``.
    """
    tensor = _to_tensor(index, name)
    if tensor.numel() and tensor.device.type != "meta":
        low, high = int(tensor.min()), int(tensor.max())
        if low < 0 or high >= size:
            bad = low if low < 0 else high
            raise IndexError(f"{name} values must be in [0, {size}) for this dimension, got {bad}")
    return tensor.to(dtype=torch.long)


def _to_tensor(index: IndexLike, name: str) -> torch.Tensor:
    if isinstance(index, torch.Tensor):
        if index.dtype == torch.bool:
            raise TypeError(
                f"{name} must hold integer positions, got a bool tensor "
                "(for a mask, pass mask.nonzero().flatten())"
            )
        if index.is_floating_point() or index.is_complex():
            raise TypeError(f"{name} must be an integer tensor, got dtype {index.dtype}")
        if index.dim() != 1:
            raise ValueError(f"{name} must be 1-D, got shape {tuple(index.shape)}")
        return index
    if isinstance(index, (str, bytes, numbers.Integral)):
        raise TypeError(
            f"{name} must be a 1-D integer tensor or a sequence of ints, "
            f"got {type(index).__qualname__} (wrap a single position in a list)"
        )
    try:
        items = list(index)
    except TypeError:
        raise TypeError(
            f"{name} must be a 1-D integer tensor or a sequence of ints, "
            f"got {type(index).__qualname__}"
        ) from None
    values = []
    for position, item in enumerate(items):
        values.append(_as_int(item, f"{name}[{position}]"))
    return torch.tensor(values, dtype=torch.long)


def _as_int(item: object, name: str) -> int:
    if isinstance(item, bool) or (isinstance(item, torch.Tensor) and item.dtype == torch.bool):
        raise TypeError(f"{name} must be an int, got a bool")
    try:
        return operator.index(item)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"{name} must be an int (index must be 1-D), got {type(item).__qualname__}"
        ) from None
