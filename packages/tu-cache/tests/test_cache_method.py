"""compile_compatible_method_lru_cache in eager code: per-instance caches and their API."""

from __future__ import annotations

import copy
import functools
import inspect
import pickle
from typing import Any
from unittest import mock

import pytest

from tu.cache import CachedMethod, compile_compatible_method_lru_cache


class Counter:
    """Counts how often the cached body really runs, per instance."""

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset
        self.runs: list[Any] = []

    @compile_compatible_method_lru_cache(maxsize=2)
    def add(self, x: int, y: int = 0) -> int:
        """Add the offset."""
        self.runs.append((x, y))
        return x + y + self.offset


# A module-level class so that pickle can find it.
class Picklable:
    def __init__(self, base: int) -> None:
        self.base = base

    @compile_compatible_method_lru_cache
    def times(self, n: int) -> int:
        return self.base * n


def test_hit_returns_cached_value_and_counts() -> None:
    c = Counter(10)
    assert c.add(1) == 11
    assert c.add(1) == 11
    assert c.runs == [(1, 0)]
    info = c.add.cache_info()
    assert (info.hits, info.misses, info.maxsize, info.currsize) == (1, 1, 2, 1)


def test_each_instance_has_its_own_cache_and_maxsize() -> None:
    a, b = Counter(0), Counter(100)
    a.add(1)
    a.add(2)
    for i in range(10):  # b churns through its own cache
        b.add(i)
    assert a.add(1) == 1
    assert a.add(2) == 2
    assert a.runs == [(1, 0), (2, 0)]  # b did not evict a's entries
    assert a.add.cache_info().currsize == 2
    assert b.add.cache_info().currsize == 2  # maxsize applies per instance
    assert b.add(9) == 109


def test_lru_eviction_within_one_instance() -> None:
    c = Counter()
    c.add(1)
    c.add(2)
    c.add(1)  # 1 is now most recent
    c.add(3)  # evicts 2
    c.add(1)
    c.add(2)
    assert c.runs == [(1, 0), (2, 0), (3, 0), (2, 0)]


def test_cache_clear_is_per_instance() -> None:
    a, b = Counter(), Counter()
    a.add(1)
    b.add(1)
    a.add.cache_clear()
    assert a.add.cache_info().currsize == 0
    assert b.add.cache_info().currsize == 1


def test_class_level_info_and_clear_cover_all_live_instances() -> None:
    class Local:
        @compile_compatible_method_lru_cache(maxsize=5)
        def f(self, x: int) -> int:
            return x

    objs = [Local() for _ in range(3)]
    for o in objs:
        o.f(1)
        o.f(1)
    info = Local.f.cache_info()
    assert (info.hits, info.misses, info.maxsize, info.currsize) == (3, 3, 5, 3)
    Local.f.cache_clear()
    assert all(o.f.cache_info().currsize == 0 for o in objs)
    assert Local.f.cache_parameters() == {"maxsize": 5, "typed": False}
    assert objs[0].f.cache_parameters() == {"maxsize": 5, "typed": False}


def test_usable_without_parentheses_and_with_none() -> None:
    class Local:
        @compile_compatible_method_lru_cache
        def f(self, x: int) -> int:
            return x * 2

        @compile_compatible_method_lru_cache(maxsize=None)
        def g(self, x: int) -> int:
            return x * 3

    assert isinstance(Local.__dict__["f"], CachedMethod)
    o = Local()
    assert o.f(2) == 4
    assert o.f.cache_info().maxsize == 128
    for i in range(300):
        o.g(i)
    assert o.g.cache_info().currsize == 300


def test_typed_separates_int_and_float() -> None:
    class Local:
        @compile_compatible_method_lru_cache(typed=True)
        def f(self, x: float) -> str:
            return type(x).__name__

    o = Local()
    assert (o.f(1), o.f(1.0)) == ("int", "float")
    assert o.f.cache_info().misses == 2


def test_keyword_and_default_arguments_are_part_of_the_key() -> None:
    c = Counter()
    assert c.add(1, y=2) == 3
    assert c.add(1, y=2) == 3
    assert c.add(1, 2) == 3  # functools keys positional and keyword calls apart
    assert c.runs == [(1, 2), (1, 2)]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"maxsize": -1}, ValueError, "maxsize"),
        ({"maxsize": 1.5}, TypeError, "maxsize"),
        ({"maxsize": True}, TypeError, "maxsize"),
        ({"maxsize": "3"}, TypeError, "maxsize"),
        ({"typed": 1}, TypeError, "typed"),
    ],
)
def test_bad_options_raise_typed_errors(kwargs: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        compile_compatible_method_lru_cache(**kwargs)


def test_refuses_static_class_methods_and_non_callables() -> None:
    with pytest.raises(TypeError, match="staticmethod"):
        compile_compatible_method_lru_cache(staticmethod(lambda x: x))  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="classmethod"):
        compile_compatible_method_lru_cache()(classmethod(lambda cls: cls))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="decorates a function"):
        compile_compatible_method_lru_cache()(42)  # type: ignore[arg-type]


def test_slots_class_with_dict_slot_works() -> None:
    class Slotted:
        __slots__ = ("__dict__", "k")

        def __init__(self, k: int) -> None:
            self.k = k

        @compile_compatible_method_lru_cache
        def f(self, x: int) -> int:
            return x * self.k

    s = Slotted(3)
    assert s.f(2) == 6
    assert s.f(2) == 6
    assert s.f.cache_info().hits == 1


def test_slots_class_without_dict_raises_a_clear_type_error() -> None:
    class Slotted:
        __slots__ = ("k",)

        @compile_compatible_method_lru_cache
        def f(self, x: int) -> int:
            return x

    with pytest.raises(TypeError, match=r"add '__dict__' to .*Slotted\.__slots__"):
        Slotted().f(1)


