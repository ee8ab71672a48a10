"""Argument checks for chunked forwards: typed errors that name the argument at fault."""

from __future__ import annotations

import functools
import inspect
import operator
import sys
import types
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeGuard

import torch
from torch import nn

__all__ = [
    "ForwardArityError",
    "check_chunk_dim",
    "check_chunk_size",
    "check_forward_fn",
    "check_inputs",
    "chunk_length",
    "is_compiling",
]


class ForwardArityError(TypeError, ValueError):
    """``forward_fn`` cannot take that many positional tensors.

    A ``TypeError`` (a call with the wrong arguments), and also a ``ValueError`` because that is what
    transformers raises when its parameter count does not match.

    Examples:
        >>> import torch
        >>> from tu.chunk import ForwardArityError, apply_chunking_to_forward
        >>> try:
        ...     apply_chunking_to_forward(lambda x: x, 2, 0, torch.ones(4), torch.ones(4))
        ... except ForwardArityError as error:
        ...     print(isinstance(error, TypeError), isinstance(error, ValueError))
        True True
    """


def _is_bool(value: object) -> bool:
    """``bool``, NumPy's ``bool_`` or a bool tensor: ``operator.index`` takes them, tu does not."""
    if isinstance(value, bool):
        return True
    if isinstance(value, torch.Tensor):
        return value.dtype == torch.bool
    return type(value).__name__ == "bool_"


def _as_int(value: object, name: str, expected: str) -> int:
    """``value`` as an int: ints, NumPy ints, 0-d integer tensors; never a bool or a float."""
    if type(value) is int:  # the common case, first: this runs on every call
        return value
    one_element = isinstance(value, torch.Tensor) and value.dim() != 0  # [2] is no int
    if not _is_bool(value) and not one_element:
        try:
            return operator.index(value)  # type: ignore[arg-type]
        except TypeError:
            pass
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {shown}")


def check_chunk_size(chunk_size: object) -> int:
    """Return ``chunk_size`` as an int (any size: the chunk count is bounded by the input)."""
    return _as_int(chunk_size, "chunk_size", "an int (<= 0 means no chunking)")


def check_chunk_dim(chunk_dim: object) -> int:
    """Return ``chunk_dim`` as an int (range is checked per tensor by :func:`chunk_length`)."""
    return _as_int(chunk_dim, "chunk_dim", "an int")


def check_inputs(input_tensors: Sequence[object]) -> None:
    """Refuse an empty ``input_tensors`` (transformers uses a bare ``assert``)."""
    if len(input_tensors) == 0:
        raise TypeError(
            "input_tensors is empty: apply_chunking_to_forward needs at least one input tensor"
            " after forward_fn, chunk_size and chunk_dim"
        )


def normalize_dim(dim: int, ndim: int, what: str) -> int:
    """Map a possibly negative ``dim`` into ``[0, ndim)``; IndexError naming ``chunk_dim`` otherwise."""
    if -ndim <= dim < ndim:
        return dim + ndim if dim < 0 else dim
    raise IndexError(
        f"chunk_dim={dim} is out of range for {what} with {ndim} dimension(s)"
        f" (expected an int in [{-ndim}, {ndim - 1}])"
        if ndim > 0
        else f"chunk_dim={dim} is out of range for {what}: a 0-dimensional tensor has no dim to chunk"
    )


def chunk_length(input_tensors: Sequence[object], chunk_dim: int) -> tuple[int, tuple[int, ...]]:
    """Length along ``chunk_dim`` shared by every input, and each input's non-negative dim.

    Raises:
        TypeError: an input is not a tensor.
        IndexError: ``chunk_dim`` is out of range for an input.
        ValueError: the inputs disagree on their length along ``chunk_dim``.
    """
    dims: list[int] = []
    lengths: list[int] = []
    for i, tensor in enumerate(input_tensors):
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(
                f"input_tensors[{i}] must be a torch.Tensor when chunking (chunk_size > 0),"
                f" got {type(tensor).__name__}"
            )
        dim = normalize_dim(chunk_dim, tensor.dim(), f"input_tensors[{i}]")
        dims.append(dim)
        lengths.append(int(tensor.shape[dim]))
    for i, length in enumerate(lengths):
        if length != lengths[0]:
            raise ValueError(
                f"input_tensors must all have the same length along chunk_dim={chunk_dim}:"
                f" input_tensors[0] has {lengths[0]}, input_tensors[{i}] has {length}"
            )
    return lengths[0], tuple(dims)


