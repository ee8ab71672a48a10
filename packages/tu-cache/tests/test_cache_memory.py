"""Instances with a cached method can be garbage collected; the cache never keeps them alive."""

from __future__ import annotations

import gc
import weakref

from tu.cache import compile_compatible_method_lru_cache


class Holder:
    def __init__(self, size: int = 0) -> None:
        self.payload = bytearray(size)

    @compile_compatible_method_lru_cache(maxsize=16)
    def value(self, n: int) -> int:
        return n * 2 + len(self.payload)


def test_weakref_dies_after_del_and_collect() -> None:
    obj = Holder(1024)
    assert obj.value(3) == 1030
    ref = weakref.ref(obj)
    del obj
    gc.collect()
    assert ref() is None


def test_no_instance_leaks_after_10000_calls_over_1000_objects() -> None:
    objs = [Holder() for _ in range(1000)]
    refs = [weakref.ref(o) for o in objs]
    for i in range(10_000):
        assert objs[i % 1000].value(i % 7) == (i % 7) * 2
    assert sum(o.value.cache_info().hits for o in objs) == 10_000 - 1000 * 7
    del objs
    gc.collect()
    assert [r for r in refs if r() is not None] == []
    assert Holder.value.cache_info().currsize == 0  # no live instance left to report


def test_a_retained_bound_cache_keeps_only_its_own_instance() -> None:
    a, b = Holder(), Holder()
    bound = a.value
    bound(1)
    b.value(1)
    ref_a, ref_b = weakref.ref(a), weakref.ref(b)
    del a, b
    gc.collect()
    assert ref_a() is not None  # reachable through `bound`, like a bound method
    assert ref_b() is None
    del bound
    gc.collect()
    assert ref_a() is None


def test_instance_free_after_cache_entries_hold_big_results() -> None:
    class Big:
        @compile_compatible_method_lru_cache
        def block(self, n: int) -> bytearray:
            return bytearray(n)

    obj = Big()
    result = obj.block(1 << 20)
    assert obj.block(1 << 20) is result
    ref = weakref.ref(obj)
    del obj
    gc.collect()
    assert ref() is None
