"""find_pruneable_heads_and_indices: transformers' values, plus checked arguments."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tu.prune import find_pruneable_heads_and_indices


def _reference(
    heads: set[int], n_heads: int, head_size: int, already: set[int]
) -> tuple[set[int], list[int]]:
    """Straight from the definition: drop pruned heads, keep the rest of the current layout."""
    alive = sorted(set(range(n_heads + len(already))) - already)
    to_prune = heads - already
    kept: list[int] = []
    for position, head in enumerate(alive):
        if head not in to_prune:
            kept.extend(range(position * head_size, (position + 1) * head_size))
    return to_prune, kept


def test_documented_example() -> None:
    heads, index = find_pruneable_heads_and_indices([0, 2], 4, 3, set())
    assert heads == {0, 2}
    assert index.dtype == torch.long
    assert index.tolist() == [3, 4, 5, 9, 10, 11]


def test_already_pruned_heads_shift_later_heads_down() -> None:
    # 5 heads originally, head 1 gone: current layout is heads 0, 2, 3, 4.
    heads, index = find_pruneable_heads_and_indices([3, 1], 4, 2, {1})
    assert heads == {3}
    assert index.tolist() == [0, 1, 2, 3, 6, 7]


def test_nothing_to_prune_keeps_everything() -> None:
    heads, index = find_pruneable_heads_and_indices([], 3, 2, set())
    assert heads == set()
    assert index.tolist() == list(range(6))


def test_pruning_every_head_gives_an_empty_index() -> None:
    heads, index = find_pruneable_heads_and_indices(range(4), 4, 8, set())
    assert heads == {0, 1, 2, 3}
    assert index.shape == (0,)
    assert index.dtype == torch.long


def test_accepts_sets_lists_tuples_and_tensors() -> None:
    expected = find_pruneable_heads_and_indices([1], 3, 2, set())[1]
    kinds: list[object] = [{1}, (1,), torch.tensor([1]), [torch.tensor(1)]]
    for heads in kinds:
        got = find_pruneable_heads_and_indices(heads, 3, 2, [])[1]  # type: ignore[arg-type]
        assert torch.equal(got, expected)


def test_returned_heads_are_plain_ints() -> None:
    heads, _ = find_pruneable_heads_and_indices(torch.tensor([1, 2]), 4, 1, set())
    assert heads == {1, 2}
    assert all(type(head) is int for head in heads)


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(0, 12),
    head_size=st.integers(0, 5),
    data=st.data(),
)
def test_matches_the_definition(total: int, head_size: int, data: st.DataObject) -> None:
    already = (
        data.draw(st.sets(st.integers(0, max(total - 1, 0)), max_size=total)) if total else set()
    )
    heads = data.draw(st.sets(st.integers(0, total - 1))) if total else set()
    n_heads = total - len(already)
    got_heads, index = find_pruneable_heads_and_indices(heads, n_heads, head_size, already)
    want_heads, want_index = _reference(heads, n_heads, head_size, already)
    assert got_heads == want_heads
    assert index.tolist() == want_index


@pytest.mark.parametrize(
    ("heads", "n_heads", "already", "match"),
    [
        ([4], 4, set(), r"heads must be in \[0, 4\), got \[4\]"),
        ([-1], 4, set(), r"heads must be in \[0, 4\), got \[-1\]"),
        ([5], 4, {0}, r"heads must be in \[0, 5\)"),
        ([0], 4, {7}, r"already_pruned_heads must be in \[0, 5\)"),
    ],
)
def test_heads_out_of_range_are_an_index_error(
    heads: list[int], n_heads: int, already: set[int], match: str
) -> None:
    with pytest.raises(IndexError, match=match):
        find_pruneable_heads_and_indices(heads, n_heads, 2, already)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (([0], 4.0, 2, set()), TypeError, "n_heads must be an int"),
        (([0], 4, -1, set()), ValueError, "head_size must be >= 0"),
        ((0, 4, 2, set()), TypeError, "heads must be an iterable of ints"),
        ((["0"], 4, 2, set()), TypeError, "heads must hold ints"),
        (([True], 4, 2, set()), TypeError, "heads must hold ints, got a bool"),
        (([0], 4, 2, None), TypeError, "already_pruned_heads must be an iterable"),
    ],
)
def test_bad_arguments_are_typed_errors(
    args: tuple[object, ...], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        find_pruneable_heads_and_indices(*args)  # type: ignore[arg-type]