# Binding results of plain functions, keyed weakly so a cached function can still be collected.
# Each entry remembers the code and defaults it was computed for, in case they are reassigned.
_ARITY_CACHE: weakref.WeakKeyDictionary[
    Callable[..., Any], tuple[object, object, object, dict[int, bool]]
]
_ARITY_CACHE = weakref.WeakKeyDictionary()


def _binds(fn: Callable[..., Any], n_positional: int) -> bool | None:
    """Whether ``fn`` binds ``n_positional`` positional arguments; None when it has no signature."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*([None] * n_positional))
    except TypeError:
        return False
    return True


def _function_binds(fn: types.FunctionType, n_positional: int) -> bool | None:
    entry = _ARITY_CACHE.get(fn)
    stamp = (fn.__code__, fn.__defaults__, fn.__kwdefaults__)
    if (
        entry is None
        or entry[0] is not stamp[0]
        or entry[1] is not stamp[1]
        or entry[2] is not stamp[2]
    ):
        entry = (*stamp, {})
        _ARITY_CACHE[fn] = entry
    known = entry[3]
    if n_positional not in known:
        result = _binds(fn, n_positional)
        if result is None:
            return None
        known[n_positional] = result
    return known[n_positional]


def _accepts(fn: Callable[..., Any], n_positional: int) -> bool | None:
    target: Any = fn.forward if isinstance(fn, nn.Module) else fn
    func = getattr(target, "__func__", None)
    if isinstance(target, types.MethodType) and _plain_function(func):
        # A bound method binds its receiver first: cache on the underlying function.
        return _function_binds(func, n_positional + 1)
    if _plain_function(target):
        return _function_binds(target, n_positional)
    return _binds(target, n_positional)


def _plain_function(fn: object) -> TypeGuard[types.FunctionType]:
    """A Python function whose signature comes from its code (so it can be cached on it)."""
    return isinstance(fn, types.FunctionType) and not hasattr(fn, "__signature__")


def is_compiling() -> bool:
    """Whether torch.compile (dynamo) is tracing this call; False where torch has no such query."""
    query = getattr(getattr(torch, "compiler", None), "is_compiling", None)
    if query is None:  # torch < 2.3
        query = getattr(sys.modules.get("torch._dynamo"), "is_compiling", None)
    return bool(query()) if query is not None else False


def check_forward_fn(forward_fn: object, n_inputs: int) -> None:
    """Refuse ``forward_fn`` when it is not callable or cannot take ``n_inputs`` positional tensors.

    The check binds ``n_inputs`` positional arguments to ``inspect.signature(forward_fn)`` (for an
    ``nn.Module``, its ``forward``), so defaults, keyword-only parameters with defaults, ``*args``,
    ``**kwargs`` and keyword-bound ``functools.partial`` arguments are all fine. Callables without a
    signature (many builtins such as ``torch.relu``) are not checked.
    """
    if not callable(forward_fn):
        raise TypeError(f"forward_fn must be callable, got {type(forward_fn).__name__}")
    if is_compiling():  # no signature introspection inside a traced graph; the call itself checks
        return
    if _accepts(forward_fn, n_inputs) is False:
        raise ForwardArityError(
            f"forward_fn {_describe(forward_fn)} cannot be called with {n_inputs} positional"
            f" tensor(s) (one per input tensor)"
        )


def _describe(fn: object) -> str:
    if isinstance(fn, nn.Module):
        target: object = fn.forward
        label = f"{type(fn).__name__}.forward"
    elif isinstance(fn, functools.partial):
        target, label = fn, f"functools.partial({getattr(fn.func, '__qualname__', fn.func)!r})"
    else:
        target, label = fn, getattr(fn, "__qualname__", type(fn).__name__)
    try:
        return f"{label}{inspect.signature(target)}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(label)
