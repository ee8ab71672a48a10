"""Every public name of tu.prune refuses bad arguments with a typed error naming the argument,
and does work bounded by its real input and result, whatever integers it is given."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tu.conv1d import Conv1D
from tu.prune import (
    UnsupportedLayerError,
    find_pruneable_heads_and_indices,
    prune_conv1d_layer,
    prune_heads,
    prune_layer,
    prune_linear_layer,
)

# Zero-width layers are part of the cases; nn.Linear warns when it builds one.
pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")

HUGE = [2**40, 2**62, 2**100]
#: Integers past what an int64 index tensor can hold when multiplied by any positive size.
HUGE_INTS = st.integers(min_value=2**61, max_value=2**200)
ANY_INTS = st.one_of(st.integers(-4, 16), HUGE_INTS, st.integers(-(2**200), -(2**40)))


@contextlib.contextmanager
def bounded(seconds: float = 2.0) -> Iterator[None]:
    """Fail when the block runs longer than ``seconds`` (a guard against unbounded work, not a
    speed test); an alarm interrupts a block that would never return."""

    def _alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {5 * seconds} s: unbounded work")

    armed = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if armed:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, 5 * seconds)
    start = time.perf_counter()
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.2f} s: work is not bounded by the input"


def _linear() -> nn.Linear:
    return nn.Linear(4, 6)


def _conv() -> Conv1D:
    return Conv1D(6, 4)


def _call_linear(**changes: Any) -> object:
    args: dict[str, Any] = {"layer": _linear(), "index": [0, 1], "dim": 0} | changes
    return prune_linear_layer(args["layer"], args["index"], args["dim"])


def _call_conv1d(**changes: Any) -> object:
    args: dict[str, Any] = {"layer": _conv(), "index": [0, 1], "dim": 1} | changes
    return prune_conv1d_layer(args["layer"], args["index"], args["dim"])


def _call_layer(**changes: Any) -> object:
    args: dict[str, Any] = {"layer": _linear(), "index": [0, 1], "dim": None} | changes
    return prune_layer(args["layer"], args["index"], args["dim"])


def _call_find(**changes: Any) -> object:
    args: dict[str, Any] = {
        "heads": [0],
        "n_heads": 4,
        "head_size": 2,
        "already_pruned_heads": set(),
    } | changes
    return find_pruneable_heads_and_indices(**args)


def _call_heads(**changes: Any) -> object:
    args: dict[str, Any] = {
        "heads": [0],
        "num_heads": 2,
        "head_size": 2,
        "q": nn.Linear(4, 4),
        "out": nn.Linear(4, 4),
    } | changes
    return prune_heads(**args)


#: Bad values every int parameter refuses with a TypeError.
NOT_INTS: list[object] = [
    True,
    False,
    np.bool_(True),
    torch.tensor(True),
    2.0,
    float("nan"),
    "2",
    None,
    [2],
    torch.tensor(2.0),
]
#: Bad values every "iterable of ints" parameter refuses with a TypeError.
NOT_INT_ITERABLES: list[object] = [
    None,
    3,
    True,
    "01",
    b"01",
    2.5,
    object(),
    [True],
    [np.bool_(False)],
    [0.5],
    ["0"],
    [None],
    torch.tensor([True]),
    torch.tensor([0.0]),
]

CASES: list[tuple[str, Callable[..., object], str, object, type[Exception]]] = []


def _add(
    label: str, call: Callable[..., object], param: str, values: list[object], error: type
) -> None:
    CASES.extend((label, call, param, value, error) for value in values)


for _label, _call, _layer_ok in [
    ("prune_linear_layer", _call_linear, _linear),
    ("prune_conv1d_layer", _call_conv1d, _conv),
]:
    wrong_layer: list[object] = [None, "layer", nn.Conv1d(4, 6, 1), torch.zeros(6, 4)]
    wrong_layer.append(_conv() if _call is _call_linear else _linear())
    _add(_label, _call, "layer", wrong_layer, TypeError)
    _add(_label, _call, "index", NOT_INT_ITERABLES, TypeError)
    _add(_label, _call, "index", [torch.tensor([[0, 1]]), torch.tensor(0)], ValueError)
    _add(
        _label, _call, "index", [[-1], [6], [2**100], range(2**62), range(-(2**62), 0)], IndexError
    )
    _add(_label, _call, "dim", [v for v in NOT_INTS if v is not None], TypeError)
    _add(_label, _call, "dim", [2, -3, *HUGE], IndexError)
_add("prune_layer", _call_layer, "layer", [None, "x", nn.Conv1d(4, 6, 1)], UnsupportedLayerError)
_add("prune_layer", _call_layer, "index", NOT_INT_ITERABLES, TypeError)
_add("prune_layer", _call_layer, "dim", [v for v in NOT_INTS if v is not None], TypeError)
_add("prune_layer", _call_layer, "dim", [2, *HUGE], IndexError)

_add("find_pruneable_heads_and_indices", _call_find, "heads", NOT_INT_ITERABLES, TypeError)
_add("find_pruneable_heads_and_indices", _call_find, "heads", [[4], [-1], [2**100]], IndexError)
_add("find_pruneable_heads_and_indices", _call_find, "heads", [range(2**62)], IndexError)
for _param in ("n_heads", "head_size"):
    _add("find_pruneable_heads_and_indices", _call_find, _param, NOT_INTS, TypeError)
    _add("find_pruneable_heads_and_indices", _call_find, _param, [-1, -(2**100)], ValueError)
    _add("find_pruneable_heads_and_indices", _call_find, _param, [2**62, 2**100], ValueError)
_add(
    "find_pruneable_heads_and_indices",
    _call_find,
    "already_pruned_heads",
    NOT_INT_ITERABLES,
    TypeError,
)
_add("find_pruneable_heads_and_indices", _call_find, "already_pruned_heads", [[9]], IndexError)

for _param in ("num_heads", "head_size", "num_key_value_heads"):
    _add("prune_heads", _call_heads, _param, [v for v in NOT_INTS if v is not None], TypeError)
    _add("prune_heads", _call_heads, _param, [-1], ValueError)
_add("prune_heads", _call_heads, "num_heads", [None], TypeError)
_add("prune_heads", _call_heads, "head_size", [None], TypeError)
_add("prune_heads", _call_heads, "num_heads", [3, *HUGE], ValueError)
_add("prune_heads", _call_heads, "head_size", [3, *HUGE], ValueError)
for _param in ("heads", "kv_heads", "already_pruned_heads"):
    _add("prune_heads", _call_heads, _param, NOT_INT_ITERABLES, TypeError)
_add(
    "prune_heads",
    _call_heads,
    "already_pruned_kv_heads",
    [v for v in NOT_INT_ITERABLES if v is not None],
    TypeError,
)
_add("prune_heads", _call_heads, "heads", [[2], [-1], [2**100], range(2**62)], IndexError)
_add("prune_heads", _call_heads, "kv_heads", [[2], range(2**62)], IndexError)
for _param in ("q", "k", "v", "out"):
    _add("prune_heads", _call_heads, _param, ["x", nn.Conv1d(4, 4, 1)], UnsupportedLayerError)
    _add("prune_heads", _call_heads, _param, [nn.Linear(5, 5), Conv1D(5, 5)], ValueError)


def _case_id(case: tuple[str, Callable[..., object], str, object, type[Exception]]) -> str:
    label, _, param, value, error = case
    shown = repr(value) if len(repr(value)) < 30 else type(value).__name__
    return f"{label}-{param}={shown}-{error.__name__}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_bad_argument_is_a_typed_error_naming_it(
    case: tuple[str, Callable[..., object], str, object, type[Exception]],
) -> None:
    _, call, param, value, error = case
    # Generous: the call also builds the layers it is given (a first use may load torch code).
    with bounded(5.0), pytest.raises(error) as caught:
        call(**{param: value})
    assert param in str(caught.value), f"the message does not name {param}: {caught.value}"


def test_every_public_callable_is_covered_by_the_table() -> None:
    import tu.prune

    covered = {label for label, *_ in CASES}
    callables = {
        name
        for name in tu.prune.__all__
        if callable(getattr(tu.prune, name))
        and not isinstance(getattr(tu.prune, name), type)
        and not name.startswith("_")
    }
    assert callables <= covered, callables - covered


@pytest.mark.parametrize(
    "index",
    [
        torch.tensor([0, 2]),
        torch.tensor([0, 2], dtype=torch.int32),
        np.array([0, 2]),
        (0, 2),
        range(0, 4, 2),
        [np.int64(0), torch.tensor(2)],
        iter([0, 2]),
    ],
    ids=["int64", "int32", "numpy", "tuple", "range", "mixed", "iterator"],
)
def test_transformers_compatible_index_kinds_stay_accepted(index: object) -> None:
    layer = _linear()
    pruned = prune_linear_layer(layer, index)  # type: ignore[arg-type]
    torch.testing.assert_close(pruned.weight, layer.weight[[0, 2]], rtol=0, atol=0)


def test_numpy_ints_count_as_ints() -> None:
    heads, index = find_pruneable_heads_and_indices(np.array([1]), np.int64(3), np.int32(2))  # type: ignore[arg-type]
    assert heads == {1}
    assert index.tolist() == [0, 1, 4, 5]
    assert prune_linear_layer(_linear(), [0], dim=np.int64(1)).weight.shape == (6, 1)  # type: ignore[arg-type]


# Bounded work: huge integers answer at once, with a result or a typed error.


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (([0], 2**40, 2**30), ValueError),  # the case: 2**70 positions
        (([0], 2**62, 1), ValueError),
        (([0], 2**100, 2**100), ValueError),
        (([0], 1, 2**100), ValueError),
        ((range(2**62), 4, 2), IndexError),
        (([2**100], 4, 2), IndexError),
    ],
)
def test_huge_sizes_raise_at_once(args: tuple[Any, ...], error: type[Exception]) -> None:
    with bounded(), pytest.raises(error):
        find_pruneable_heads_and_indices(*args)


@pytest.mark.parametrize("n_heads", HUGE)
def test_huge_head_count_of_size_zero_answers_at_once(n_heads: int) -> None:
    with bounded():
        heads, index = find_pruneable_heads_and_indices([0, 5], n_heads, 0, {3})
    assert heads == {0, 5}
    assert index.shape == (0,)


def test_work_scales_with_the_result_not_the_head_count() -> None:
    """A million heads, all but two pruned: the kept index is two heads long."""
    n_heads = 2**20
    with bounded():
        heads, index = find_pruneable_heads_and_indices(range(2, n_heads), n_heads, 3)
    assert len(heads) == n_heads - 2
    assert index.tolist() == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("num_heads", HUGE)
def test_prune_heads_with_huge_head_counts_answers_at_once(num_heads: int) -> None:
    q = nn.Linear(4, 0)
    with bounded():
        result = prune_heads([0, 7], num_heads=num_heads, head_size=0, q=q)
        grouped = prune_heads(
            [0, 1],
            num_heads=num_heads,
            head_size=0,
            num_key_value_heads=num_heads // 2,
            q=q,
        )
        with pytest.raises(ValueError, match="unequal numbers"):
            prune_heads([0], num_heads=num_heads, head_size=0, num_key_value_heads=2, q=q)
    assert result.num_heads == num_heads - 2
    assert grouped.num_heads == num_heads - 2
    assert grouped.num_key_value_heads == num_heads // 2 - 1
    assert grouped.newly_pruned_kv_heads == {0}


def _reference_index(heads: set[int], n_heads: int, head_size: int, already: set[int]) -> list[int]:
    alive = sorted(set(range(n_heads + len(already))) - already)
    kept: list[int] = []
    for position, head in enumerate(alive):
        if head not in heads:
            kept.extend(range(position * head_size, (position + 1) * head_size))
    return kept


@settings(max_examples=150, deadline=None)
@given(
    n_heads=ANY_INTS,
    head_size=ANY_INTS,
    heads=st.lists(st.one_of(st.integers(-2, 20), HUGE_INTS), max_size=6),
    already=st.sets(st.integers(0, 20), max_size=4),
)
def test_any_ints_give_a_correct_result_or_a_typed_error_at_once(
    n_heads: int, head_size: int, heads: list[int], already: set[int]
) -> None:
    with bounded():
        try:
            got_heads, index = find_pruneable_heads_and_indices(heads, n_heads, head_size, already)
        except (ValueError, IndexError):
            return
    total = n_heads + len(already)
    assert n_heads >= 0 and head_size >= 0 and all(0 <= head < total for head in heads)
    assert all(0 <= head < total for head in already)
    assert got_heads == set(heads) - already
    if n_heads <= 64:
        assert index.tolist() == _reference_index(got_heads, n_heads, head_size, already)
    else:  # only possible with head_size 0 here: no position is kept
        assert head_size == 0
        assert index.numel() == 0


@settings(max_examples=100, deadline=None)
@given(
    num_heads=ANY_INTS,
    head_size=ANY_INTS,
    num_kv=st.one_of(st.none(), ANY_INTS),
    heads=st.lists(st.one_of(st.integers(-1, 8), HUGE_INTS), max_size=4),
)
def test_prune_heads_any_ints_give_a_result_or_a_typed_error_at_once(
    num_heads: int, head_size: int, num_kv: int | None, heads: list[int]
) -> None:
    q, out = nn.Linear(4, 4), nn.Linear(4, 4)
    with bounded():
        try:
            result = prune_heads(
                heads,
                num_heads=num_heads,
                head_size=head_size,
                num_key_value_heads=num_kv,
                q=q,
                out=out,
            )
        except (ValueError, IndexError):
            return
    assert num_heads * head_size == 4
    assert result.num_heads == num_heads - len(set(heads))
    assert result.q is not None
    assert result.q.weight.shape == (result.num_heads * head_size, 4)


@settings(max_examples=100, deadline=None)
@given(
    size=st.integers(0, 8),
    index=st.lists(st.one_of(st.integers(-3, 10), HUGE_INTS, HUGE_INTS.map(lambda v: -v))),
    dim=st.one_of(st.integers(-3, 2), HUGE_INTS),
)
def test_prune_linear_any_ints_give_a_result_or_a_typed_error_at_once(
    size: int, index: list[int], dim: int
) -> None:
    layer = nn.Linear(size, size + 1)
    with bounded():
        try:
            pruned = prune_linear_layer(layer, index, dim=dim)
        except IndexError:
            return
    axis = dim % 2
    expected = layer.weight.index_select(axis, torch.tensor(index, dtype=torch.long))
    torch.testing.assert_close(pruned.weight, expected, rtol=0, atol=0)


def test_an_index_too_large_for_memory_is_a_value_error_naming_the_sizes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The kept index is allocated first; the allocator's refusal becomes a ValueError."""

    def refuse(*args: object, **kwargs: object) -> torch.Tensor:
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory")

    monkeypatch.setattr(torch, "empty", refuse)
    with pytest.raises(ValueError, match=r"n_heads=1073741824 and head_size=1048576") as caught:
        find_pruneable_heads_and_indices([0], 2**30, 2**20)
    assert isinstance(caught.value.__cause__, RuntimeError)
