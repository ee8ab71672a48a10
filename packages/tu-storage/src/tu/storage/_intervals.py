"""Touched ranges of strided views and the overlap sweep, on plain integers (no torch).

A strided view touches the elements ``offset + sum(i_k * stride_k)``. Those elements form a
few contiguous runs when the inner dimensions tile without gaps; :func:`element_runs` lists
them exactly (up to a budget), :func:`extent` gives the ``[first, last]`` hull. The sweep in
:func:`overlap_components` groups half-open ranges that intersect, nested ranges included.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from math import prod
from typing import TypeVar

MAX_RUNS = 1 << 16
"""Most contiguous runs one view is split into before its extent is used instead."""

_L = TypeVar("_L", bound=Hashable)


def _check_layout(sizes: Sequence[int], strides: Sequence[int]) -> None:
    if len(sizes) != len(strides):
        raise ValueError(
            f"sizes and strides must have the same length, got {len(sizes)} and {len(strides)}"
        )
    if any(n < 0 for n in sizes) or any(s < 0 for s in strides):
        raise ValueError(
            f"sizes and strides must be non-negative, got {tuple(sizes)} and {tuple(strides)}"
        )


def extent(offset: int, sizes: Sequence[int], strides: Sequence[int]) -> tuple[int, int]:
    """Half-open hull ``[first, last + 1)`` of the elements a view touches; empty views give ``(offset, offset)``."""
    _check_layout(sizes, strides)
    return _extent(offset, sizes, strides)


def _extent(offset: int, sizes: Sequence[int], strides: Sequence[int]) -> tuple[int, int]:
    if 0 in sizes:
        return offset, offset
    return offset, offset + sum((n - 1) * s for n, s in zip(sizes, strides, strict=True)) + 1


def element_runs(
    offset: int, sizes: Sequence[int], strides: Sequence[int], max_runs: int = MAX_RUNS
) -> list[tuple[int, int]] | None:
    """Sorted, disjoint half-open runs of the elements a view touches.

    Dimensions of size 1 or stride 0 touch nothing new and are dropped. The others are taken
    by increasing stride: while a stride does not exceed the contiguous block built so far,
    the block grows to ``stride * (size - 1) + block`` with no gap; the remaining (outer)
    dimensions are enumerated.

    Args:
        offset: first element of the view.
        sizes: the view's sizes.
        strides: the view's strides, in elements (non-negative, as torch requires).
        max_runs: budget; views that need more runs than this return ``None``.

    Returns:
        The runs, ``[]`` for an empty view, or ``None`` when over budget.
    """
    _check_layout(sizes, strides)
    return _element_runs(offset, sizes, strides, max_runs)


def _element_runs(
    offset: int, sizes: Sequence[int], strides: Sequence[int], max_runs: int
) -> list[tuple[int, int]] | None:
    if 0 in sizes:
        return []
    dims = sorted((s, n) for n, s in zip(sizes, strides, strict=True) if n > 1 and s > 0)
    block = 1
    inner = 0
    while inner < len(dims) and dims[inner][0] <= block:
        stride, size = dims[inner]
        block += stride * (size - 1)
        inner += 1
    outer = dims[inner:]
    if prod(n for _, n in outer) > max_runs:
        return None
    starts = [offset]
    for stride, size in outer:
        starts = [s + k * stride for s in starts for k in range(size)]
    starts.sort()
    runs: list[tuple[int, int]] = []
    for start in starts:
        if runs and start <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], start + block))
        else:
            runs.append((start, start + block))
    return runs


def union_length(ranges: Iterable[tuple[int, int]]) -> int:
    """Length of the union of half-open ranges (nested and overlapping ones counted once)."""
    total = 0
    reach: int | None = None
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if reach is None or start >= reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


class _UnionFind:
    """Disjoint sets over hashable labels, with path halving."""

    def __init__(self) -> None:
        self.parent: dict[Hashable, Hashable] = {}

    def find(self, x: Hashable) -> Hashable:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: Hashable, b: Hashable) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def clusters(ranges: Iterable[tuple[int, int, _L]]) -> list[list[_L]]:
    """The labels of each cluster of intersecting ranges, one entry per non-empty range.

    The sweep of :func:`overlap_components` without merging labels: a label owning several
    ranges may appear in several clusters. Clusters come in order of their first start.
    """
    out: list[list[_L]] = []
    max_end = 0
    for start, end, label in sorted(
        (item for item in ranges if item[1] > item[0]), key=lambda item: (item[0], item[1])
    ):
        if out and start < max_end:
            out[-1].append(label)
            max_end = max(max_end, end)
        else:
            out.append([label])
            max_end = end
    return out


def overlap_components(ranges: Iterable[tuple[int, int, _L]]) -> list[list[_L]]:
    """Labels connected by intersecting half-open ranges ``(start, end, label)``.

    Ranges are swept by start while tracking the largest end seen in the current cluster,
    so a range nested inside an earlier, longer one joins it (a sweep that compares with the
    previous range's end only would miss it). One label may own several ranges; labels
    whose ranges touch nothing else come back as one-element groups. Empty ranges are
    ignored. Groups are in order of first appearance of their labels in the input.
    """
    items = [(start, end, label) for start, end, label in ranges]
    first_seen: dict[_L, int] = {}
    for position, (_, _, label) in enumerate(items):
        first_seen.setdefault(label, position)
    sets = _UnionFind()
    max_end: int | None = None
    anchor: _L | None = None
    for start, end, label in sorted(
        (item for item in items if item[1] > item[0]), key=lambda item: (item[0], item[1])
    ):
        sets.find(label)
        if max_end is not None and anchor is not None and start < max_end:
            sets.union(anchor, label)
            max_end = max(max_end, end)
        else:
            anchor, max_end = label, end
    groups: dict[Hashable, list[_L]] = {}
    for label in sorted(first_seen, key=first_seen.__getitem__):
        if label in sets.parent:
            groups.setdefault(sets.find(label), []).append(label)
    return list(groups.values())
