"""Under torch.compile the caches step aside: traced code calls the function itself.

Run with ``backend="eager"`` (dynamo traces, no C compiler needed) and ``fullgraph=True``
(any graph break fails the test). Skipped without torch or where dynamo does not run.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from tu.cache import (  # noqa: E402
    compile_compatible_lru_cache,
    compile_compatible_method_lru_cache,
    is_compiling,
)
from tu.versions import is_torchdynamo_compiling  # noqa: E402


def _dynamo_runs() -> bool:
    try:
        import torch._dynamo

        return bool(torch._dynamo.is_dynamo_supported())
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _dynamo_runs(), reason="torch.compile does not run here")


def _plus_one(self: Any, x: Any) -> Any:
    return x + 1


class _Descriptor:
    """A non-data descriptor shaped like CachedMethod while tracing (a partial of the function)."""

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return functools.partial(_plus_one, obj)


class _Holder:
    method = _Descriptor()


def _descriptor_traced_on_first_access() -> bool:
    """Whether this dynamo inlines ``__get__`` of a user-defined non-data descriptor.

    torch >= 2.5 does; older dynamo cannot trace a method behind one (it traces only
    functions and properties found on the class), so there a cached method's first access
    inside compiled code graph-breaks. Once the instance's cache exists (any eager access
    of ``obj.method``), dynamo finds it in the instance ``__dict__`` and traces it.
    """
    import torch._dynamo

    holder = _Holder()
    try:
        torch.compile(lambda x: holder.method(x), backend="eager", fullgraph=True)(torch.ones(1))
    except Exception:
        return False
    finally:
        torch._dynamo.reset()
    return True


FIRST_ACCESS_TRACEABLE = _dynamo_runs() and _descriptor_traced_on_first_access()


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
    [object, torch.nn.Module],
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


@pytest.mark.skipif(
    not FIRST_ACCESS_TRACEABLE,
    reason="this dynamo cannot trace a first access through a non-function descriptor "
    "(torch < 2.5): it graph-breaks, see test_first_access_inside_compiled_code_stays_correct",
)
@pytest.mark.parametrize("base", [object, torch.nn.Module])
def test_traced_result_is_not_stored_in_the_cache(base: type) -> None:
    import torch._dynamo

    calls: list[Any] = []
    obj = _make(base, calls)

    def fn(x: Any) -> Any:
        return x * obj.grid(4).sum()

    torch._dynamo.reset()
    torch.compile(fn, backend="eager", fullgraph=True)(torch.ones(2))
    assert obj.grid.cache_info().currsize == 0
    obj.grid(4)
    assert obj.grid.cache_info().misses == 1


@pytest.mark.parametrize("base", [object, torch.nn.Module])
def test_first_access_inside_compiled_code_stays_correct(base: type) -> None:
    # Without fullgraph, on every torch: traced (>= 2.5) or a graph break that runs the
    # access eagerly (older dynamo); the result is right either way and eager calls cache.
    import torch._dynamo

    calls: list[Any] = []
    obj = _make(base, calls)

    def fn(x: Any) -> Any:
        return x * obj.grid(4).sum()

    torch._dynamo.reset()
    compiled = torch.compile(fn, backend="eager")
    assert torch.equal(compiled(torch.ones(2)), torch.full((2,), 12.0))
    assert torch.equal(compiled(torch.ones(2)), torch.full((2,), 12.0))
    before = obj.grid.cache_info()
    obj.grid(4)
    obj.grid(4)
    after = obj.grid.cache_info()
    assert after.hits >= before.hits + 1
    assert after.hits + after.misses == before.hits + before.misses + 2


def test_eager_check_agrees_with_torch() -> None:
    assert is_compiling() is False
    assert is_compiling() == is_torchdynamo_compiling()
    if hasattr(torch.compiler, "is_compiling"):
        assert is_compiling() == torch.compiler.is_compiling()
    assert "torch" in sys.modules


def test_miss_during_an_export_or_compile_session_is_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not isinstance(getattr(torch.compiler, "_is_compiling_flag", None), bool):
        pytest.skip("this torch has no compile-session flag")
    calls: list[Any] = []
    obj = _make(object, calls)
    obj.grid(2)  # an eager entry, stored in the instance __dict__
    monkeypatch.setattr(torch.compiler, "_is_compiling_flag", True)
    assert is_compiling()
    assert torch.equal(obj.grid(5), torch.arange(5) * 2.0)  # a miss inside the session
    assert "grid" not in vars(obj)  # ... dropped the cache it would have poisoned
    obj.grid(5)  # later session accesses run uncached
    assert calls == [2, 5, 5]
    monkeypatch.setattr(torch.compiler, "_is_compiling_flag", False)
    obj.grid(5)
    obj.grid(5)
    assert calls == [2, 5, 5, 5]
    assert obj.grid.cache_info().hits == 1


def _lru_cache_warning_cannot_be_allowed() -> bool:
    """Whether this dynamo warns about tracing an lru_cache with no way for tu to allow it.

    Releases with the warning but without ``allow_lru_cache_wrapper_trace_without_warning``
    (torch 2.8, for one) warn whatever the cache does; releases without the warning (2.6)
    and those with the hook (2.13) are tested.
    """
    import warnings

    import torch._dynamo
    import torch._dynamo.utils

    if hasattr(torch._dynamo.utils, "allow_lru_cache_wrapper_trace_without_warning"):
        return False

    @functools.lru_cache
    def plus_one(x: Any) -> Any:
        return x + 1

    torch._dynamo.reset()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            torch.compile(lambda x: plus_one(x), backend="eager")(torch.ones(1))
        except Exception:
            return False
        finally:
            torch._dynamo.reset()
    return any("lru_cache" in str(w.message) for w in caught)


@pytest.mark.skipif(
    _dynamo_runs() and _lru_cache_warning_cannot_be_allowed(),
    reason="this dynamo warns about tracing any lru_cache and has no "
    "allow_lru_cache_wrapper_trace_without_warning (torch 2.8): it warns once per process"
    " (and after each torch._dynamo.reset())",
)
def test_traced_entry_gives_no_lru_cache_warning_once_dynamo_is_loaded() -> None:
    import warnings

    import torch._dynamo

    calls: list[Any] = []
    obj = _make(object, calls)
    obj.grid(3)  # entry created after dynamo was imported: registered with it

    def fn(x: Any) -> Any:
        return x + obj.grid(3)

    torch._dynamo.reset()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.compile(fn, backend="eager", fullgraph=True)(torch.ones(3))
    assert not [w for w in caught if "lru_cache" in str(w.message)]
