"""tu.cache: a compile-safe, per-instance method LRU cache that does not leak.

``compile_compatible_method_lru_cache`` is transformers' decorator of the same name with its
faults fixed (one cache per instance and per decorated attribute, instances
garbage-collectable, ``cache_info`` and ``cache_clear`` exposed, a hit close to a plain
functools hit); ``compile_compatible_lru_cache`` is the same for
plain functions. Both step aside while torch.compile traces. Importing this package never
imports torch.

Examples:
    >>> from tu.cache import compile_compatible_method_lru_cache
    >>> class Anchors:
    ...     @compile_compatible_method_lru_cache(maxsize=32)
    ...     def grid(self, height: int, width: int) -> tuple[int, int]:
    ...         return (height * width, height + width)
    >>> a = Anchors()
    >>> a.grid(4, 5), a.grid.cache_info().misses
    ((20, 9), 1)
"""

from tu.cache.__about__ import __version__
from tu.cache._args import UnhashableArgumentError
from tu.cache._fastpath import is_compiling
from tu.cache._function import CachedFunction, compile_compatible_lru_cache
from tu.cache._method import BoundCache, CachedMethod, compile_compatible_method_lru_cache

__all__ = [
    "BoundCache",
    "CachedFunction",
    "CachedMethod",
    "UnhashableArgumentError",
    "__version__",
    "compile_compatible_lru_cache",
    "compile_compatible_method_lru_cache",
    "is_compiling",
]
