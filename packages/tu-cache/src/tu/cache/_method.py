"""``compile_compatible_method_lru_cache``: one LRU cache per instance, bypassed while tracing.

How it is built, and why:

* Each decorated attribute is one :class:`CachedMethod` object (a non-data descriptor), and
  that object, not the function's name, identifies the cache: two lambdas, two
  ``functools.partial`` objects or one function decorated twice in a class get a cache each.
* On first access, ``obj.method`` builds the instance's cache (a ``functools.lru_cache``
  around the function bound to ``obj``), wraps it in an :class:`_Entry` (a
  ``functools.partial`` subclass, so calling it stays in C) and stores that in
  ``obj.__dict__`` under the attribute's name(s) and under a private key. Later lookups find
  the entry in the instance ``__dict__`` before reaching the descriptor: a hit runs no Python
  frame at all, which is what keeps it near a plain functools hit.
* The entry refers back to the instance: a reference cycle, on purpose. It is what lets
  ``Foo().method(x)`` and ``f = obj.method; del obj; f(x)`` work; nothing global and no cache
  key holds the instance, so ``del obj`` plus a garbage collection frees both.
* Entries deep-copy and pickle to a fresh, empty cache of the copy. A shallow copy
  (``copy.copy``, ``__dict__.copy()``) shares the original's entries like any other
  attribute value, so it uses the original's cache (documented limit).
* Compile bypass: while dynamo traces, the descriptor returns the plain bound method and
  dynamo traces an entry's ``lru_cache`` wrapper through its ``__wrapped__`` function, which
  runs the function uncached. A miss during torch.export or a compile session discards the
  instance's cache so no traced value survives into eager code.
* torch < 2.5: its dynamo cannot trace functools' cache wrapper (nor a descriptor that is not
  a function or property), so there each entry is a :class:`_TracedEntry`, whose Python
  ``__call__`` asks the compile check first: dynamo folds it to True and inlines the method
  itself, eager calls go to the cache (one Python frame per hit).
"""

from __future__ import annotations

import functools
import itertools
import threading
import types
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

from tu.cache import _fastpath
from tu.cache._args import check_cache_options, raise_if_unhashable
from tu.cache._fastpath import allow_dynamo_trace, is_compiling, make_miss, resolve

__all__ = ["BoundCache", "CachedMethod", "compile_compatible_method_lru_cache"]

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
_Descriptor = TypeVar("_Descriptor", bound="CachedMethod[Any, Any]")

_NAME = "compile_compatible_method_lru_cache"
_FUNCTION_ATTRIBUTES = ("__code__", "__defaults__", "__kwdefaults__", "__closure__", "__globals__")
_ids = itertools.count()


class BoundCache(Protocol[P, R_co]):
    """What ``obj.method`` is for a cached method: the bound call plus lru_cache's API.

    A typing protocol only (mypy keeps the method's signature); never instantiated.

    Examples:
        >>> from tu.cache import compile_compatible_method_lru_cache
        >>> class Box:
        ...     @compile_compatible_method_lru_cache
        ...     def area(self, w: int, h: int) -> int:
        ...         return w * h
        >>> b = Box()
        >>> b.area(2, 3), b.area.cache_info().misses, b.area.cache_parameters()["maxsize"]
        (6, 1, 128)
    """

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


