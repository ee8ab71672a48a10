"""Every public name of tu.chunk refuses bad arguments with a typed error naming the argument,
and does work bounded by its real input, whatever integers it is given."""

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

from tu.chunk import Chunked, ForwardArityError, apply_chunking_to_forward, chunked

HUGE = [2**40, 2**62, 2**63, 2**100]
HUGE_INTS = st.integers(min_value=2**40, max_value=2**200)
ANY_INTS = st.one_of(st.integers(-6, 12), HUGE_INTS, HUGE_INTS.map(lambda value: -value))


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


def _double(x: torch.Tensor, *more: torch.Tensor) -> torch.Tensor:
    return x * 2


def _call_apply(**changes: Any) -> object:
    args: dict[str, Any] = {
        "forward_fn": _double,
        "chunk_size": 2,
        "chunk_dim": 1,
        "input_tensors": (torch.ones(2, 5),),
    } | changes
    return apply_chunking_to_forward(
        args["forward_fn"], args["chunk_size"], args["chunk_dim"], *args["input_tensors"]
    )


def _call_chunked(**changes: Any) -> object:
    args: dict[str, Any] = {"module_or_fn": nn.Linear(5, 5), "chunk_size": 2, "chunk_dim": 0}
    args |= changes
    return chunked(args["module_or_fn"], args["chunk_size"], args["chunk_dim"])


def _call_class(**changes: Any) -> object:
    args: dict[str, Any] = {"module_or_fn": nn.Linear(5, 5), "chunk_size": 2, "chunk_dim": 0}
    args |= changes
    return Chunked(args["module_or_fn"], args["chunk_size"], args["chunk_dim"])


def _call_setter(**changes: Any) -> object:
    wrapper = chunked(nn.Linear(5, 5), 2, 0)
    for name, value in changes.items():
        setattr(wrapper, name, value)
    return wrapper


def _call_wrapper(**changes: Any) -> object:
    args: dict[str, Any] = {"inputs": (torch.ones(4, 5),)} | changes
    return chunked(nn.Linear(5, 5), 2, 0)(*args["inputs"])


#: Bad values the int parameters refuse with a TypeError (bools first: they are ints to Python).
NOT_INTS: list[object] = [
    True,
    False,
    np.bool_(True),
    torch.tensor(True),
    2.0,
    float("inf"),
    "2",
    None,
    [2],
    (2,),
    torch.tensor(2.0),
    torch.tensor([2]),
]

CASES: list[tuple[str, Callable[..., object], str, object, type[Exception]]] = []


def _add(
    label: str, call: Callable[..., object], param: str, values: list[object], error: type
) -> None:
    CASES.extend((label, call, param, value, error) for value in values)


_add("apply_chunking_to_forward", _call_apply, "forward_fn", [None, 3, "f"], TypeError)
_add("apply_chunking_to_forward", _call_apply, "forward_fn", [lambda: None], ForwardArityError)
_add("apply_chunking_to_forward", _call_apply, "chunk_size", NOT_INTS, TypeError)
_add("apply_chunking_to_forward", _call_apply, "chunk_dim", NOT_INTS, TypeError)
_add("apply_chunking_to_forward", _call_apply, "chunk_dim", [2, -3, *HUGE], IndexError)
_add("apply_chunking_to_forward", _call_apply, "input_tensors", [()], TypeError)
_add(
    "apply_chunking_to_forward",
    _call_apply,
    "input_tensors",
    [([1.0, 2.0],), (None,), (np.ones((2, 5)),), (torch.ones(2, 5), 3)],
    TypeError,
)
_add(
    "apply_chunking_to_forward",
    _call_apply,
    "input_tensors",
    [(torch.ones(2, 5), torch.ones(2, 4))],
    ValueError,
)
for _label, _call in [("chunked", _call_chunked), ("Chunked", _call_class)]:
    _add(_label, _call, "module_or_fn", [None, 3, "f", torch.ones(2)], TypeError)
    _add(_label, _call, "chunk_size", NOT_INTS, TypeError)
    _add(_label, _call, "chunk_dim", NOT_INTS, TypeError)
