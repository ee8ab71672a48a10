"""The per-call code of both caches, and the one check that tells eager calls from tracing.

Everything that runs on a cache hit lives here, because the hot code reads two module
globals, ``_dynamo_check`` and ``_flags``, which :func:`resolve` rebinds once torch is
imported. Functions defined elsewhere would keep stale copies.

Why not ``torch.compiler.is_compiling()``: it costs about as much as a whole functools hit
(it calls ``torch.jit.is_scripting`` first). On torch releases that have both,
``torch.compiler.is_dynamo_compiling()`` (a bare ``return False`` that dynamo folds to a
constant True) plus a read of ``torch.compiler._is_compiling_flag`` (set by export and
compile sessions) give the same answer in eager code for a third of the cost. Older
releases fall back to ``torch.compiler.is_compiling`` (2.3) or ``torch._utils.is_compiling``
(2.1, 2.2), which dynamo also folds to True. Until torch is in ``sys.modules`` nothing can be
tracing, so the check is a dictionary lookup and torch is never imported.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

__all__ = ["is_compiling", "make_fget", "make_function_wrapper", "resolve"]


class _NoFlags:
    """Stands in for ``torch.compiler`` where torch has no ``_is_compiling_flag``."""

    _is_compiling_flag = False


def _unresolved_check() -> bool:
    """The check before torch is imported: nothing can trace; resolve once torch appears."""
    if "torch" in sys.modules and resolve():
        return bool(_dynamo_check())
    return False


# Rebound by resolve(); read by the hot paths below on every call.
_dynamo_check: Callable[[], bool] = _unresolved_check
_flags: Any = _NoFlags


def resolve() -> bool:
    """Bind the cheapest check the imported torch offers; False while torch is not imported.

    Safe to call repeatedly and from any thread (it only rebinds two globals).
    """
    global _dynamo_check, _flags
    if _dynamo_check is not _unresolved_check:
        return True
    torch = sys.modules.get("torch")
    compiler = getattr(torch, "compiler", None)
    if compiler is None:  # torch absent, or still importing
        return False
    check = getattr(compiler, "is_dynamo_compiling", None)
    flags: Any = _NoFlags
    if callable(check):
        if isinstance(getattr(compiler, "_is_compiling_flag", None), bool):
            flags = compiler
    else:
        check = getattr(compiler, "is_compiling", None)
        if not callable(check):
            check = getattr(getattr(torch, "_utils", None), "is_compiling", None)
    if not callable(check):
        return False
    _flags = flags
    _dynamo_check = check
    return True


def is_compiling() -> bool:
    """True while torch.compile (dynamo) traces, or torch.export / a compile session runs.

    The check both caches use to decide whether to bypass themselves; False without torch.
    """
    return bool(_dynamo_check() or _flags._is_compiling_flag)


def make_function_wrapper(
    func: Callable[..., Any],
    cached: Callable[..., Any],
    on_type_error: Callable[[TypeError, tuple[Any, ...], dict[str, Any]], None],
) -> Callable[..., Any]:
    """The call path of a cached plain function: through ``cached``, or straight to ``func``.

    ``on_type_error`` runs when the cached call raised a TypeError; it raises a clearer one
    when an argument is unhashable and returns otherwise, so the original is re-raised.
    """

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _dynamo_check() or _flags._is_compiling_flag:
            return func(*args, **kwargs)
        try:
            return cached(*args, **kwargs)
        except TypeError as exc:
            on_type_error(exc, args, kwargs)
            raise

    return wrapper


# The getter of a cached method. It is generated so that the name of the uncached alias is
# a constant in its code: torch 2.1's dynamo builds wrong guards for closure cells and
# defaults read by an inlined property getter, and constants need no guard. The eager path
# may use the closure cell (``bind``) freely.
_FGET_SOURCE = """
def _factory(bind):
    def fget(obj):
        if _dynamo_check() or _flags._is_compiling_flag:
            return getattr(obj, {alias!r})
        try:
            slot = obj.__dict__[{key!r}]
        except (AttributeError, KeyError):
            return bind(obj)
        if slot.owner is obj or slot.override:
            return slot.value
        return bind(obj)
    return fget
"""


def make_fget(key: str, alias: str, bind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Build the property getter of one cached method.

    Args:
        key: name of the instance ``__dict__`` entry that holds the instance's cache slot.
        alias: name of the class attribute holding the undecorated function; returned,
            bound, while tracing so that dynamo inlines the plain method.
        bind: called with the instance when it has no valid slot yet; creates one.
    """
    if not (key.isidentifier() and alias.isidentifier()):
        raise ValueError(f"key and alias must be identifiers, got {key!r} and {alias!r}")
    namespace: dict[str, Any] = {}
    exec(_FGET_SOURCE.format(key=key, alias=alias), globals(), namespace)
    fget: Callable[[Any], Any] = namespace["_factory"](bind)
    return fget