class _Entry(functools.partial):  # type: ignore[type-arg]
    """One instance's cache of one decorated attribute: ``partial(lru_cache_wrapper)``.

    Calling it runs functools' C code only. It records its instance and descriptor so that
    the descriptor can tell its own, current entries from stale or copied ones.
    """

    __slots__ = ("_tu_descriptor", "_tu_owner")
    # Any, not CachedMethod: an annotation of a descriptor type would read as an access.
    _tu_descriptor: Any
    _tu_owner: object
    func: Any

    def cache_info(self) -> functools._CacheInfo:
        """This instance's hits, misses, maxsize and current size."""
        info: functools._CacheInfo = self.func.cache_info()
        return info

    def cache_clear(self) -> None:
        """Empty this instance's cache and restart its statistics."""
        self.func.cache_clear()

    def cache_parameters(self) -> dict[str, Any]:
        """``{"maxsize": ..., "typed": ...}``, as functools reports them."""
        parameters: dict[str, Any] = self._tu_descriptor.cache_parameters()
        return parameters

    def __reduce__(self) -> tuple[Any, ...]:
        # A cache never travels: the unpickled instance gets a fresh, empty one.
        descriptor = self._tu_descriptor
        return (_restore, (self._tu_owner, descriptor._home, descriptor._home_name))

    def __copy__(self) -> _Entry:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Entry:
        # Deep-copying the instance puts its copy in memo before copying its __dict__.
        new_owner = memo.get(id(self._tu_owner))
        if new_owner is None:
            return self
        fresh: _Entry = self._tu_descriptor._new_entry(new_owner)
        return fresh

    def __repr__(self) -> str:
        return f"<cached method {self._tu_descriptor._where} of {self._tu_owner!r}>"


class _TracedEntry(_Entry):
    """An entry for torch < 2.5, whose dynamo cannot trace an ``lru_cache`` wrapper.

    Dynamo (2.1 to 2.4) inlines a Python ``__call__`` of an object found in the instance
    ``__dict__``: there the compile check folds to True and the method itself is traced,
    uncached. Eager calls pay one Python frame, then functools' C code. The function and
    instance are read from the entry's ``__dict__`` (dynamo 2.1 cannot trace slot reads).
    """

    __slots__ = ()
    _tu_func: Any
    _tu_self: object

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        if _fastpath._dynamo_check():
            return self._tu_func(self._tu_self, *args, **kwargs)
        return self.func(*args, **kwargs)


def _restore(owner: object, home: type | None, name: str | None) -> Any:
    """Unpickle an entry: a fresh cache for the unpickled instance."""
    descriptor = None if home is None or name is None else vars(home).get(name)
    if not isinstance(descriptor, CachedMethod):
        raise TypeError(
            f"cannot unpickle the cache of {name!r}: {home!r} no longer has it as a cached method"
        )
    return descriptor._new_entry(owner)


def _class_lookup(cls: type, name: str) -> object:
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


