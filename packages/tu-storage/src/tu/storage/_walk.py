"""Name the tensors of a loaded checkpoint by dotted paths, in work bounded by its size.

A ``torch.save`` file can make one list or dict reachable along many paths (``[x, x]``
nested 60 deep is a 2 KB file with 2**60 paths) or from inside itself. The walk is
iterative, enters each container object once (a container reached again along another
path is not walked again: its tensors keep the names of its first path), refuses a
container that contains itself, and refuses nesting deeper than :data:`MAX_DEPTH` and names
longer in total than :data:`MAX_NAME_CHARS`. Its work is linear in the number of container
slots, which the file's size bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

#: Deepest nesting of dicts, lists and tuples a checkpoint walk enters.
MAX_DEPTH = 1000

#: Most characters all tensor and container names of one walk may hold together.
MAX_NAME_CHARS = 1 << 26

_SCALARS = (str, float, bool, type(None))


class WalkError(ValueError):
    """The object graph is cyclic, too deep, or names too long; the message says where."""


def key_text(key: object) -> str:
    """A dict key or index as a name part, in bounded work for any key a checkpoint holds."""
    if isinstance(key, str):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        if key.bit_length() <= 64:
            return str(key)
        return f"<int of {key.bit_length()} bits>"
    if isinstance(key, _SCALARS):
        return str(key)
    if (
        isinstance(key, tuple)
        and len(key) <= 8
        and all(isinstance(k, (*_SCALARS, int)) for k in key)
    ):
        return "(" + ", ".join(key_text(k) for k in key) + ("," if len(key) == 1 else "") + ")"
    return f"<{type(key).__name__}>"


def _children(obj: object) -> Iterator[tuple[object, Any]] | None:
    if isinstance(obj, Mapping):
        return iter(obj.items())
    if isinstance(obj, (list, tuple)):
        return enumerate(obj)
    return None


def _shorten(name: str, limit: int = 120) -> str:
    return name if len(name) <= limit else f"{name[: limit // 2]}...{name[-limit // 2 :]}"


def named_leaves(
    root: object,
    is_leaf: Callable[[object], bool],
    *,
    max_depth: int = MAX_DEPTH,
    max_name_chars: int = MAX_NAME_CHARS,
) -> list[tuple[str, Any]]:
    """``(dotted name, leaf)`` for every slot of the containers under ``root`` holding a leaf.

    A leaf held in several slots is listed once per slot (tied weights keep both names);
    each container object is entered once. ``root`` itself, when a leaf, is ``"<root>"``.

    Raises:
        WalkError: for a container that contains itself, nesting deeper than ``max_depth``,
            or names longer in total than ``max_name_chars``.
    """
    if is_leaf(root):
        return [("<root>", root)]
    children = _children(root)
    if children is None:
        return []
    out: list[tuple[str, Any]] = []
    budget = max_name_chars
    entered = {id(root)}
    on_path = {id(root)}
    stack: list[tuple[int, str, Iterator[tuple[object, Any]]]] = [(id(root), "", children)]
    while stack:
        owner, prefix, items = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            on_path.discard(owner)
            continue
        key, value = item
        part = key_text(key)
        name = f"{prefix}.{part}" if prefix else part
        budget -= len(name)
        if budget < 0:
            raise WalkError(
                f"the names of its tensors and containers exceed {max_name_chars} characters "
                f"(at {_shorten(name)})"
            )
        if is_leaf(value):
            out.append((name, value))
            continue
        inner = _children(value)
        if inner is None:
            continue
        if id(value) in on_path:
            raise WalkError(f"{_shorten(name)} contains itself (a reference cycle)")
        if id(value) in entered:
            continue  # reached before along another path: walked once
        if len(stack) >= max_depth:
            raise WalkError(
                f"containers are nested deeper than {max_depth} levels (at {_shorten(name)})"
            )
        entered.add(id(value))
        on_path.add(id(value))
        stack.append((id(value), name, inner))
    return out
