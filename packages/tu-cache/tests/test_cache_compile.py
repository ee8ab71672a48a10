"""Under torch.compile the caches step aside: traced code calls the function itself.

Run with ``backend="eager"`` (dynamo traces, no C compiler needed) and ``fullgraph=True``
(any graph break fails the test). Skipped without torch or where dynamo does not run.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from tu.cache import (  # noqa: E402
    compile_compatible_lru_cache,
    compile_compatible_method_lru_cache,
    is_compiling,
)
from tu.versions import is_torch_greater_or_equal, is_torchdynamo_compiling  # noqa: E402


def _dynamo_runs() -> bool:
    try:
        import torch._dynamo

        return bool(torch._dynamo.is_dynamo_supported())
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _dynamo_runs(), reason="torch.compile does not run here")

# Before torch 2.5, dynamo traced nn.Module attributes itself and accepted only exact
# `property` objects (CachedMethod is a subclass), so a cached method on a module
# graph-breaks there; without fullgraph it still runs, eagerly and cached.
MODULE_TRACEABLE = is_torch_greater_or_equal("2.5")


def _make(base: type, calls: list[Any]) -> Any:
    class Anchors(base):  # type: ignore[valid-type,misc]
        def __init__(self) -> None:
            super().__init__()
            self.scale = 2.0

        @compile_compatible_method_lru_cache(maxsize=4)
        def grid(self, n: int, dtype: Any = torch.float32) -> Any:
            calls.append(n)  # a closure cell and a default: both need guards in dynamo
            return torch.arange(n, dtype=dtype) * self.scale

    return Anchors()


@compile_compatible_lru_cache
def _ones(n: int) -> Any:
    _ones_calls.append(n)
    return torch.ones(n)


_ones_calls: list[int] = []


@pytest.mark.parametrize(
    "base",
    [
        object,
        pytest.param(
            torch.nn.Module,
            marks=pytest.mark.skipif(not MODULE_TRACEABLE, reason="nn.Module needs torch >= 2.5"),
        ),
    ],
)
@pytest.mark.parametrize("first_call_eager", [True, False])
def test_fullgraph_compile_bypasses_cache_while_tracing(base: type, first_call_eager: bool) -> None:
    import torch._dynamo

    calls: list[Any] = []
    obj = _make(base, calls)
    _ones.cache_clear()
    _ones_calls.clear()
    if first_call_eager:
        obj.grid(3)
        _ones(3)

    def fn(x: Any) -> Any:
        return x + obj.grid(3) + _ones(3)

    torch._dynamo.reset()
    compiled = torch.compile(fn, backend="eager", fullgraph=True)
    x = torch.ones(3)
    expected = x + torch.arange(3) * 2.0 + 1
    before = obj.grid.cache_info()
    assert torch.equal(compiled(x), expected)
    # The traced call ran the function (bypassing the cache, which saw no call) ...
    assert calls.count(3) == (2 if first_call_eager else 1)
    assert _ones_calls.count(3) == (2 if first_call_eager else 1)
    assert obj.grid.cache_info() == before
    assert torch.equal(compiled(x), expected)  # (dynamo may retrace: `calls` changed)
    before = obj.grid.cache_info()
    # ... and eager code afterwards uses the cache.
    obj.grid(3)
    obj.grid(3)
    after = obj.grid.cache_info()
    assert after.hits + after.misses == before.hits + before.misses + 2
    assert after.hits >= before.hits + 1
    _ones(3)
    assert _ones.cache_info().currsize == 1


def test_traced_result_is_not_stored_in_the_cache() -> None:
    import torch._dynamo

    calls: list[Any] = []
    obj = _make(object, calls)

    def fn(x: Any) -> Any:
        return x * obj.grid(4).sum()

    torch._dynamo.reset()
    torch.compile(fn, backend="eager", fullgraph=True)(torch.ones(2))
    assert obj.grid.cache_info().currsize == 0
    obj.grid(4)
    assert obj.grid.cache_info().misses == 1


def test_eager_check_agrees_with_torch() -> None:
    assert is_compiling() is False
    assert is_compiling() == is_torchdynamo_compiling()
    if hasattr(torch.compiler, "is_compiling"):
        assert is_compiling() == torch.compiler.is_compiling()
    assert "torch" in sys.modules
