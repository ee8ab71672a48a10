"""``compile_compatible_lru_cache``: functools.lru_cache that steps aside while torch compiles."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, cast, overload

from tu.cache._args import check_cache_options, raise_if_unhashable
from tu.cache._fastpath import make_function_wrapper, resolve

__all__ = ["CachedFunction", "compile_compatible_lru_cache"]

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

_NAME = "compile_compatible_lru_cache"


class CachedFunction(Protocol, Generic[P, R_co]):
    """What :func:`compile_compatible_lru_cache` returns: the function plus lru_cache's API.

    A typing protocol only (mypy keeps the function's signature); never instantiated.

    Examples:
        >>> from tu.cache import CachedFunction, compile_compatible_lru_cache
        >>> @compile_compatible_lru_cache
        ... def inc(n: int) -> int:
        ...     return n + 1
        >>> f: CachedFunction[[int], int] = inc
        >>> f(1), f.cache_parameters()
        (2, {'maxsize': 128, 'typed': False})
    """

    @property
    def __wrapped__(self) -> Callable[P, R_co]: ...

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    def cache_info(self) -> functools._CacheInfo:
        """The cache's statistics.

        Returns:
            ``CacheInfo(hits, misses, maxsize, currsize)``, as functools reports them.
        """
        ...

    def cache_clear(self) -> None:
        """Empty the cache and restart its statistics."""
        ...

    def cache_parameters(self) -> dict[str, Any]:
        """The decoration's options.

        Returns:
            ``{"maxsize": ..., "typed": ...}``.
        """
        ...


def _decorate(func: Callable[P, R], maxsize: int | None, typed: bool) -> CachedFunction[P, R]:
    if not callable(func):
        raise TypeError(f"{_NAME} decorates a callable, got {type(func).__name__}")
    resolve()
    cached = functools.lru_cache(maxsize=maxsize, typed=typed)(func)
    where = getattr(func, "__qualname__", repr(func))

    def on_type_error(exc: TypeError, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            raise_if_unhashable(where, func, args, kwargs)
        except TypeError as better:
            raise better from exc

    wrapper: Any = make_function_wrapper(func, cached, on_type_error)
    functools.update_wrapper(wrapper, func)
    wrapper.cache_info = cached.cache_info
    wrapper.cache_clear = cached.cache_clear
    wrapper.cache_parameters = cached.cache_parameters
    return cast("CachedFunction[P, R]", wrapper)


@overload
def compile_compatible_lru_cache(
    maxsize: Callable[P, R], typed: bool = False
) -> CachedFunction[P, R]: ...
@overload
def compile_compatible_lru_cache(
    maxsize: int | None = 128, typed: bool = False
) -> Callable[[Callable[P, R]], CachedFunction[P, R]]: ...
def compile_compatible_lru_cache(
    maxsize: int | Callable[P, R] | None = 128, typed: bool = False
) -> CachedFunction[P, R] | Callable[[Callable[P, R]], CachedFunction[P, R]]:
    """An LRU cache for plain functions that calls straight through while torch compiles.

    Same contract as :func:`compile_compatible_method_lru_cache`, for functions: one cache
    shared by all callers, bypassed while dynamo traces (or export / a compile session
    runs), used otherwise. Usable as ``@compile_compatible_lru_cache`` and
    ``@compile_compatible_lru_cache(maxsize=..., typed=...)``.

    Decorating a method with this keys the cache on ``self`` and keeps every instance alive
    while its entries are cached, as functools.lru_cache does; use
    :func:`compile_compatible_method_lru_cache` for methods.

    Args:
        maxsize: entries kept (least recently used evicted first); None for no limit. When
            a callable is passed here, it is decorated with the defaults.
        typed: cache arguments of different types separately (``1`` and ``1.0``).

    Returns:
        The cached function, with ``cache_info()``, ``cache_clear()``,
        ``cache_parameters()`` and ``__wrapped__``.

    Raises:
        TypeError: bad ``maxsize``/``typed``; at call time, :class:`UnhashableArgumentError`
            (a TypeError) naming an unhashable argument.
        ValueError: negative ``maxsize``.

    Examples:
        >>> from tu.cache import compile_compatible_lru_cache
        >>> @compile_compatible_lru_cache(maxsize=8)
        ... def square(n: int) -> int:
        ...     return n * n
        >>> square(3), square(3), square.cache_info().hits
        (9, 9, 1)
    """
    if callable(maxsize):
        check_cache_options(_NAME, 128, typed)
        return _decorate(maxsize, 128, typed)
    size = check_cache_options(_NAME, maxsize, typed)

    def decorator(func: Callable[P, R]) -> CachedFunction[P, R]:
        return _decorate(func, size, typed)

    return decorator
