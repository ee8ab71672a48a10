"""Checks on the decorator's own arguments, and the error for an unhashable call argument."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["UnhashableArgumentError", "check_cache_options", "raise_if_unhashable"]


class UnhashableArgumentError(TypeError):
    """A cached callable got an argument it cannot hash, so it cannot build a cache key.

    Raised by cached plain functions and by the class call form ``Cls.method(obj, ...)``;
    the message names the parameter. A TypeError subclass, so ``except TypeError`` works.

    Examples:
        >>> from tu.cache import UnhashableArgumentError, compile_compatible_lru_cache
        >>> @compile_compatible_lru_cache
        ... def total(values: tuple[int, ...]) -> int:
        ...     return sum(values)
        >>> try:
        ...     total([1, 2])
        ... except UnhashableArgumentError as exc:
        ...     print(str(exc).split(":")[0])
        total() got an unhashable list for argument 'values'
    """


def check_cache_options(decorator: str, maxsize: object, typed: object) -> int | None:
    """Validate ``maxsize`` and ``typed`` as functools.lru_cache reads them, more strictly.

    Returns:
        ``maxsize`` as given (an int >= 0, or None for an unbounded cache).

    Raises:
        TypeError: ``maxsize`` is not None or an int (bools are refused), or ``typed`` is
            not a bool.
        ValueError: ``maxsize`` is negative (functools would silently treat it as 0).
    """
    if maxsize is not None and (not isinstance(maxsize, int) or isinstance(maxsize, bool)):
        raise TypeError(
            f"{decorator}: maxsize must be None (unbounded) or an int >= 0, "
            f"got {type(maxsize).__name__} {maxsize!r}"
        )
    if maxsize is not None and maxsize < 0:
        raise ValueError(
            f"{decorator}: maxsize must be None (unbounded) or an int >= 0, got {maxsize}"
        )
    if not isinstance(typed, bool):
        raise TypeError(f"{decorator}: typed must be a bool, got {type(typed).__name__}")
    return maxsize


def _is_hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _positional_label(func: Callable[..., Any], index: int) -> str:
    """Name the parameter that receives positional argument ``index`` of a call of ``func``."""
    import inspect  # only on this error path: importing it costs ~10 ms

    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return f"at position {index}"
    positional = [
        p
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    if index < len(positional):
        return repr(positional[index].name)
    rest = [p for p in parameters if p.kind is inspect.Parameter.VAR_POSITIONAL]
    if rest:
        return f"*{rest[0].name}[{index - len(positional)}]"
    return f"at position {index}"


def raise_if_unhashable(
    where: str,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    *,
    skipped: int = 0,
) -> None:
    """Raise :class:`UnhashableArgumentError` naming the first unhashable argument, if any.

    Args:
        where: the cached callable's name, for the message.
        func: the undecorated function, whose signature names the parameters.
        args: positional arguments as passed to the cache (the instance already removed).
        kwargs: keyword arguments as passed.
        skipped: leading parameters of ``func`` that ``args`` does not include (1 for
            ``self`` of a method).

    Returns:
        None when every argument hashes (the TypeError came from somewhere else).
    """
    label = None
    bad: object = None
    for index, value in enumerate(args):
        if not _is_hashable(value):
            label, bad = _positional_label(func, index + skipped), value
            break
    else:
        for name, value in kwargs.items():
            if not _is_hashable(value):
                label, bad = repr(name), value
                break
    if label is None:
        return
    raise UnhashableArgumentError(
        f"{where}() got an unhashable {type(bad).__name__} for argument {label}: the cache "
        "keys on the arguments, so each must be hashable (pass a tuple instead of a list, "
        "for example)"
    )