class CachedMethod(Generic[P, R]):
    """A method with one LRU cache per instance; see :func:`compile_compatible_method_lru_cache`.

    Each ``CachedMethod`` object owns its caches: the attribute it is assigned to, not the
    function's name, decides which cache a call uses. On the class (``Cls.method``) it
    offers ``cache_info()`` and ``cache_clear()`` over all live instances,
    ``cache_parameters()``, ``__wrapped__``, and ``Cls.method(obj, x)``.

    Args:
        func: the function to cache; its first parameter receives the instance.
        maxsize: entries kept per instance; None for no limit (already validated).
        typed: cache arguments of different types separately.

    Raises:
        TypeError: ``func`` is a staticmethod, classmethod, property or not callable.

    Examples:
        >>> from tu.cache import CachedMethod, compile_compatible_method_lru_cache
        >>> class Box:
        ...     @compile_compatible_method_lru_cache(maxsize=2)
        ...     def area(self, w: int, h: int) -> int:
        ...         return w * h
        >>> isinstance(Box.area, CachedMethod), Box.area.cache_parameters()
        (True, {'maxsize': 2, 'typed': False})
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
        name = getattr(func, "__name__", None)
        self._where: str = str(getattr(func, "__qualname__", None) or name or repr(func))
        self._names: list[str] = []
        self._home: type | None = None
        self._home_name: str | None = None
        # The private __dict__ key of this descriptor's entries: unique per decoration.
        self._key = f"_tu_cache_{next(_ids)}"
        self._lock = threading.Lock()
        self._entries: weakref.WeakSet[_Entry] = weakref.WeakSet()
        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            if hasattr(func, attribute):
                vars(self)[attribute] = getattr(func, attribute)
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

    else:

        def __get__(self, obj: object, objtype: type | None = None, /) -> Any:
            # Reached on first access, through super(), and while tracing.
            if obj is None:
                return self
            if is_compiling():
                return functools.partial(self._func, obj)
            return self._bind(obj)

    def __set_name__(self, owner: type, name: str) -> None:
        # Called once per class attribute holding this object (``b = a`` calls it twice).
        if self._home is None:
            self._home, self._home_name = owner, name
            vars(self)["__name__"] = name
            self._where = f"{owner.__qualname__}.{name}"  # lambdas and partials too
        if name not in self._names:
            self._names.append(name)

    def _discover(self, cls: type) -> None:
        """Find this object's names when it was added to the class after creation."""
        for klass in cls.__mro__:
            for name, value in list(vars(klass).items()):
                if value is self:
                    self.__set_name__(klass, name)

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

    def _new_entry(self, obj: object) -> _Entry:
        """A fresh, empty cache of ``obj``, counted by ``Cls.method.cache_info()``."""
        entry = self._build(obj)
        with self._lock:
            self._entries.add(entry)
        return entry

    def _build(self, obj: object) -> _Entry:
        """A fresh, empty cache of ``obj`` (not stored or counted anywhere yet)."""

        def on_session() -> None:
            self._discard(obj)

        miss = make_miss(self._func, obj, on_session)
        functools.update_wrapper(miss, self._func)
        cache = functools.lru_cache(maxsize=self._maxsize, typed=self._typed)(miss)
        allow_dynamo_trace(cache)
        entry = _TracedEntry(cache) if _fastpath.needs_traced_entry() else _Entry(cache)
        entry._tu_descriptor = self
        entry._tu_owner = obj
        if type(entry) is _TracedEntry:
            vars(entry)["_tu_func"] = self._func
            vars(entry)["_tu_self"] = obj
        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            if hasattr(self._func, attribute):
                setattr(entry, attribute, getattr(self._func, attribute))
        entry.__wrapped__ = types.MethodType(self._func, obj)  # type: ignore[attr-defined]
        # Older dynamo (seen on torch 2.1) files the traced method under the source
        # ``obj.<name>`` and guards on ``obj.<name>.__defaults__`` / ``__closure__``; in
        # eager code that attribute is this entry, so it mirrors the function's.
        for attribute in _FUNCTION_ATTRIBUTES:
            if hasattr(self._func, attribute):
                setattr(entry, attribute, getattr(self._func, attribute))
        return entry

    def _owns(self, entry: object, obj: object) -> bool:
        return isinstance(entry, _Entry) and entry._tu_descriptor is self and entry._tu_owner is obj

    def _bind(self, obj: object) -> Any:
        """Return the cache of ``obj``, creating and storing it (once, under the lock)."""
        namespace = self._instance_dict(obj)
        entry: Any = namespace.get(self._key)
        if not self._owns(entry, obj):
            with self._lock:
                entry = namespace.get(self._key)
                if not self._owns(entry, obj):
                    entry = self._build(obj)
                    self._entries.add(entry)
                    namespace[self._key] = entry
        self._publish(obj, namespace, entry)
        return entry

    def _publish(self, obj: object, namespace: dict[str, Any], entry: _Entry) -> None:
        """Store ``entry`` under each name that resolves to this descriptor on ``obj``'s class.

        Then ``obj.<name>`` finds it in the instance ``__dict__`` and never calls
        ``__get__``. A name the instance has assigned (``obj.method = f``), or that a
        subclass overrides, is left alone.
        """
        if not self._names:
            self._discover(type(obj))
        cls = type(obj)
        for name in self._names:
            if _class_lookup(cls, name) is not self:
                continue
            current = namespace.get(name)
            if current is None and name not in namespace:
                namespace[name] = entry
            elif isinstance(current, _Entry) and current._tu_descriptor is self:
                namespace[name] = entry  # a stale entry (copied from another instance)

    def _discard(self, obj: object) -> None:
        """Drop ``obj``'s cache (a miss during export / a compile session may poison it)."""
        try:
            namespace = self._instance_dict(obj)
        except TypeError:
            return
        with self._lock:
            for key in [self._key, *self._names]:
                value = namespace.get(key)
                if isinstance(value, _Entry) and value._tu_descriptor is self:
                    del namespace[key]

    def _live_entries(self) -> list[_Entry]:
        with self._lock:
            return list(self._entries)

    def cache_info(self) -> functools._CacheInfo:
        """Hits, misses and entries summed over every live instance; maxsize is per instance.

        Returns:
            A ``functools`` ``CacheInfo(hits, misses, maxsize, currsize)``.
        """
        hits = misses = currsize = 0
        for entry in self._live_entries():
            info = entry.cache_info()
            hits += info.hits
            misses += info.misses
            currsize += info.currsize
        return functools._CacheInfo(hits, misses, self._maxsize, currsize)

    def cache_clear(self) -> None:
        """Empty the cache of every live instance (their statistics restart too)."""
        for entry in self._live_entries():
            entry.cache_clear()

    def cache_parameters(self) -> dict[str, Any]:
        """This decoration's options.

        Returns:
            ``{"maxsize": ..., "typed": ...}``, as functools reports them.
        """
        return {"maxsize": self._maxsize, "typed": self._typed}

    def __call__(self, obj: object, /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``Cls.method(obj, ...)``: the same as ``obj.method(...)``.

        Raises:
            TypeError: ``obj`` is None or has no ``__dict__``; an unhashable argument
                raises :class:`UnhashableArgumentError` naming it.
        """
        if obj is None:
            raise TypeError(
                f"{self._where}() called on the class needs the instance as its first "
                "argument (self), got None"
            )
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
    cache, and each decorated attribute owns its caches (two lambdas, two partials or one
    function decorated twice never share one). ``obj.method.cache_info()`` /
    ``cache_clear()`` work per instance and ``Cls.method.cache_info()`` / ``cache_clear()``
    over all live instances.

    Use it as ``@compile_compatible_method_lru_cache`` or with arguments. Instances need a
    ``__dict__`` (a class with ``__slots__`` must list ``"__dict__"``): the first access
    stores the instance's cache there, and later hits run in functools' C code only. A
    shallow copy (``copy.copy``) shares the original's cache; ``copy.deepcopy`` and pickling
    give the copy an empty one.

    Args:
        maxsize: entries kept per instance (least recently used evicted first); None for
            no limit. When a function is passed here, it is decorated with the defaults.
        typed: cache arguments of different types separately (``1`` and ``1.0``).

    Returns:
        A :class:`CachedMethod` descriptor (or, called with options, the decorator that
        makes one).

    Raises:
        TypeError: ``maxsize`` not None or an int (bools refused), ``typed`` not a bool,
            or decorating a staticmethod, classmethod, property or non-callable. Later:
            an instance without ``__dict__`` at first access; ``Cls.method(None, ...)``;
            an unhashable argument (functools' ``unhashable type: 'list'`` through
            ``obj.method``, :class:`UnhashableArgumentError` naming the parameter through
            ``Cls.method(obj, ...)``).
        ValueError: negative ``maxsize``.

    Examples:
        >>> from tu.cache import compile_compatible_method_lru_cache
        >>> class Grid:
        ...     @compile_compatible_method_lru_cache(maxsize=4)
        ...     def cells(self, n: int) -> list[int]:
        ...         return list(range(n))
        ...     twice = compile_compatible_method_lru_cache(maxsize=4)(lambda self, n: 2 * n)
        >>> g = Grid()
        >>> g.cells(3), g.cells(3), g.cells.cache_info().hits
        ([0, 1, 2], [0, 1, 2], 1)
        >>> g.twice(5), Grid().cells.cache_info().currsize
        (10, 0)
    """
    if callable(maxsize):
        check_cache_options(_NAME, 128, typed)
        return CachedMethod(maxsize, 128, typed)
    size = check_cache_options(_NAME, maxsize, typed)

    def decorator(func: Callable[Concatenate[Any, P], R]) -> CachedMethod[P, R]:
        return CachedMethod(func, size, typed)

    return decorator
