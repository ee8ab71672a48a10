"""``compile_compatible_method_lru_cache``: one LRU cache per instance, bypassed while tracing.

How it is built, and why:

* The decorator returns a property (a C-level descriptor) whose generated getter looks up the
  instance's cache and returns it: a functools ``_lru_cache_wrapper`` around
  ``functools.partial(func, obj)``. A hit is then one Python frame (the getter) plus
  functools' C code, which is what brings a hit near half of transformers' cost.
* The cache lives in a small slot object in the instance's ``__dict__`` (key
  ``_tu_cache_<function>``) and refers back to the instance. That reference cycle is
  deliberate: the object returned by ``obj.method`` must keep ``obj`` alive (for
  ``Foo().method(x)`` and for ``f = obj.method; del obj; f(x)``), and no cache key holds the
  instance, so nothing outside the instance keeps it alive. ``del obj`` plus a garbage
  collection frees instance and cache together.
* The slot records its owner, so a shallow copy (``copy.copy``, ``nn.DataParallel``
  replicas), which shares the original's ``__dict__`` values, gets a cache of its own on first
  use instead of the original's. Slots pickle and deep-copy to an empty slot, so pickling an
  instance (``torch.save`` of a module) and ``copy.deepcopy`` work and start cold.
* While dynamo traces, the getter returns the undecorated function bound to the instance,
  read from a class attribute ``_tu_uncached_<function>`` added by ``__set_name__``; dynamo
  inlines that like any method, on every torch release from 2.1.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import re
import threading
import types
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

from tu.cache._args import check_cache_options, raise_if_unhashable
from tu.cache._fastpath import make_fget, resolve

__all__ = ["BoundCache", "CachedMethod", "compile_compatible_method_lru_cache"]

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
_Descriptor = TypeVar("_Descriptor", bound="CachedMethod[Any, Any]")

_NAME = "compile_compatible_method_lru_cache"
_FUNCTION_ATTRIBUTES = ("__code__", "__defaults__", "__kwdefaults__", "__closure__", "__globals__")


class BoundCache(Protocol[P, R_co]):
    """What ``obj.method`` is for a cached method: the bound call plus lru_cache's API."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    def cache_info(self) -> functools._CacheInfo: ...

    def cache_clear(self) -> None: ...

    def cache_parameters(self) -> dict[str, Any]: ...


class _Slot:
    """One instance's entry: its cache (``override`` False) or a value assigned to the name."""

    __slots__ = ("__weakref__", "override", "owner", "value")

    def __init__(self, owner: object = None, value: Any = None, override: bool = False) -> None:
        self.owner = owner
        self.value = value
        self.override = override

    def __reduce__(self) -> tuple[Any, ...]:
        # A cache never travels: the copy starts cold. An assigned value does.
        if self.override:
            return (_Slot, (None, self.value, True))
        return (_Slot, ())

    def __copy__(self) -> _Slot:
        return _Slot(None, self.value, True) if self.override else _Slot()

    def __deepcopy__(self, memo: dict[int, Any]) -> _Slot:
        if self.override:
            return _Slot(None, copy.deepcopy(self.value, memo), True)
        return _Slot()


def _identifier(func: Callable[..., Any]) -> str:
    module = getattr(func, "__module__", None) or "module"
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", "function")
    return re.sub(r"\W", "_", f"{module}__{qualname}")


