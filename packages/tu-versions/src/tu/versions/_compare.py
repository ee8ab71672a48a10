"""Version comparisons with transformers' semantics, and the ``is_torch_*`` flags."""

from __future__ import annotations

import functools
import re
from typing import Any

from tu.versions._installed import installed_torch_version

__all__ = ["FLAG_PATTERN", "flag_value", "is_torch_greater_or_equal", "reset"]

#: ``is_torch_greater_or_equal_than_2_4`` and ``is_torch_less_than_1_11`` style names.
FLAG_PATTERN = re.compile(r"is_torch_(greater_or_equal_than|less_than)_(\d+)_(\d+)")


@functools.cache
def _parse(text: str) -> Any:
    from packaging.version import Version

    return Version(text)


def is_torch_greater_or_equal(version: str, accept_dev: bool = False) -> bool:
    """Whether the installed torch is at least ``version``; False when torch is absent.

    Args:
        version: a PEP 440 version such as ``"2.4"`` or ``"2.6.0"``.
        accept_dev: count a dev, rc, post or local build of X as X itself, so
            ``2.6.0.dev20241112+cu121`` satisfies ``"2.6"`` only with ``accept_dev=True``.

    Raises:
        TypeError: ``version`` is not a string.
        ValueError: ``version`` is not a valid PEP 440 version.

    Examples:
        >>> is_torch_greater_or_equal("1.0")
        True
    """
    if not isinstance(version, str):
        raise TypeError(f"version must be a str such as '2.4', got {type(version).__name__}")
    from packaging.version import InvalidVersion

    try:
        wanted = _parse(version)
    except InvalidVersion:
        raise ValueError(
            f"version must be a PEP 440 version such as '2.4', got {version!r}"
        ) from None
    installed = installed_torch_version()
    if installed is None:
        return False
    have = _parse(installed)
    if accept_dev:
        have = _parse(have.base_version)
    return bool(have >= wanted)


def flag_value(name: str) -> bool | None:
    """The value of a flag such as ``is_torch_greater_or_equal_than_2_4``; None for other names.

    Flags are computed with ``accept_dev=True``, as transformers computes its own.
    """
    match = FLAG_PATTERN.fullmatch(name)
    if match is None:
        return None
    kind, major, minor = match.groups()
    at_least = is_torch_greater_or_equal(f"{int(major)}.{int(minor)}", accept_dev=True)
    return at_least if kind == "greater_or_equal_than" else not at_least


def reset() -> None:
    """Drop the parsed-version cache."""
    _parse.cache_clear()
