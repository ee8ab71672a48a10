"""Whether torch.compile is tracing the code that is running now."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

__all__ = ["is_torchdynamo_compiling"]

_check: Callable[[], bool] | None = None


def _resolve(torch: Any) -> Callable[[], bool]:
    """Pick torch's own check once: ``torch.compiler.is_compiling`` (torch >= 2.3), else dynamo's.

    Uses three-argument ``getattr`` rather than try/except, which dynamo can trace on every
    torch release, so resolving inside a compiled region works too.
    """
    global _check
    compiler = getattr(torch, "compiler", None)
    check = getattr(compiler, "is_compiling", None)
    if check is None:
        import torch._dynamo

        check = torch._dynamo.is_compiling
    _check = check
    return check  # type: ignore[no-any-return]


def is_torchdynamo_compiling() -> bool:
    """True only while torch.compile (dynamo) traces the calling code.

    Uses ``torch.compiler.is_compiling`` (torch >= 2.3), else ``torch._dynamo.is_compiling``,
    both of which dynamo folds to a constant True while tracing. When torch has not been
    imported yet nothing can be compiling, so the answer is False and torch stays unimported.

    Returns:
        True inside code that torch.compile is tracing, False elsewhere.

    Examples:
        >>> from tu.versions import is_torchdynamo_compiling
        >>> is_torchdynamo_compiling()
        False
    """
    check = _check
    if check is None:
        torch = sys.modules.get("torch")
        if torch is None:
            return False
        check = _resolve(torch)
    return bool(check())
