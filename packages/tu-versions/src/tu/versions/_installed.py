"""Read the installed torch release from package metadata, never by importing torch.

Importing torch costs over a second; its version is in the distribution's metadata.
Everything here is cached: the answer cannot change inside one interpreter (call
:func:`clear_caches` in tests that fake an installation).
"""

from __future__ import annotations

import functools

__all__ = ["clear_caches", "installed_torch_version", "is_torch_available"]

# Distribution names under which torch is published (nightly and CPU channels included).
_TORCH_DISTRIBUTIONS = ("torch", "torch-nightly", "torch-cpu", "torch-rocm")


@functools.cache
def installed_torch_version() -> str | None:
    """The installed torch version string (``"2.6.0.dev20241112+cu121"``), or None without torch.

    Read from the distribution's metadata (``torch``, ``torch-nightly``, ``torch-cpu`` or
    ``torch-rocm``); torch is imported only when it is importable but has no metadata.
    Cached: call :func:`clear_caches` after faking an installation.

    Returns:
        The version string, or None when torch cannot be imported.

    Examples:
        >>> from tu.versions import installed_torch_version
        >>> version = installed_torch_version()
        >>> version is None or isinstance(version, str)
        True
    """
    import importlib.metadata
    import importlib.util

    try:
        if importlib.util.find_spec("torch") is None:
            return None
    except (ImportError, ValueError):
        return None
    for name in _TORCH_DISTRIBUTIONS:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    # An importable torch without metadata (a source checkout on sys.path): ask the module.
    try:
        import torch
    except Exception:
        return None
    found = getattr(torch, "__version__", None)
    return str(found) if found is not None else None


def is_torch_available() -> bool:
    """True when torch can be imported (decided from the installation, torch is not imported).

    Returns:
        Whether :func:`installed_torch_version` found a torch.

    Examples:
        >>> from tu.versions import is_torch_available
        >>> isinstance(is_torch_available(), bool)
        True
    """
    return installed_torch_version() is not None


def clear_caches() -> None:
    """Forget every cached answer of tu.versions (for tests that fake an installation).

    Clears the installed version, the parsed versions and the availability checks; the
    next call of each reads the installation again.

    Examples:
        >>> from tu.versions import clear_caches, is_torch_available
        >>> clear_caches()
        >>> isinstance(is_torch_available(), bool)
        True
    """
    from tu.versions import _availability, _compare

    installed_torch_version.cache_clear()
    _compare.reset()
    _availability.clear_caches()
