"""Same values as transformers' compile_compatible_method_lru_cache; its faults, fixed here."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

transformers = pytest.importorskip("transformers")
pytorch_utils = pytest.importorskip("transformers.pytorch_utils")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tu.cache import compile_compatible_method_lru_cache  # noqa: E402


def _theirs() -> Any:
    if not hasattr(pytorch_utils, "compile_compatible_method_lru_cache"):
        pytest.skip(
            f"transformers {transformers.__version__} lacks compile_compatible_method_lru_cache"
        )
    return pytorch_utils.compile_compatible_method_lru_cache


def _pair(maxsize: int | None) -> tuple[type, type]:
    theirs = _theirs()

    class Ours:
        def __init__(self, k: int) -> None:
            self.k = k

        @compile_compatible_method_lru_cache(maxsize=maxsize)
        def f(self, a: int, b: int = 1) -> tuple[int, int]:
            return (a * b + self.k, a - b)

    class Theirs:
        def __init__(self, k: int) -> None:
            self.k = k

        @theirs(maxsize=maxsize)
        def f(self, a: int, b: int = 1) -> tuple[int, int]:
            return (a * b + self.k, a - b)

    return Ours, Theirs


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([None, 1, 4, 128]),
    st.lists(st.tuples(st.integers(0, 2), st.integers(-3, 3), st.integers(-3, 3)), max_size=40),
)
def test_same_values_as_transformers(
    maxsize: int | None, calls: list[tuple[int, int, int]]
) -> None:
    ours_cls, theirs_cls = _pair(maxsize)
    ours = [ours_cls(k) for k in range(3)]
    theirs = [theirs_cls(k) for k in range(3)]
    for i, a, b in calls:
        assert ours[i].f(a, b) == theirs[i].f(a, b)
        assert ours[i].f(a) == theirs[i].f(a)
        assert ours[i].f(a, b=b) == theirs[i].f(a, b=b)


def test_difference_transformers_keeps_instances_alive_tu_does_not() -> None:
    ours_cls, theirs_cls = _pair(128)
    o, t = ours_cls(1), theirs_cls(1)
    o.f(1)
    t.f(1)
    ref_o, ref_t = weakref.ref(o), weakref.ref(t)
    del o, t
    gc.collect()
    assert ref_o() is None
    assert ref_t() is not None  # transformers #45412: the shared lru_cache holds `self`


def test_difference_instances_no_longer_evict_each_other() -> None:
    ours_cls, theirs_cls = _pair(2)
    ours = [ours_cls(k) for k in range(3)]
    theirs = [theirs_cls(k) for k in range(3)]
    for objs in (ours, theirs):
        for obj in objs:
            obj.f(1)
    assert ours[0].f.cache_info().currsize == 1  # still cached
    assert ours[0].f.cache_info().hits == 0
    ours[0].f(1)
    assert ours[0].f.cache_info().hits == 1
    assert not hasattr(theirs[0].f, "cache_info")  # transformers hides the cache


def test_difference_bare_decorator() -> None:
    theirs = _theirs()

    class Theirs:
        @theirs
        def f(self, a: int) -> int:
            return a

    class Ours:
        @compile_compatible_method_lru_cache
        def f(self, a: int) -> int:
            return a

    assert Ours().f(3) == 3
    # transformers passes the function to lru_cache as maxsize and returns its inner
    # decorator: the "method" is that decorator, and calling it fails.
    assert Theirs.f.__name__ == "decorator"
    with pytest.raises(TypeError):
        Theirs().f(3)


def _tripled(factor: int, self: object, x: int) -> int:
    return factor * x


def test_same_answers_as_transformers_for_lambdas_partials_and_double_decoration() -> None:
    import functools

    results = []
    for decorator in (compile_compatible_method_lru_cache, _theirs()):

        def body(self: object, x: int) -> int:
            return x + 1

        class Ops:
            double = decorator(maxsize=8)(lambda self, x: 2 * x)
            triple = decorator(maxsize=8)(lambda self, x: 3 * x)
            p2 = decorator(maxsize=8)(functools.partial(_tripled, 2))
            p3 = decorator(maxsize=8)(functools.partial(_tripled, 3))
            small = decorator(maxsize=1)(body)
            large = decorator(maxsize=100)(body)

        o = Ops()
        results.append(
            (o.double(5), o.triple(5), o.p2(5), o.p3(5), o.small(1), o.large(1), o.small(2))
        )
    assert results[0] == results[1] == (10, 15, 10, 15, 2, 2, 3)
