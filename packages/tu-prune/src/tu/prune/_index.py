"""Check and normalise the arguments of the prune functions: typed errors naming the argument."""

from __future__ import annotations

import numbers
import operator
from collections.abc import Iterable, Sequence
from typing import TypeAlias

import torch

IndexLike: TypeAlias = torch.Tensor | Sequence[int] | Iterable[int]
"""What the prune functions accept as ``index``: an integer tensor or a sequence of ints."""

#: Most elements an int64 tensor can hold: its byte size must fit in an int64 (torch's limit).
MAX_INDEX_NUMEL = (2**63 - 1) // 8


def is_bool(value: object) -> bool:
    """``bool``, NumPy's ``bool_`` or a bool tensor: never taken as an int here."""
    if isinstance(value, bool):
        return True
    if isinstance(value, torch.Tensor):
        return value.dtype == torch.bool
    return type(value).__name__ == "bool_"


def check_int(value: object, name: str, expected: str = "an int") -> int:
    """Return ``value`` as an int: ints, NumPy ints and 0-d integer tensors; never a bool."""
    if type(value) is int:
        return value
    if is_bool(value):
        raise TypeError(f"{name} must be {expected}, got a bool")
    if isinstance(value, torch.Tensor) and value.dim() != 0:  # a one-element [2] is no int
        raise TypeError(f"{name} must be {expected}, got a {value.dim()}-D tensor")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be {expected}, got {type(value).__qualname__}") from None


def check_count(value: object, name: str) -> int:
    """Return ``value`` as a non-negative int (a number of heads, a head size)."""
    count = check_int(value, name)
    if count < 0:
        raise ValueError(f"{name} must be >= 0, got {count}")
    return count


def normalize_dim(dim: object, *, name: str = "dim") -> int:
    """Return ``dim`` as 0 or 1, accepting the negative spellings -2 and -1."""
    value = check_int(dim, name, "an int in [-2, 1]")
    if not -2 <= value <= 1:
        raise IndexError(f"{name} must be in [-2, 1] (a weight has two dims), got {value}")
    return value % 2


def check_range_object(values: range, size: int, name: str) -> None:
    """Check a ``range``'s bounds in O(1), before it is read element by element."""
    if len(values) == 0:
        return
    low, high = min(values[0], values[-1]), max(values[0], values[-1])
    if low < 0 or high >= size:
        bad = low if low < 0 else high
        raise IndexError(f"{name} values must be in [0, {size}), got {bad}")


def as_index(index: IndexLike, *, size: int, name: str = "index") -> torch.Tensor:
    """Validate ``index`` against a dimension of length ``size``; return it as int64.

    A tensor stays on its device; a sequence becomes a CPU tensor. Work grows with the
    length of ``index`` (a ``range`` is bounds-checked before it is read).

    Raises:
        TypeError: ``index`` is a scalar, a string, not iterable, a floating/bool/complex tensor,
            or holds something other than ints.
        ValueError: ``index`` is a tensor that is not 1-D.
        IndexError: a value is negative or ``>= size``.
    """
    if isinstance(index, range):
        check_range_object(index, size, name)
    tensor = _to_tensor(index, name, size)
    if tensor.numel() and tensor.device.type != "meta":
        low, high = int(tensor.min()), int(tensor.max())
        if low < 0 or high >= size:
            bad = low if low < 0 else high
            raise IndexError(f"{name} values must be in [0, {size}) for this dimension, got {bad}")
    return tensor.to(dtype=torch.long)


def _to_tensor(index: IndexLike, name: str, size: int) -> torch.Tensor:
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
    if isinstance(index, range):
        return torch.arange(index.start, index.stop, index.step, dtype=torch.long)
    try:
        items = list(index)
    except TypeError:
        raise TypeError(
            f"{name} must be a 1-D integer tensor or a sequence of ints, "
            f"got {type(index).__qualname__}"
        ) from None
    values = []
    for position, item in enumerate(items):
        value = _as_int(item, f"{name}[{position}]")
        if not 0 <= value < size:  # before torch.tensor, which overflows on huge ints
            raise IndexError(
                f"{name} values must be in [0, {size}) for this dimension, got {value}"
            )
        values.append(value)
    return torch.tensor(values, dtype=torch.long)


def _as_int(item: object, name: str) -> int:
    if is_bool(item):
        raise TypeError(f"{name} must be an int, got a bool")
    if isinstance(item, torch.Tensor) and item.dim() != 0:
        raise TypeError(f"{name} must be an int (index must be 1-D), got a {item.dim()}-D tensor")
    try:
        return operator.index(item)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"{name} must be an int (index must be 1-D), got {type(item).__qualname__}"
        ) from None
