"""Touched runs, extents, union lengths and the overlap sweep, against brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tu.storage import _intervals


def touched(offset: int, sizes: list[int], strides: list[int]) -> set[int]:
    return {
        offset + sum(i * s for i, s in zip(index, strides, strict=True))
        for index in itertools.product(*(range(n) for n in sizes))
    }


def as_set(runs: list[tuple[int, int]]) -> set[int]:
    return {x for lo, hi in runs for x in range(lo, hi)}


layouts = st.integers(0, 4).flatmap(
    lambda ndim: st.tuples(
        st.integers(0, 20),
        st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim),
        st.lists(st.integers(0, 12), min_size=ndim, max_size=ndim),
    )
)


@settings(max_examples=300, deadline=None)
@given(layouts)
def test_element_runs_are_exactly_the_touched_elements(
    layout: tuple[int, list[int], list[int]],
) -> None:
    offset, sizes, strides = layout
    runs = _intervals.element_runs(offset, sizes, strides)
    assert runs is not None
    assert as_set(runs) == touched(offset, sizes, strides)
    # Sorted, disjoint and not even adjacent: a minimal description.
    assert all(a[1] < b[0] for a, b in itertools.pairwise(runs))
    lo, hi = _intervals.extent(offset, sizes, strides)
    elements = touched(offset, sizes, strides)
    if elements:
        assert (lo, hi) == (min(elements), max(elements) + 1)
    else:
        assert lo == hi


def test_contiguous_and_transposed_layouts_are_one_run() -> None:
    assert _intervals.element_runs(3, [4, 5], [5, 1]) == [(3, 23)]
    assert _intervals.element_runs(0, [5, 4], [1, 5]) == [(0, 20)]
    # Self-overlapping windows (stride smaller than the row) still form one run.
    assert _intervals.element_runs(0, [3, 4], [2, 1]) == [(0, 8)]
    # Broadcast dimensions (stride 0) add nothing.
    assert _intervals.element_runs(0, [1000, 4], [0, 1]) == [(0, 4)]


def test_even_and_odd_columns_interleave_without_touching() -> None:
    even = _intervals.element_runs(0, [3, 2], [4, 2])
    odd = _intervals.element_runs(1, [3, 2], [4, 2])
    assert even is not None and odd is not None
    assert not as_set(even) & as_set(odd)


def test_element_runs_over_budget_returns_none() -> None:
    assert _intervals.element_runs(0, [10, 1], [2, 1], max_runs=9) is None
    assert _intervals.element_runs(0, [10, 1], [2, 1], max_runs=10) is not None


@pytest.mark.parametrize(
    ("sizes", "strides"),
    [([2], [1, 1]), ([-1], [1]), ([2], [-1])],
)
def test_bad_layouts_raise_value_error(sizes: list[int], strides: list[int]) -> None:
    with pytest.raises(ValueError, match="sizes and strides"):
        _intervals.element_runs(0, sizes, strides)


def test_union_length_counts_nested_and_overlapping_once() -> None:
    assert _intervals.union_length([(0, 100), (10, 20), (30, 40)]) == 100
    assert _intervals.union_length([(0, 10), (5, 15), (20, 21), (21, 22)]) == 17
    assert _intervals.union_length([(5, 5)]) == 0
    assert _intervals.union_length([]) == 0


def test_nested_range_joins_the_enclosing_one() -> None:
    # huggingface_hub's sweep compares with the previous range only and splits C off.
    groups = _intervals.overlap_components([(0, 100, "A"), (10, 20, "B"), (30, 40, "C")])
    assert groups == [["A", "B", "C"]]


def test_touching_ranges_do_not_overlap() -> None:
    groups = _intervals.overlap_components([(0, 10, "a"), (10, 20, "b"), (5, 5, "empty")])
    assert groups == [["a"], ["b"]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 15)), max_size=12))
def test_overlap_components_match_brute_force(spans: list[tuple[int, int]]) -> None:
    ranges = [(start, start + length, i) for i, (start, length) in enumerate(spans)]
    got = {frozenset(g) for g in _intervals.overlap_components(ranges)}
    parent = list(range(len(ranges)))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for (s1, e1, a), (s2, e2, b) in itertools.combinations(ranges, 2):
        if max(s1, s2) < min(e1, e2):
            parent[find(a)] = find(b)
    expected: dict[int, set[int]] = {}
    for start, end, label in ranges:
        if end > start:
            expected.setdefault(find(label), set()).add(label)
    assert got == {frozenset(g) for g in expected.values()}
    covered = set()
    for start, end, _ in ranges:
        covered |= set(range(start, end))
    assert _intervals.union_length((s, e) for s, e, _ in ranges) == len(covered)


def test_clusters_keep_each_range_and_handle_nesting() -> None:
    ranges = [(30, 40, "c"), (0, 100, "a"), (10, 20, "b"), (100, 101, "d"), (7, 7, "empty")]
    assert _intervals.clusters(ranges) == [["a", "b", "c"], ["d"]]
