"""isin_mps_friendly and its fallback equal torch.isin for every shape and input kind."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tu.devices._isin as isin_module
from tu.devices import isin_broadcast, isin_mps_friendly, isin_needs_fallback


def _isin_supports(dtype: torch.dtype) -> bool:
    """Whether this torch's CPU torch.isin takes ``dtype`` (half and bfloat16 came late)."""
    try:
        torch.isin(torch.zeros(1, dtype=dtype), torch.zeros(1, dtype=dtype))
        torch.isin(torch.zeros(1, dtype=dtype), 0.0)
    except RuntimeError:
        return False
    return True


# Dtypes this torch's torch.isin supports on the CPU (bool and complex it refuses everywhere).
DTYPES = [
    dtype
    for dtype in (
        torch.uint8,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
        torch.float32,
        torch.float64,
        torch.float16,
        torch.bfloat16,
    )
    if _isin_supports(dtype)
]

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
values = st.integers(-3, 5)


@st.composite
def tensors(draw: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
    shape = draw(shapes)
    dtype = dtype if dtype is not None else draw(st.sampled_from(DTYPES))
    n = 1
    for size in shape:
        n *= size
    data = draw(st.lists(values, min_size=n, max_size=n))
    if dtype == torch.uint8:
        data = [abs(x) for x in data]
    return torch.tensor(data, dtype=torch.int64).reshape(shape).to(dtype)


@settings(max_examples=150, deadline=None)
@given(tensors(), tensors())
def test_tensor_test_elements_match_torch_isin(elements: torch.Tensor, test: torch.Tensor) -> None:
    expected = torch.isin(elements, test)
    for function in (isin_mps_friendly, isin_broadcast):
        got = function(elements, test)
        assert got.dtype == torch.bool
        assert got.shape == elements.shape
        assert torch.equal(got, expected)


@settings(max_examples=80, deadline=None)
@given(tensors(), st.one_of(values, values.map(float), st.floats(-3, 5), st.just(float("nan"))))
def test_scalar_test_elements_match_torch_isin(elements: torch.Tensor, scalar: float) -> None:
    expected = torch.isin(elements, scalar)
    assert torch.equal(isin_mps_friendly(elements, scalar), expected)
    assert torch.equal(isin_broadcast(elements, scalar), expected)


@settings(max_examples=80, deadline=None)
@given(tensors(), st.lists(values, max_size=6))
def test_sequence_test_elements_match_torch_isin_of_the_tensor(
    elements: torch.Tensor, seq: list[int]
) -> None:
    expected = torch.isin(elements, torch.tensor(seq))
    assert torch.equal(isin_mps_friendly(elements, seq), expected)
    assert torch.equal(isin_mps_friendly(elements, tuple(seq)), expected)
    assert torch.equal(isin_broadcast(elements, seq), expected)


def test_float_specials_nan_and_signed_zero() -> None:
    elements = torch.tensor([float("nan"), 0.0, -0.0, float("inf"), 1.5])
    test = torch.tensor([float("nan"), -0.0, float("inf")])
    expected = torch.isin(elements, test)
    assert expected.tolist() == [False, True, True, True, False]
    assert torch.equal(isin_broadcast(elements, test), expected)
    assert torch.equal(isin_mps_friendly(elements, test), expected)


def test_zero_dim_and_empty_shapes() -> None:
    assert isin_broadcast(torch.tensor(3), [1, 3]).shape == ()
    assert isin_broadcast(torch.tensor(3), [1, 3]).item() is True
    assert isin_broadcast(torch.zeros(0, 5), [0.0]).shape == (0, 5)
    assert isin_broadcast(torch.ones(2, 3), []).tolist() == [[False] * 3] * 2
    assert isin_mps_friendly(torch.ones(2, 3), []).tolist() == [[False] * 3] * 2
    assert isin_broadcast(torch.tensor([[1, 2]]), torch.tensor([[[2]]])).tolist() == [[False, True]]


def test_forced_fallback_path_matches_torch_isin(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen: list[tuple[Any, ...]] = []

    def always(*args: Any) -> bool:
        chosen.append(args)
        return True

    monkeypatch.setattr(isin_module, "isin_needs_fallback", always)
    elements = torch.arange(24).reshape(2, 3, 4) % 7
    test = torch.tensor([[1, 5], [6, 9]])
    assert torch.equal(isin_mps_friendly(elements, test), torch.isin(elements, test))
    assert chosen[0][0] == "cpu"
    assert chosen[0][1] is True  # integer inputs


@pytest.mark.parametrize(
    ("device_type", "integer", "torch_ok", "macos", "expected"),
    [
        ("cpu", True, False, None, False),
        ("cuda", True, False, 13, False),
        ("mps", False, False, 14, True),  # no MPS isin before torch 2.4
        ("mps", True, False, 15, True),
        ("mps", False, True, 13, False),  # floats fine on old macOS
        ("mps", True, True, 13, True),  # integer kernel needs macOS 14
        ("mps", True, True, 14, False),
        ("mps", True, True, None, True),  # unknown macOS: play safe
    ],
)
def test_fallback_choice(
    device_type: str, integer: bool, torch_ok: bool, macos: int | None, expected: bool
) -> None:
    assert isin_needs_fallback(device_type, integer, torch_ok, macos) is expected


@pytest.mark.parametrize(
    ("elements", "test", "match"),
    [
        ([1, 2], [1], "elements must be a torch.Tensor"),
        (torch.ones(2), "ab", "test_elements"),
        (torch.ones(2), True, "test_elements"),
        (torch.ones(2), [1, "x"], "holds a str"),
        (torch.ones(2), [True], "holds a bool"),
        (torch.ones(2), {1: 2}, "test_elements"),
    ],
)
def test_bad_inputs_raise_type_error(elements: Any, test: Any, match: str) -> None:
    for function in (isin_mps_friendly, isin_broadcast):
        with pytest.raises(TypeError, match=match):
            function(elements, test)


def test_does_not_modify_inputs() -> None:
    elements = torch.tensor([[1, 2], [3, 4]])
    test = torch.tensor([4, 1])
    before = (elements.clone(), test.clone())
    isin_broadcast(elements, test)
    isin_mps_friendly(elements, test)
    assert torch.equal(elements, before[0])
    assert torch.equal(test, before[1])
