"""tu.cache: a compile-safe, per-instance method LRU cache that does not leak."""

from tu.cache.__about__ import __version__

__all__ = ["__version__"]
