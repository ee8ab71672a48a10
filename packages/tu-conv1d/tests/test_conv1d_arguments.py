"""Every public name of tu.conv1d refuses bad arguments with a typed error naming the argument,
and sizes past what a tensor can hold fail at once, before torch allocates anything."""

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

from tu.conv1d import Conv1D, conv1d_module_names, is_conv1d, transpose_conv1d_weights

HUGE = [2**40, 2**62, 2**100]


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


def _call_conv1d(**changes: Any) -> object:
    args: dict[str, Any] = {"nf": 4, "nx": 3} | changes
    return Conv1D(**args)


def _call_from_linear(**changes: Any) -> object:
    args: dict[str, Any] = {"linear": nn.Linear(3, 4)} | changes
    return Conv1D.from_linear(args["linear"])


def _call_forward(**changes: Any) -> object:
    args: dict[str, Any] = {"x": torch.ones(2, 3)} | changes
    return Conv1D(4, 3)(args["x"])


def _call_names(**changes: Any) -> object:
    args: dict[str, Any] = {"model": nn.Sequential(Conv1D(4, 3))} | changes
    return conv1d_module_names(args["model"])


def _call_transpose(**changes: Any) -> object:
    args: dict[str, Any] = {
        "state_dict": {"c.weight": torch.zeros(3, 4), "c.bias": torch.zeros(4)},
        "module_names": ["c"],
        "strict": True,
    } | changes
    return transpose_conv1d_weights(args["state_dict"], args["module_names"], strict=args["strict"])


NOT_INTS: list[object] = [
    True,
    np.bool_(False),
    torch.tensor(True),
    4.0,
    "4",
    None,
    [4],
    torch.tensor([4]),
    torch.tensor(4.0),
]

CASES: list[tuple[str, Callable[..., object], str, object, type[Exception]]] = []


def _add(
    label: str, call: Callable[..., object], param: str, values: list[object], error: type
) -> None:
    CASES.extend((label, call, param, value, error) for value in values)


for _param in ("nf", "nx"):
    _add("Conv1D", _call_conv1d, _param, NOT_INTS, TypeError)
    _add("Conv1D", _call_conv1d, _param, [-1, -(2**100), 2**62, 2**100], ValueError)
_add("Conv1D", _call_conv1d, "bias", [1, 0, None, "yes", torch.tensor(True)], TypeError)
_add("Conv1D", _call_conv1d, "device", [1.5, object(), True, ["cpu"]], TypeError)
_add("Conv1D", _call_conv1d, "device", ["bogus", "cpu:x"], ValueError)
_add("Conv1D", _call_conv1d, "dtype", ["float32", float, np.float32, 3], TypeError)
_add("Conv1D", _call_conv1d, "dtype", [torch.int64, torch.bool, torch.uint8], ValueError)
_add("Conv1D.from_linear", _call_from_linear, "linear", [None, Conv1D(4, 3), "x"], TypeError)
_add("Conv1D.from_linear", _call_from_linear, "linear", [nn.Conv1d(3, 4, 1)], TypeError)
_add("Conv1D.forward", _call_forward, "x", [None, [1.0, 2.0, 3.0], np.ones((2, 3))], TypeError)
_add("conv1d_module_names", _call_names, "model", [None, "m", [Conv1D(4, 3)]], TypeError)
_add(
    "transpose_conv1d_weights",
    _call_transpose,
    "state_dict",
    [None, [("c.weight", torch.zeros(3, 4))], "c.weight"],
    TypeError,
)
_add(
    "transpose_conv1d_weights",
    _call_transpose,
    "module_names",
    ["c", b"c", None, 3, [1], [None]],
    TypeError,
)
_add("transpose_conv1d_weights", _call_transpose, "module_names", [["nothing"]], KeyError)
_add("transpose_conv1d_weights", _call_transpose, "strict", [1, None, "yes"], TypeError)
_add(
    "transpose_conv1d_weights",
    _call_transpose,
    "state_dict",
    [{"c.weight": [[0.0]]}, {1: torch.zeros(2, 2)}],
    TypeError,
)
_add(
    "transpose_conv1d_weights",
    _call_transpose,
    "state_dict",
    [{"c.weight": torch.zeros(3)}],
    ValueError,
)


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
    import tu.conv1d

    covered = {label for label, *_ in CASES} | {"is_conv1d"}  # is_conv1d takes anything
    public = {name for name in tu.conv1d.__all__ if callable(getattr(tu.conv1d, name))}
    assert public <= covered, public - covered


@settings(max_examples=50, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.text(max_size=5),
        st.builds(nn.Linear, st.integers(1, 3), st.integers(1, 3)),
        st.builds(object),
    )
)
def test_is_conv1d_answers_false_for_anything_that_is_not_a_conv1d(value: object) -> None:
    assert is_conv1d(value) is False


@pytest.mark.parametrize(
    ("nf", "nx"), [(np.int64(4), np.int32(3)), (torch.tensor(4), torch.tensor(3)), (4, 3)]
)
def test_integer_like_sizes_stay_accepted(nf: object, nx: object) -> None:
    layer = Conv1D(nf, nx)  # type: ignore[arg-type]
    assert (layer.nf, layer.nx) == (4, 3)
    assert type(layer.nf) is int
    assert layer.weight.shape == (3, 4)


@pytest.mark.parametrize("device", [torch.device("cpu"), "cpu", "meta"])
def test_devices_given_every_documented_way_are_accepted(device: object) -> None:
    layer = Conv1D(4, 3, device=device)  # type: ignore[arg-type]
    assert layer.weight.device.type == torch.device(device).type  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("nf", "nx"), [(2**40, 2**40), (2**62, 2), (2**100, 1), (1, 2**100), (2**61, 0)]
)
def test_sizes_past_what_a_tensor_holds_fail_at_once(nf: int, nx: int) -> None:
    with bounded(), pytest.raises(ValueError, match=r"nx|nf") as caught:
        Conv1D(nf, nx, device="meta")
    assert "more than a tensor" in str(caught.value)
    with bounded(), pytest.raises(ValueError, match="more than a tensor"):
        Conv1D(nf, nx)


@settings(max_examples=100, deadline=None)
@given(
    nf=st.one_of(st.integers(-3, 8), st.integers(2**40, 2**200), st.integers(-(2**200), -1)),
    nx=st.one_of(st.integers(-3, 8), st.integers(2**40, 2**200)),
    dtype=st.sampled_from([torch.float32, torch.float16, torch.float64]),
)
def test_any_ints_build_a_meta_layer_or_raise_a_typed_error_at_once(
    nf: int, nx: int, dtype: torch.dtype
) -> None:
    with bounded():
        try:
            layer = Conv1D(nf, nx, device="meta", dtype=dtype)
        except ValueError:
            limit = (2**63 - 1) // torch.empty((), dtype=dtype).element_size()
            # the bias (nf elements, bias=True by default) must fit a tensor too
            assert nf < 0 or nx < 0 or max(nf, nx) > 2**63 - 1 or nf * nx > limit or nf > limit
            return
    assert layer.weight.shape == (nx, nf)
    assert layer.weight.dtype == dtype