def test_temporary_instance_and_retained_bound_cache_work() -> None:
    assert Counter(5).add(1) == 6  # the instance dies right after the attribute lookup
    bound = Counter(7).add
    assert bound(1) == 8
    assert bound(2) == 9  # a miss needs the instance: the bound cache keeps it alive
    assert bound.cache_info().misses == 2


def test_shallow_copy_shares_the_original_cache_a_documented_limit() -> None:
    # A shallow copy shares the original's __dict__ values, the cache entry included, so
    # it uses the original's cache (and instance) until rebound through the class.
    a = Counter(1)
    a.add(1)
    b = copy.copy(a)
    b.offset = 1000
    assert b.add(1) == 2  # the original's cached result, as documented in the README
    assert Counter.add(b, 1) == 1001  # the class call form rebinds b to a cache of its own
    assert b.add(1) == 1001
    assert b.add.cache_info().hits == 1
    assert a.add(1) == 2
    assert a.add.cache_info().hits == 2


def test_dict_copy_replica_rebinds_through_the_class_call_form() -> None:
    a = Counter(1)
    a.add(1)
    replica = Counter.__new__(Counter)
    replica.__dict__ = a.__dict__.copy()  # what nn.Module._replicate_for_data_parallel does
    replica.offset = 50
    assert Counter.add(replica, 1) == 51
    assert replica.add(1) == 51
    assert a.add(1) == 2


def test_deepcopy_and_pickle_start_cold_and_stay_correct() -> None:
    a = Counter(1)
    a.add(1)
    b = copy.deepcopy(a)
    b.offset = 2
    assert b.add(1) == 3
    assert b.add.cache_info().misses == 1
    p = Picklable(3)
    assert p.times(2) == 6
    q = pickle.loads(pickle.dumps(p))
    assert q.times.cache_info().currsize == 0
    assert q.times(2) == 6
    assert pickle.loads(pickle.dumps(q)).times(5) == 15


def test_assigning_shadows_the_method_per_instance_and_mock_patch_restores() -> None:
    a, b = Counter(), Counter()
    a.add = lambda x, y=0: -1  # type: ignore[assignment,method-assign]
    assert a.add(1) == -1
    assert b.add(1) == 1
    del a.add
    assert a.add(1) == 1
    with pytest.raises(AttributeError):
        del Counter().add  # never used: nothing in the instance __dict__ to delete
    with mock.patch.object(b, "add", return_value=42):
        assert b.add(3) == 42
    assert b.add(3) == 3


def test_class_call_form_super_and_subclass_override() -> None:
    class Base:
        @compile_compatible_method_lru_cache
        def f(self, x: int) -> int:
            return x + 1

    class Child(Base):
        @compile_compatible_method_lru_cache
        def f(self, x: int) -> int:
            return super().f(x) * 10

    class Plain(Base):
        def f(self, x: int) -> int:
            return super().f(x) * 100

    c, p = Child(), Plain()
    assert Base.f(Base(), 1) == 2
    assert c.f(1) == 20
    assert c.f(1) == 20
    assert Base.f.__get__(c, Base).cache_info().misses == 1  # Base's cache of c: one miss
    assert c.f.cache_info().hits == 1
    assert p.f(1) == 200


def test_metadata_follows_the_function() -> None:
    assert Counter.add.__wrapped__.__name__ == "add"
    assert Counter.add.__doc__ == "Add the offset."
    assert Counter.add.__name__ == "add"
    assert "Counter.add" in repr(Counter.add)
    c = Counter()
    assert c.add.__name__ == "add"
    assert list(inspect.signature(c.add).parameters) == ["x", "y"]


def test_exceptions_are_not_cached() -> None:
    class Flaky:
        def __init__(self) -> None:
            self.calls = 0

        @compile_compatible_method_lru_cache
        def f(self, x: int) -> int:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("first call fails")
            return x

    o = Flaky()
    with pytest.raises(RuntimeError):
        o.f(1)
    assert o.f(1) == 1
    assert o.f(1) == 1
    assert o.calls == 2


def test_unhashable_argument_raises_type_error() -> None:
    c = Counter()
    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        c.add([1])  # type: ignore[arg-type]
    # The class call form has a Python frame around the call and names the parameter.
    with pytest.raises(
        TypeError, match=r"Counter\.add\(\) got an unhashable list for argument 'x'"
    ):
        Counter.add(c, [1])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="argument 'y'"):
        Counter.add(c, 1, y={})  # type: ignore[arg-type]


def test_works_on_a_class_defined_with_the_descriptor_added_later() -> None:
    class Late:
        pass

    def f(self: Late, x: int) -> int:
        return x * 4

    Late.f = compile_compatible_method_lru_cache(f)  # type: ignore[attr-defined]
    o = Late()
    assert o.f(2) == 8  # type: ignore[attr-defined]
    assert o.f.cache_info().misses == 1  # type: ignore[attr-defined]


def test_results_match_functools_for_the_same_calls() -> None:
    class Ours:
        @compile_compatible_method_lru_cache(maxsize=3)
        def f(self, a: int, b: int = 1) -> tuple[int, int]:
            return (a * b, a - b)

    class Ref:
        @functools.lru_cache(maxsize=3)  # noqa: B019 - the reference behaviour
        def f(self, a: int, b: int = 1) -> tuple[int, int]:
            return (a * b, a - b)

    o, r = Ours(), Ref()
    for a in range(6):
        for b in (1, 2, a):
            assert o.f(a, b) == r.f(a, b)
            assert o.f(a, b=b) == r.f(a, b=b)