class CachedMethod(property, Generic[P, R]):
    """A method with one LRU cache per instance; see :func:`compile_compatible_method_lru_cache`.

    On the class (``Cls.method``) it offers ``cache_info()`` and ``cache_clear()`` over all
    live instances, ``cache_parameters()``, ``__wrapped__``, and calling it with the
    instance first (``Cls.method(obj, x)``), as with a plain function.
    """

    __wrapped__: Callable[Concatenate[Any, P], R]

    def __init__(
        self, func: Callable[Concatenate[Any, P], R], maxsize: int | None, typed: bool
    ) -> None:
        if isinstance(func, (staticmethod, classmethod, property)):
            raise TypeError(
                f"{_NAME} decorates plain functions defined in a class body, got a "
                f"{type(func).__name__}; for static and class methods put "
                "compile_compatible_lru_cache under @staticmethod/@classmethod instead"
            )
        if not callable(func):
            raise TypeError(f"{_NAME} decorates a function, got {type(func).__name__}")
        self._func = func
        self._maxsize = maxsize
        self._typed = typed
        self._name: str = getattr(func, "__name__", "method")
        self._where: str = getattr(func, "__qualname__", self._name)
        self._owner: type | None = None
        ident = _identifier(func)
        self._key = f"_tu_cache_{ident}"
        self._alias = f"_tu_uncached_{ident}"
        self._lock = threading.Lock()
        self._slots: weakref.WeakSet[_Slot] = weakref.WeakSet()
        fget = make_fget(self._key, self._alias, self._bind)
        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            if hasattr(func, attribute):
                setattr(fget, attribute, getattr(func, attribute))
        super().__init__(fget, self._assign, self._unassign, getattr(func, "__doc__", None))
        for attribute in ("__module__", "__name__", "__qualname__"):
            with contextlib.suppress(AttributeError, TypeError):  # read-only on some Pythons
                setattr(self, attribute, getattr(func, attribute))
        # The subclass's own docstring would shadow property's __doc__ slot: keep the
        # function's in the instance dict, which wins over a plain class attribute.
        vars(self)["__doc__"] = getattr(func, "__doc__", None)
        self.__wrapped__ = func
        resolve()

    if TYPE_CHECKING:

        @overload
        def __get__(
            self: _Descriptor, obj: None, objtype: type | None = None, /
        ) -> _Descriptor: ...
        @overload
        def __get__(self, obj: object, objtype: type | None = None, /) -> BoundCache[P, R]: ...
        def __get__(self, obj: object, objtype: type | None = None, /) -> Any: ...

    def __set_name__(self, owner: type, name: str) -> None:
        self._owner = owner
        self._name = name
        if self._alias not in owner.__dict__:
            setattr(owner, self._alias, self._func)

    def _attach(self, cls: type) -> None:
        """Give the class its uncached alias when the decorator was not used in a class body."""
        self._owner = cls
        if not hasattr(cls, self._alias):
            setattr(cls, self._alias, self._func)

    def _instance_dict(self, obj: object) -> dict[str, Any]:
        try:
            namespace = obj.__dict__
        except AttributeError:
            namespace = None
        if not isinstance(namespace, dict):
            cls = type(obj).__qualname__
            raise TypeError(
                f"{self._where}: a cached method keeps each instance's cache in the instance "
                f"__dict__, and {cls} instances have none (the class defines __slots__); add "
                f"'__dict__' to {cls}.__slots__"
            )
        return namespace

    def _bind(self, obj: object) -> Any:
        """Create (once, under the lock) the cache of ``obj`` and return it."""
        namespace = self._instance_dict(obj)
        with self._lock:
            slot = namespace.get(self._key)
            if slot is not None and (slot.owner is obj or slot.override):
                return slot.value
            if self._owner is None:
                self._attach(type(obj))
            cache: Any = functools.lru_cache(maxsize=self._maxsize, typed=self._typed)(
                functools.partial(self._func, obj)
            )
            for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
                if hasattr(self._func, attribute):
                    setattr(cache, attribute, getattr(self._func, attribute))
            cache.__wrapped__ = types.MethodType(self._func, obj)
            # Older dynamo (seen on torch 2.1) files the traced method under the source
            # ``obj.<name>`` and guards on ``obj.<name>.__defaults__`` / ``__closure__``;
            # in eager code that attribute is this cache, so it mirrors the function's.
            for attribute in _FUNCTION_ATTRIBUTES:
                if hasattr(self._func, attribute):
                    setattr(cache, attribute, getattr(self._func, attribute))
            slot = _Slot(obj, cache)
            namespace[self._key] = slot
            self._slots.add(slot)
        resolve()
        return cache

    def _assign(self, obj: object, value: Any) -> None:
        # ``obj.method = x`` (mock.patch.object too): x shadows the method on this instance.
        self._instance_dict(obj)[self._key] = _Slot(None, value, True)

    def _unassign(self, obj: object) -> None:
        namespace = self._instance_dict(obj)
        slot = namespace.get(self._key)
        if slot is None or not slot.override:
            raise AttributeError(self._name)
        del namespace[self._key]

    def _live_caches(self) -> list[Any]:
        with self._lock:
            slots = list(self._slots)
        return [slot.value for slot in slots if not slot.override]

    def cache_info(self) -> functools._CacheInfo:
        """Hits, misses and entries summed over every live instance; maxsize is per instance."""
        hits = misses = currsize = 0
        for cache in self._live_caches():
            info = cache.cache_info()
            hits += info.hits
            misses += info.misses
            currsize += info.currsize
        return functools._CacheInfo(hits, misses, self._maxsize, currsize)

    def cache_clear(self) -> None:
        """Empty the cache of every live instance (their statistics restart too)."""
        for cache in self._live_caches():
            cache.cache_clear()

    def cache_parameters(self) -> dict[str, Any]:
        """``{"maxsize": ..., "typed": ...}``, as functools reports them."""
        return {"maxsize": self._maxsize, "typed": self._typed}

    def __call__(self, obj: object, /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``Cls.method(obj, ...)``: the same as ``obj.method(...)``."""
        bound = self.__get__(obj, type(obj))
        try:
            return bound(*args, **kwargs)
        except TypeError as exc:
            try:
                raise_if_unhashable(self._where, self._func, args, kwargs, skipped=1)
            except TypeError as better:
                raise better from exc
            raise

    def __repr__(self) -> str:
        return f"<{_NAME} {self._where} maxsize={self._maxsize} typed={self._typed} per instance>"


@overload
def compile_compatible_method_lru_cache(
    maxsize: Callable[Concatenate[Any, P], R], typed: bool = False
) -> CachedMethod[P, R]: ...
@overload
def compile_compatible_method_lru_cache(
    maxsize: int | None = 128, typed: bool = False
) -> Callable[[Callable[Concatenate[Any, P], R]], CachedMethod[P, R]]: ...
def compile_compatible_method_lru_cache(
    maxsize: int | Callable[Concatenate[Any, P], R] | None = 128, typed: bool = False
) -> CachedMethod[P, R] | Callable[[Callable[Concatenate[Any, P], R]], CachedMethod[P, R]]:
    """LRU-cache a method per instance; call straight through while torch compiles.

    transformers' contract (functools.lru_cache on a method, bypassed while dynamo traces)
    with its faults fixed: each instance has its own cache of ``maxsize`` entries, keyed on
    the arguments only, so instances neither evict each other nor stay alive because of the
    cache; ``obj.method.cache_info()`` / ``cache_clear()`` work per instance and
    ``Cls.method.cache_info()`` / ``cache_clear()`` over all live instances.

    Use it as ``@compile_compatible_method_lru_cache`` or with arguments. Instances need a
    ``__dict__``: a class with ``__slots__`` must list ``"__dict__"`` among them.

    Args:
        maxsize: entries kept per instance (least recently used evicted first); None for
            no limit. When a function is passed here, it is decorated with the defaults.
        typed: cache arguments of different types separately (``1`` and ``1.0``).

    Returns:
        A :class:`CachedMethod` descriptor.

    Raises:
        TypeError: bad ``maxsize``/``typed``, or decorating a staticmethod, classmethod,
            property or non-callable; at first use, an instance without ``__dict__``.
            Calling with an unhashable argument raises functools' TypeError
            (``unhashable type: 'list'``).
        ValueError: negative ``maxsize``.

    Examples:
        >>> class Grid:
        ...     @compile_compatible_method_lru_cache(maxsize=4)
        ...     def cells(self, n: int) -> list[int]:
        ...         return list(range(n))
        >>> g = Grid()
        >>> g.cells(3), g.cells(3), g.cells.cache_info().hits
        ([0, 1, 2], [0, 1, 2], 1)
    """
    if callable(maxsize):
        check_cache_options(_NAME, 128, typed)
        return CachedMethod(maxsize, 128, typed)
    size = check_cache_options(_NAME, maxsize, typed)

    def decorator(func: Callable[Concatenate[Any, P], R]) -> CachedMethod[P, R]:
        return CachedMethod(func, size, typed)

    return decorator
