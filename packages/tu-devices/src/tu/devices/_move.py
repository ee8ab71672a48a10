"""Move every tensor nested in common containers to a device, keeping each container's type."""

from __future__ import annotations

import copy
import dataclasses
from collections import defaultdict
from typing import Any, TypeVar

import torch

from tu.devices._backend import _as_device, _require
from tu.devices._types import DeviceLike

__all__ = ["MAX_DEPTH", "move_to_device"]

T = TypeVar("T")

#: Deepest container nesting :func:`move_to_device` enters; deeper input is a ValueError
#: rather than a RecursionError from somewhere inside.
MAX_DEPTH = 100


class _Walk:
    """One move: the target, and the containers on the path from the root (cycle check)."""

    def __init__(self, device: torch.device, non_blocking: bool) -> None:
        self.device = device
        self.non_blocking = non_blocking
        self.path: set[int] = set()

    def move(self, value: Any, depth: int) -> Any:
        if isinstance(value, torch.Tensor):
            return value.to(self.device, non_blocking=self.non_blocking)
        container = isinstance(value, (dict, tuple, list, set, frozenset)) or (
            dataclasses.is_dataclass(value) and not isinstance(value, type)
        )
        if not container:
            return value
        if depth >= MAX_DEPTH:
            raise ValueError(f"value: containers nested deeper than {MAX_DEPTH} levels")
        key = id(value)
        if key in self.path:
            raise ValueError(
                f"value holds a reference cycle (a {type(value).__name__} contains itself)"
            )
        self.path.add(key)
        try:
            return self._rebuild(value, depth + 1)
        finally:
            self.path.discard(key)

    def _rebuild(self, value: Any, depth: int) -> Any:
        if isinstance(value, dict):
            items = {k: self.move(v, depth) for k, v in value.items()}
            if isinstance(value, defaultdict):
                return type(value)(value.default_factory, items)
            # OrderedDict, transformers' ModelOutput and other dict subclasses take a mapping.
            return type(value)(items)
        if isinstance(value, tuple):
            moved = [self.move(v, depth) for v in value]
            if hasattr(type(value), "_fields"):  # a namedtuple takes its fields positionally
                return type(value)(*moved)
            return type(value)(moved)  # tuple, tuple subclasses, torch.return_types
        if isinstance(value, (list, set, frozenset)):
            return type(value)([self.move(v, depth) for v in value])
        # A dataclass instance: a shallow copy with each field replaced, so no
        # __init__/__post_init__ reruns, and frozen, slotted and init=False fields work alike.
        result = copy.copy(value)
        for field in dataclasses.fields(value):
            if hasattr(value, field.name):
                moved_field = self.move(getattr(value, field.name), depth)
                object.__setattr__(result, field.name, moved_field)
        return result


def move_to_device(value: T, device: DeviceLike, *, non_blocking: bool = False) -> T:
    """Move the tensors in ``value`` to ``device``, however deeply nested; return a new value.

    Goes into dicts (OrderedDict, defaultdict with its ``default_factory``, transformers'
    ModelOutput and other dict subclasses), lists, tuples (namedtuples and
    ``torch.return_types`` included), sets, frozensets and dataclass instances, rebuilding
    each with its own type. Anything else (numbers, strings, None, modules, other objects)
    is returned as it is. Nothing is changed in place; a tensor already on ``device`` comes
    back as itself (``Tensor.to`` semantics). Work is linear in the number of containers
    and tensors; nesting is limited to ``MAX_DEPTH`` (100) levels.

    Args:
        value: a tensor, a container of tensors, or anything else.
        device: target device: a ``torch.device``, a string such as ``"cuda:0"`` or
            ``"meta"``, or an index on :func:`~tu.devices.infer_device`'s device type.
        non_blocking: passed to ``Tensor.to``.

    Returns:
        ``value`` with every reachable tensor moved, containers rebuilt.

    Raises:
        TypeError: ``device`` is not a device, string or index (None and bools refused),
            or ``non_blocking`` is not a bool.
        ValueError: an unknown device type or one not available here, containers nested
            deeper than 100 levels, or a container that contains itself.

    Examples:
        >>> import torch
        >>> from tu.devices import move_to_device
        >>> batch = {"ids": torch.tensor([1, 2]), "meta": ("a", torch.zeros(1))}
        >>> moved = move_to_device(batch, "cpu")
        >>> moved["ids"].device.type, type(moved["meta"]).__name__
        ('cpu', 'tuple')
    """
    if device is None:
        raise TypeError(
            "device must be a torch.device, a string such as 'cuda:0' or an index, got NoneType"
        )
    target = _as_device(device)
    _require(target.type)
    if not isinstance(non_blocking, bool):
        raise TypeError(f"non_blocking must be a bool, got {type(non_blocking).__name__}")
    return _Walk(target, non_blocking).move(value, 0)  # type: ignore[no-any-return]
