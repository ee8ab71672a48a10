"""tu.versions: torch version flags, backend availability checks and compat shims, without importing torch."""

from tu.versions.__about__ import __version__

__all__ = ["__version__"]
