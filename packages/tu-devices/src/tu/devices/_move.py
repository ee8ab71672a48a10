"""Move every tensor nested in common containers to a device, keeping each container's type."""

from __future__ import annotations

import copy
import dataclasses
from collections import defaultdict
from typing import Any, TypeVar

import torch

from tu.devices._types import DeviceLike

__all__ = ["move_to_device"]

T = TypeVar("T")


def _move(value: Any, device: DeviceLike, non_blocking: bool) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=non_blocking)
    if isinstance(value, dict):
        items = {k: _move(v, device, non_blocking) for k, v in value.items()}
        if isinstance(value, defaultdict):
            return type(value)(value.default_factory, items)
        # OrderedDict, transformers' ModelOutput and other dict subclasses take a mapping.
        return type(value)(items)
    if isinstance(value, tuple):
        moved = [_move(v, device, non_blocking) for v in value]
        if hasattr(type(value), "_fields"):  # a namedtuple takes its fields positionally
            return type(value)(*moved)
        return type(value)(moved)  # tuple, tuple subclasses, torch.return_types
    if isinstance(value, list):
        return type(value)(_move(v, device, non_blocking) for v in value)
    if isinstance(value, (set, frozenset)):
        return type(value)(_move(v, device, non_blocking) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # A shallow copy with each field replaced: no __init__/__post_init__ reruns, and
        # frozen, slotted and init=False fields work alike.
        result = copy.copy(value)
        for field in dataclasses.fields(value):
            if hasattr(value, field.name):
                moved_field = _move(getattr(value, field.name), device, non_blocking)
                object.__setattr__(result, field.name, moved_field)
        return result
    return value


def move_to_device(value: T, device: DeviceLike, *, non_blocking: bool = False) -> T:
    """Move the tensors in ``value`` to ``device``, however deeply nested; return a new value.

    Goes into dicts (OrderedDict, defaultdict with its ``default_factory``, transformers'
    ModelOutput and other dict subclasses), lists, tuples (namedtuples and
    ``torch.return_types`` included), sets, frozensets and dataclass instances, rebuilding
    each with its own type. Anything else (numbers, strings, None, modules, other objects)
    is returned as it is. Nothing is changed in place; a tensor already on ``device`` comes
    back as itself (``Tensor.to`` semantics).

    Args:
        value: a tensor, a container of tensors, or anything else.
        device: target device (``torch.device``, ``"cuda:0"``, or an index).
        non_blocking: passed to ``Tensor.to``.

    Returns:
        ``value`` with every reachable tensor moved, containers rebuilt.

    Examples:
        >>> batch = {"ids": torch.tensor([1, 2]), "meta": ("a", torch.zeros(1))}
        >>> moved = move_to_device(batch, "cpu")
        >>> moved["ids"].device.type, type(moved["meta"]).__name__
        ('cpu', 'tuple')
    """
    return _move(value, device, non_blocking)  # type: ignore[no-any-return]
