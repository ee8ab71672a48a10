"""The per-call code of both caches, and the one check that tells eager calls from tracing.

Everything here that runs per call (the function wrapper, a method cache's miss function)
reads two module globals, ``_dynamo_check`` and ``_flags``, which :func:`resolve` rebinds
once torch is imported. Functions defined elsewhere would keep stale copies. A method
cache's hit runs none of it: it stays in functools' C code (see ``_method``).

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

__all__ = [
    "allow_dynamo_trace",
    "is_compiling",
    "make_function_wrapper",
    "make_miss",
    "needs_traced_entry",
    "resolve",
]


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

    The check both caches use to decide whether to bypass themselves. It never imports
    torch: before torch is imported nothing can trace, and the answer is False.

    Returns:
        True inside dynamo tracing (folded to a constant there) or while torch's compile
        flag is set; False in eager code and without torch.

    Examples:
        >>> from tu.cache import is_compiling
        >>> is_compiling()
        False
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


def make_miss(
    func: Callable[..., Any], obj: object, on_session: Callable[[], None]
) -> Callable[..., Any]:
    """The function a per-instance ``functools.lru_cache`` wraps: ``func`` bound to ``obj``.

    Hits never reach it (they stay in functools' C code); misses and dynamo do. Dynamo
    traces a call of an ``lru_cache`` wrapper as a call of its ``__wrapped__`` (this
    function), where ``_dynamo_check()`` folds to True: the traced code runs ``func``
    itself. Outside dynamo, a miss during torch.export or a compile session would store
    a traced value, so ``on_session`` runs first (it discards the instance's cache).
    """

    def miss(*args: Any, **kwargs: Any) -> Any:
        if _dynamo_check():
            return func(obj, *args, **kwargs)
        if _flags._is_compiling_flag:
            on_session()
        return func(obj, *args, **kwargs)

    return miss


def needs_traced_entry() -> bool:
    """Whether a new per-instance cache needs a Python ``__call__`` for dynamo to trace it.

    torch >= 2.5's dynamo traces an ``lru_cache`` wrapper stored in the instance ``__dict__``
    through ``__wrapped__``; older releases cannot (nor the descriptor), but inline a Python
    ``__call__``. Without torch nothing traces and the C-only entry is used.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    version = str(getattr(torch, "__version__", "0"))
    parts = version.split("+")[0].split(".")[:2]
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return False
    return (major, minor) < (2, 5)


def allow_dynamo_trace(cache: Callable[..., Any]) -> None:
    """Tell dynamo (when already imported) not to warn about tracing through ``cache``.

    The warning says dynamo ignores the cache and traces the wrapped function, which is
    what this cache wants. Importing dynamo only to say so would cost a second; when it is
    not yet imported the warning may show once per process.
    """
    utils = sys.modules.get("torch._dynamo.utils")
    allow = getattr(utils, "allow_lru_cache_wrapper_trace_without_warning", None)
    if callable(allow):
        allow(cache)