_add("Chunked.chunk_size", _call_setter, "chunk_size", NOT_INTS, TypeError)
_add("Chunked.chunk_dim", _call_setter, "chunk_dim", NOT_INTS, TypeError)
_add("Chunked.forward", _call_wrapper, "inputs", [(), ([1.0] * 5,)], TypeError)


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
    # The wrapper's inputs reach apply_chunking_to_forward as its input_tensors.
    named = "input_tensors" if param == "inputs" else param
    assert named in str(caught.value), f"the message does not name {named}: {caught.value}"


def test_every_public_callable_is_covered_by_the_table() -> None:
    import tu.chunk

    covered = {label for label, *_ in CASES}
    public = {
        name
        for name in tu.chunk.__all__
        if callable(getattr(tu.chunk, name))
        and not (
            isinstance(getattr(tu.chunk, name), type)
            and issubclass(getattr(tu.chunk, name), Exception)
        )
    }
    assert public <= covered, public - covered


def test_a_bad_reassignment_leaves_the_wrapper_as_it_was() -> None:
    wrapper = chunked(nn.Linear(5, 5), 2, 0)
    with pytest.raises(TypeError, match="chunk_size"):
        wrapper.chunk_size = True  # type: ignore[assignment]
    assert wrapper.chunk_size == 2
    wrapper.chunk_size = np.int64(3)  # type: ignore[assignment]
    assert wrapper.chunk_size == 3
    assert type(wrapper.chunk_size) is int


@pytest.mark.parametrize(
    ("chunk_size", "chunk_dim"),
    [(np.int64(2), np.int32(1)), (torch.tensor(2), torch.tensor(1)), (2, -1)],
    ids=["numpy", "tensor", "int"],
)
def test_integer_like_sizes_stay_accepted(chunk_size: object, chunk_dim: object) -> None:
    x = torch.arange(10.0).reshape(2, 5)
    y = apply_chunking_to_forward(_double, chunk_size, chunk_dim, x)  # type: ignore[arg-type]
    torch.testing.assert_close(y, x * 2, rtol=0, atol=0)


# Bounded work: the number of chunks is bounded by the input's length, whatever the ints.


@pytest.mark.parametrize("chunk_size", [*HUGE, *(-value for value in HUGE)])
def test_huge_chunk_sizes_call_forward_once(chunk_size: int) -> None:
    calls = []

    def forward(x: torch.Tensor) -> torch.Tensor:
        calls.append(x.shape)
        return x + 1

    x = torch.zeros(3, 7)
    with bounded():
        y = apply_chunking_to_forward(forward, chunk_size, 1, x)
    assert calls == [(3, 7)]
    torch.testing.assert_close(y, x + 1, rtol=0, atol=0)


@settings(max_examples=150, deadline=None)
@given(chunk_size=ANY_INTS, chunk_dim=ANY_INTS, length=st.integers(0, 9))
def test_any_ints_give_the_unchunked_result_or_a_typed_error_at_once(
    chunk_size: int, chunk_dim: int, length: int
) -> None:
    x = torch.arange(2.0 * length * 3).reshape(2, length, 3)
    calls: list[int] = []

    def forward(piece: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return piece * 3 - 1

    with bounded():
        try:
            y = apply_chunking_to_forward(forward, chunk_size, chunk_dim, x)
        except IndexError:
            assert not -3 <= chunk_dim < 3
            return
    torch.testing.assert_close(y, x * 3 - 1, rtol=0, atol=0)
    if chunk_size <= 0:
        assert len(calls) == 1
    else:  # never more chunks than positions along chunk_dim (in range, or it raised)
        assert len(calls) <= max(1, x.shape[chunk_dim])
