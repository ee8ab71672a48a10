"""Property: any call sequence over several instances behaves as a per-instance LRU model."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tu.cache import compile_compatible_method_lru_cache

MAXSIZE = 3


def _subject_class() -> type:
    """A fresh class per example: class-wide figures count every live instance, and those
    of earlier examples may still wait for the cycle collector."""

    class Subject:
        def __init__(self, k: int) -> None:
            self.k = k

        @compile_compatible_method_lru_cache(maxsize=MAXSIZE)
        def f(self, x: int) -> int:
            return x * 10 + self.k

    return Subject


class Model:
    """A reference LRU per instance."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.entries: OrderedDict[int, int] = OrderedDict()
        self.hits = self.misses = 0

    def f(self, x: int) -> int:
        if x in self.entries:
            self.entries.move_to_end(x)
            self.hits += 1
            return self.entries[x]
        self.misses += 1
        value = x * 10 + self.k
        self.entries[x] = value
        if len(self.entries) > MAXSIZE:
            self.entries.popitem(last=False)
        return value


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("call"), st.integers(0, 3), st.integers(0, 6)),
            st.tuples(st.just("clear"), st.integers(0, 3), st.just(0)),
        ),
        max_size=80,
    )
)
def test_matches_per_instance_lru_model(ops: list[tuple[str, int, int]]) -> None:
    subject_cls: Any = _subject_class()
    subjects = [subject_cls(k) for k in range(4)]
    models = [Model(k) for k in range(4)]
    for op, i, x in ops:
        if op == "call":
            assert subjects[i].f(x) == models[i].f(x)
        else:
            subjects[i].f.cache_clear()
            models[i].entries.clear()
            models[i].hits = models[i].misses = 0
    for s, m in zip(subjects, models, strict=True):
        info = s.f.cache_info()
        assert (info.hits, info.misses, info.currsize) == (m.hits, m.misses, len(m.entries))
    total = subject_cls.f.cache_info()
    assert total.currsize == sum(len(m.entries) for m in models)
