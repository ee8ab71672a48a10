"""Bad input to every public name of tu.devices: a TypeError / ValueError naming the argument.

The table covers every callable in ``tu.devices.__all__`` (a new public name without an entry
fails ``test_table_covers_every_public_name``); each row is one bad call. Anything else
escaping (a RuntimeError or OverflowError from torch, a RecursionError) fails the test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tu.devices
from tu.devices import move_to_device
from tu.devices._move import MAX_DEPTH

T = torch.tensor([1, 2, 3])
HUGE_INT = 10**5000

DEVICES_BAD = [True, False, 1.5, [0], b"cpu", "gpu", "cuda:x", -1, HUGE_INT, "cpu:" + "9" * 50]


def _nested(depth: int) -> Any:
    value: Any = torch.ones(1)
    for _ in range(depth):
        value = [value]
    return value


def _cycle() -> list[Any]:
    loop: list[Any] = [torch.ones(1)]
    loop.append({"again": loop})
    return loop


BAD: dict[str, list[tuple[tuple[Any, ...], dict[str, Any], str]]] = {
    **{
        name: [
            *(((v, [1]), {}, "elements") for v in ([1, 2], None, 3, "ab")),
            *(((T, v), {}, "test_elements") for v in ("ab", b"a", True, [True], [1, "a"], None)),
            *(((T, v), {}, "test_elements") for v in ({1: 2}, [[1]], [2**70], 2**70, -(2**64))),
        ]
        for name in ("isin_mps_friendly", "isin_broadcast")
    },
    "isin_needs_fallback": [
        *(((v, True, True, 14), {}, "device_type") for v in (1, None, torch.device("mps"))),
        *((("mps", v, True, 14), {}, "integer_inputs") for v in (1, "yes", None)),
        *((("mps", True, v, 14), {}, "torch_has_mps_isin") for v in (0, "no", None)),
        *((("mps", True, True, v), {}, "macos_major") for v in (True, "14", 14.0)),
    ],
    "move_to_device": [
        *(((T, v), {}, "device") for v in (*DEVICES_BAD, None)),
        *(((T, "cpu"), {"non_blocking": v}, "non_blocking") for v in ("yes", 1, None)),
        ((_nested(MAX_DEPTH + 1), "cpu"), {}, "value"),
        ((_cycle(), "cpu"), {}, "value"),
    ],
    **{
        name: [((v,), {}, "device") for v in DEVICES_BAD]
        for name in ("synchronize", "empty_cache", "memory_allocated")
    },
    "device_count": [((v,), {}, "device_type") for v in (True, 0, 1.5, "gpu", [None])],
    "manual_seed": [
        ((v,), {}, "seed") for v in (True, 1.5, "1", None, 2**64, -(2**63) - 1, HUGE_INT)
    ],
}

NO_ARGUMENTS = {"infer_device", "available_device_types"}
NOT_CALLABLE = {"__version__", "DEVICE_ENV_VAR", "DEVICE_TYPES", "DeviceLike", "IsinTestElements"}


def _names(argument: str, message: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(argument)}(?!\w)", message) is not None


def test_table_covers_every_public_name() -> None:
    assert set(BAD) | NO_ARGUMENTS | NOT_CALLABLE == set(tu.devices.__all__)


CASES = [
    pytest.param(name, args, kwargs, argument, id=f"{name}-{argument}-{i}")
    for name, rows in BAD.items()
    for i, (args, kwargs, argument) in enumerate(rows)
]


@pytest.mark.parametrize(("name", "args", "kwargs", "argument"), CASES)
def test_bad_input_is_a_typed_error_naming_the_argument(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    function = getattr(tu.devices, name)
    with pytest.raises((TypeError, ValueError)) as caught:
        function(*args, **kwargs)
    message = str(caught.value)
    assert _names(argument, message), f"{name}: {message!r} does not name {argument!r}"
    assert len(message) < 400  # the offending value is never echoed in full


@pytest.mark.parametrize("name", sorted(NO_ARGUMENTS))
def test_no_argument_names_refuse_arguments(name: str) -> None:
    with pytest.raises(TypeError):
        getattr(tu.devices, name)(1)


def test_move_nesting_limit_is_exact_and_shared_references_are_no_cycle() -> None:
    moved = move_to_device(_nested(MAX_DEPTH), "meta")
    for _ in range(MAX_DEPTH):
        moved = moved[0]
    assert moved.device.type == "meta"
    shared = [torch.ones(1)]
    pair = move_to_device({"a": shared, "b": shared, "c": (shared, shared)}, "meta")
    assert pair["b"][0].device.type == "meta"
    assert pair["c"][1][0].device.type == "meta"


def test_move_checks_the_device_even_without_tensors() -> None:
    with pytest.raises(ValueError, match="device"):
        move_to_device({"no": "tensors"}, "gpu")
    assert move_to_device({"no": "tensors"}, torch.device("cpu")) == {"no": "tensors"}


@pytest.mark.parametrize(
    "dtype", [torch.bool, torch.complex64, torch.complex128], ids=lambda d: str(d)
)
def test_isin_takes_the_dtypes_torch_isin_refuses(dtype: torch.dtype) -> None:
    elements = torch.tensor([[0, 1], [2, 1]]).to(dtype)
    test = torch.tensor([1]).to(dtype)
    expected = (elements.unsqueeze(-1) == test).any(-1)
    assert torch.equal(tu.devices.isin_mps_friendly(elements, test), expected)
    assert torch.equal(tu.devices.isin_mps_friendly(elements, [1]), expected)
    assert torch.equal(tu.devices.isin_broadcast(elements, test), expected)
    mixed = tu.devices.isin_mps_friendly(torch.tensor([1, 2, 3]), torch.tensor([True]))
    assert mixed.tolist() == [True, False, False]


def test_isin_bool_elements_compare_like_equality() -> None:
    flags = torch.tensor([True, False])
    assert tu.devices.isin_mps_friendly(flags, 0.5).tolist() == [False, False]
    assert tu.devices.isin_mps_friendly(flags, [0]).tolist() == [False, True]


device_inputs = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"(cpu|meta|cuda|mps|gpu|xla)(:[0-9]{0,30})?", fullmatch=True),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True),
)


@settings(max_examples=200, deadline=None)
@given(device_inputs)
def test_any_device_argument_works_or_is_a_named_error(device: Any) -> None:
    for function, argument in (
        (lambda: tu.devices.synchronize(device), "device"),
        (lambda: tu.devices.memory_allocated(device), "device"),
        (lambda: move_to_device([torch.ones(1)], device), "device"),
        (lambda: tu.devices.device_count(device), "device_type"),
    ):
        message = ""
        try:
            function()
        except (TypeError, ValueError) as exc:
            message = str(exc)
        if message:
            assert _names(argument, message), message


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.lists(st.one_of(st.integers(-(2**70), 2**70), st.floats()), max_size=5),
        st.text(max_size=5),
        st.booleans(),
    )
)
def test_any_test_elements_give_isin_or_a_named_error(test_elements: Any) -> None:
    elements = torch.tensor([[0, 1], [2, 3]])
    message = ""
    try:
        got = tu.devices.isin_mps_friendly(elements, test_elements)
    except (TypeError, ValueError) as exc:
        message = str(exc)
    if message:
        assert _names("test_elements", message), message
    else:
        assert got.shape == elements.shape
        assert torch.equal(got, tu.devices.isin_broadcast(elements, test_elements))
