"""Each decorated attribute owns its cache, whatever the function's name (issue 10).

Before: the cache was keyed by module and ``__qualname__``, so two cached lambdas, two
``functools.partial`` methods or one function cached twice in a class shared one cache.
"""

from __future__ import annotations

import copy
import functools
import gc
import pickle
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tu.cache import compile_compatible_method_lru_cache

cached = compile_compatible_method_lru_cache


def test_two_cached_lambdas_in_one_class_do_not_share() -> None:
    class Ops:
        double = cached(maxsize=8)(lambda self, x: 2 * x)
        triple = cached(maxsize=8)(lambda self, x: 3 * x)

    o = Ops()
    assert (o.double(5), o.triple(5)) == (10, 15)
    assert (o.triple(5), o.double(5)) == (15, 10)
    assert o.double.cache_info().hits == 1
    assert o.triple.cache_info().hits == 1


def _scale(factor: int, self: object, x: int) -> int:
    return factor * x


def test_two_partial_methods_do_not_share() -> None:
    class Ops:
        double = cached(maxsize=8)(functools.partial(_scale, 2))
        triple = cached(maxsize=8)(functools.partial(_scale, 3))

    o = Ops()
    assert (o.double(5), o.triple(5)) == (10, 15)


def test_one_function_cached_twice_gets_two_caches_and_two_parameter_sets() -> None:
    def body(self: object, x: int) -> int:
        return x + 1

    class Ops:
        small = cached(maxsize=1)(body)
        large = cached(maxsize=100)(body)

    o = Ops()
    for x in range(3):
        o.small(x)
        o.large(x)
    assert Ops.small.cache_parameters() == {"maxsize": 1, "typed": False}
    assert Ops.large.cache_parameters() == {"maxsize": 100, "typed": False}
    assert o.small.cache_parameters()["maxsize"] == 1
    assert o.small.cache_info().currsize == 1
    assert o.large.cache_info().currsize == 3


def test_class_call_with_none_as_instance_names_self() -> None:
    class Ops:
        @cached
        def f(self, x: int) -> int:
            return x

    with pytest.raises(TypeError, match=r"f\(\) called on the class needs the instance.*None"):
        Ops.f(None, 5)
    with pytest.raises(TypeError, match=r"int instances have none"):
        Ops.f(5, 5)  # type: ignore[arg-type]


def test_alias_in_the_class_body_shares_one_cache_per_instance() -> None:
    class Ops:
        @cached
        def a(self, x: int) -> int:
            return x * 7

        b = a

    o, p = Ops(), Ops()
    assert o.a(1) == 7
    assert o.b(1) == 7
    assert o.a.cache_info().hits == 1
    assert o.a is o.b  # the same decorated object: the same cache
    assert p.b(1) == 7
    assert p.b.cache_info().misses == 1  # but per instance


def test_subclass_instances_use_the_base_attribute_cache_each_their_own() -> None:
    class Base:
        def __init__(self, k: int) -> None:
            self.k = k

        @cached
        def f(self, x: int) -> int:
            return x + self.k

    class Child(Base):
        pass

    c1, c2 = Child(1), Child(2)
    assert (c1.f(1), c2.f(1)) == (2, 3)
    assert c1.f.cache_info().misses == 1
    assert Base.f.cache_info().currsize == 2


def test_unhashable_instances_and_custom_eq_are_fine() -> None:
    @dataclass
    class Point:  # eq=True makes instances unhashable
        x: int

        @cached
        def shifted(self, d: int) -> int:
            return self.x + d

    class AllEqual:
        def __init__(self, k: int) -> None:
            self.k = k

        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = None  # type: ignore[assignment]

        @cached
        def f(self, x: int) -> int:
            return x + self.k

    assert Point(1).shifted(1) == 2
    assert Point(2).shifted(1) == 3  # equal-looking or not, instances never share
    assert (AllEqual(1).f(1), AllEqual(5).f(1)) == (2, 6)


def test_slots_with_dict_and_without_weakref_work_and_are_freed() -> None:
    class Slotted:
        __slots__ = ("__dict__", "k")  # no __weakref__ slot: the cache needs none

        def __init__(self, k: int) -> None:
            self.k = k

        @cached
        def f(self, x: int) -> int:
            return x + self.k

    o = Slotted(3)
    assert o.f(1) == 4
    assert o.f(1) == 4
    assert o.f.cache_info().hits == 1
    entry = weakref.ref(o.f)
    del o
    gc.collect()
    assert entry() is None


def test_instances_are_freed_by_the_collector() -> None:
    class Holder:
        @cached
        def f(self, x: int) -> int:
            return x

    objects = [Holder() for _ in range(50)]
    for obj in objects:
        obj.f(1)
    refs = [weakref.ref(obj) for obj in objects]
    del obj, objects
    gc.collect()
    assert all(ref() is None for ref in refs)
    assert Holder.f.cache_info().currsize == 0


