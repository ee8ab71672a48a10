"""Version comparisons with transformers' semantics, and the ``is_torch_*`` flags.

Every version argument is checked before packaging parses it: a string of at most
:data:`MAX_VERSION_LENGTH` characters whose numbers have at most :data:`MAX_VERSION_DIGITS`
digits. So no input reaches Python's int-digit limit or makes parsing slow, and every
rejection names the argument.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from tu.versions._installed import installed_torch_version

__all__ = [
    "FLAG_PATTERN",
    "MAX_FLAG_DIGITS",
    "MAX_VERSION_DIGITS",
    "MAX_VERSION_LENGTH",
    "check_bool",
    "check_version",
    "flag_value",
    "is_torch_greater_or_equal",
    "reset",
]

#: Longest version argument accepted, in characters (torch's longest are about 30).
MAX_VERSION_LENGTH = 128

#: Most digits one number of a version argument may have (a date, ``20241112``, has 8).
MAX_VERSION_DIGITS = 20

#: Most digits of the major or minor number of a flag name (``is_torch_less_than_2_4``).
MAX_FLAG_DIGITS = 6

#: ``is_torch_greater_or_equal_than_2_4`` and ``is_torch_less_than_1_11`` style names.
FLAG_PATTERN = re.compile(
    rf"is_torch_(greater_or_equal_than|less_than)_([0-9]{{1,{MAX_FLAG_DIGITS}}})"
    rf"_([0-9]{{1,{MAX_FLAG_DIGITS}}})"
)

_LONG_NUMBER = re.compile(rf"[0-9]{{{MAX_VERSION_DIGITS + 1}}}")


@functools.lru_cache(maxsize=256)  # bounded: callers may pass many distinct strings
def _parse(text: str) -> Any:
    from packaging.version import Version

    return Version(text)


def check_bool(value: object, argument: str) -> bool:
    """``value`` itself when it is a bool; otherwise a TypeError naming ``argument``."""
    if not isinstance(value, bool):
        raise TypeError(f"{argument} must be a bool (True or False), got {type(value).__name__}")
    return value


def check_version(value: object, argument: str) -> Any:
    """Parse a version argument, or raise TypeError / ValueError naming ``argument``.

    Returns a ``packaging.version.Version``. The length and digit limits run before
    packaging sees the text, so the work is bounded for any input.
    """
    if not isinstance(value, str):
        raise TypeError(f"{argument} must be a str such as '2.4', got {type(value).__name__}")
    if len(value) > MAX_VERSION_LENGTH:
        raise ValueError(
            f"{argument} must be a version of at most {MAX_VERSION_LENGTH} characters, "
            f"got {len(value)} characters"
        )
    if _LONG_NUMBER.search(value):
        raise ValueError(
            f"{argument} must be a version whose numbers have at most {MAX_VERSION_DIGITS} "
            f"digits, got {value[:40]!r}..."
        )
    try:
        return _parse(value)
    except ValueError:  # packaging's InvalidVersion; importing it here would cost every call
        raise ValueError(
            f"{argument} must be a PEP 440 version such as '2.4', got {value!r}"
        ) from None


def is_torch_greater_or_equal(version: str, accept_dev: bool = False) -> bool:
    """Whether the installed torch is at least ``version``; False when torch is absent.

    The installed version is read from package metadata, so torch is not imported.

    Args:
        version: a PEP 440 version such as ``"2.4"`` or ``"2.6.0"``, at most 128 characters,
            no number longer than 20 digits.
        accept_dev: count a dev, rc, post or local build of X as X itself, so
            ``2.6.0.dev20241112+cu121`` satisfies ``"2.6"`` only with ``accept_dev=True``.

    Returns:
        True when torch is installed and its version is at least ``version``.

    Raises:
        TypeError: ``version`` is not a string, or ``accept_dev`` is not a bool.
        ValueError: ``version`` is too long, has a number of more than 20 digits, or is not a
            PEP 440 version.

    Examples:
        >>> from tu.versions import is_torch_greater_or_equal
        >>> is_torch_greater_or_equal("1.0")
        True
        >>> is_torch_greater_or_equal("99.0", accept_dev=True)
        False
    """
    wanted = check_version(version, "version")
    check_bool(accept_dev, "accept_dev")
    installed = installed_torch_version()
    if installed is None:
        return False
    have = _parse(installed)
    if accept_dev:
        have = _parse(have.base_version)
    return bool(have >= wanted)


def flag_value(name: object) -> bool | None:
    """The value of a flag such as ``is_torch_greater_or_equal_than_2_4``; None for other names.

    Flags are computed with ``accept_dev=True``, as transformers computes its own. Names
    whose major or minor number has more than :data:`MAX_FLAG_DIGITS` digits are not flags.
    """
    if not isinstance(name, str):
        return None
    match = FLAG_PATTERN.fullmatch(name)
    if match is None:
        return None
    kind, major, minor = match.groups()
    at_least = is_torch_greater_or_equal(f"{int(major)}.{int(minor)}", accept_dev=True)
    return at_least if kind == "greater_or_equal_than" else not at_least


def reset() -> None:
    """Drop the parsed-version cache."""
    _parse.cache_clear()