class Pickled:
    def __init__(self, k: int) -> None:
        self.k = k

    @cached
    def f(self, x: int) -> int:
        return x + self.k

    g = f


def test_pickle_and_deepcopy_give_a_fresh_cache_bound_to_the_copy() -> None:
    o = Pickled(1)
    o.f(1)
    for clone in (pickle.loads(pickle.dumps(o)), copy.deepcopy(o)):
        assert clone.f.cache_info().currsize == 0
        clone.k = 100
        assert clone.f(1) == 101
        assert clone.g(1) == 101
        assert clone.f is clone.g
        assert clone.f.cache_info().hits == 1
    assert o.f(1) == 2


def test_first_use_from_many_threads_creates_one_cache() -> None:
    class Shared:
        @cached(maxsize=None)
        def f(self, x: int) -> int:
            return x

    o = Shared()
    barrier = threading.Barrier(8)
    seen: list[Any] = []

    def work() -> None:
        barrier.wait()
        for i in range(200):
            o.f(i % 10)
        seen.append(o.f)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s is seen[0] for s in seen)
    assert o.f.cache_info().currsize == 10
    assert Shared.f.cache_info().hits + Shared.f.cache_info().misses == 1600


# Property: distinct decorated attributes never share a cache, whatever their names,
# whether they are lambdas, partials or one function decorated several times, and
# whatever their maxsizes.
_KINDS = ("lambda", "partial", "shared_function")


def _body(tag: int, self: object, x: int) -> tuple[int, int]:
    return (tag, x)


def _make_attribute(kind: str, tag: int, maxsize: int | None) -> Any:
    if kind == "lambda":
        func: Any = lambda self, x, tag=tag: (tag, x)  # noqa: E731
        func.__qualname__ = "same.<lambda>"
    elif kind == "partial":
        func = functools.partial(_body, tag)
    else:
        func = _shared_function
    return cached(maxsize=maxsize)(func), tag if kind != "shared_function" else None


def _shared_function(self: object, x: int) -> tuple[int, int]:
    return (-1, x)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_KINDS),
            st.one_of(st.none(), st.integers(1, 4)),
        ),
        min_size=2,
        max_size=6,
    ),
    st.lists(st.text(alphabet="abcxyz_", min_size=1, max_size=4), min_size=6, max_size=6),
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=30),
)
def test_distinct_decorated_attributes_never_share_a_cache(
    specs: list[tuple[str, int | None]], raw_names: list[str], calls: list[tuple[int, int]]
) -> None:
    names = [f"m_{i}_{n}" for i, n in enumerate(raw_names)]
    namespace: dict[str, Any] = {}
    expected_tag: dict[str, int | None] = {}
    for i, (kind, maxsize) in enumerate(specs):
        attribute, tag = _make_attribute(kind, i, maxsize)
        namespace[names[i]] = attribute
        expected_tag[names[i]] = tag
    cls = type("Generated", (), namespace)
    obj = cls()
    counts = dict.fromkeys(expected_tag, 0)
    for index, x in calls:
        if index >= len(specs):
            continue
        name = names[index]
        tag, value = getattr(obj, name)(x)
        assert value == x
        assert tag == (-1 if expected_tag[name] is None else expected_tag[name])
        counts[name] += 1
    for i, (_, maxsize) in enumerate(specs):
        info = getattr(obj, names[i]).cache_info()
        assert info.hits + info.misses == counts[names[i]]  # no other attribute's calls
        assert info.maxsize == maxsize
        assert getattr(cls, names[i]).cache_parameters()["maxsize"] == maxsize


def test_traced_entries_cache_publish_copy_and_pickle_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # torch < 2.5: dynamo cannot trace functools' cache wrapper, so each entry has a Python
    # __call__ (dynamo inlines it); it is published and behaves like the C-only entry.
    from tu.cache import _fastpath
    from tu.cache._method import _TracedEntry

    monkeypatch.setattr(_fastpath, "needs_traced_entry", lambda: True)

    class Ops:
        @cached(maxsize=2)
        def f(self, x: int) -> int:
            return x * 3

        g = f

    o = Ops()
    assert (o.f(1), o.f(1), o.g(1)) == (3, 3, 3)
    assert type(vars(o)["f"]) is _TracedEntry
    assert vars(o)["f"] is vars(o)["g"]
    assert o.f is o.g
    assert o.f.cache_info().hits == 2
    assert Ops.f(o, 1) == 3
    assert o.f.cache_info().hits == 3
    p = Pickled(1)
    p.f(1)
    assert type(vars(p)["f"]) is _TracedEntry
    q = pickle.loads(pickle.dumps(p))
    assert (q.f(1), q.g(1), q.f.cache_info().hits) == (2, 2, 1)
    r = copy.deepcopy(q)
    assert r.f.cache_info().currsize == 0
    assert (r.f(1), r.f.cache_info().misses) == (2, 1)
