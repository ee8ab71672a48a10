"""Bad input to every public name of tu.versions: a TypeError / ValueError naming the argument.

The table covers every callable in ``tu.versions.__all__`` (a new public name without an
entry fails ``test_table_covers_every_public_name``); each row is one bad call. Anything but
TypeError/ValueError escaping (an ``unhashable type``, packaging's or Python's int-limit
error from deep inside, a RuntimeError from torch) fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tu.versions
from tu.versions import TRANSFORMERS_FLAGS

FakeInstall = Callable[[str | None], None]

OUT = torch.softmax(torch.zeros(2, 3), dim=-1)
GRAD = torch.ones(2, 3)
HUGE = "9" * 5000

# name -> rows of (positional args, keyword args, the argument the error must name)
BAD: dict[str, list[tuple[tuple[Any, ...], dict[str, Any], str]]] = {
    "is_torch_greater_or_equal": [
        *(((v,), {}, "version") for v in (2.4, None, True, b"2.4", ["2.4"], 24)),
        *(((v,), {}, "version") for v in ("", "two", HUGE, "1." * 100, "1.0+" + "a" * 200)),
        *((("2.4",), {"accept_dev": v}, "accept_dev") for v in ("no", "yes", 1, 0, None)),
    ],
    "is_torch_xla_available": [
        *(((), {"check_is_tpu": v}, "check_is_tpu") for v in ("yes", 1, None)),
        *(((), {"check_is_gpu": v}, "check_is_gpu") for v in ("no", 0, [])),
        ((), {"check_is_tpu": True, "check_is_gpu": True}, "check_is_tpu"),
    ],
    "is_torch_xpu_available": [((v,), {}, "check_device") for v in ("no", 1, None)],
    "is_torch_npu_available": [((v,), {}, "check_device") for v in ("no", 1, None)],
    "is_torch_mps_available": [
        *(((), {"min_version": v}, "min_version") for v in (["2.4"], 2.4, True, b"2.4", {})),
        *(((v,), {}, "min_version") for v in ("nope", HUGE, "2." * 80)),
    ],
    "softmax_backward_data": [
        ((SimpleNamespace(dim=-1), [1.0], OUT), {}, "grad_output"),
        ((SimpleNamespace(dim=-1), GRAD, None), {}, "output"),
        ((object(), GRAD, OUT, True), {}, "dim"),
        ((object(), GRAD, OUT, "1"), {}, "dim"),
        ((object(), GRAD, OUT, 1.0), {}, "dim"),
        ((object(), GRAD, OUT, 5), {}, "dim"),
        ((SimpleNamespace(dim=7), GRAD, OUT), {}, "parent.dim"),
        ((SimpleNamespace(dim=-1), GRAD, OUT, -1, [1]), {}, "self"),
        ((SimpleNamespace(dim=-1), torch.ones(3, 2), OUT), {}, "grad_output"),
    ],
    "meshgrid": [
        ((1, 2), {}, "tensors"),
        (("ab",), {}, "tensors"),
        (([],), {}, "tensors"),
        ((), {}, "tensors"),
        ((torch.ones(2, 2),), {}, "tensors"),
        ((torch.ones(2), torch.ones(2, dtype=torch.int64)), {}, "tensors"),
        *(((torch.ones(2),), {"indexing": v}, "indexing") for v in (1, True, ["ij"], "ji")),
    ],
    "torch_int": [
        *(((v,), {}, "x") for v in ("3", True, None, [1], b"3", HUGE)),
        *(((v,), {}, "x") for v in (float("nan"), float("inf"), torch.tensor([1, 2]))),
    ],
    "torch_float": [
        *(((v,), {}, "x") for v in ("3.0", False, None, [1.0], torch.ones(2), 10**400)),
    ],
    "torch_int_div": [
        *(((v, 2), {}, "tensor1") for v in (True, "7", None, [7])),
        *(((7, v), {}, "tensor2") for v in (False, "2", None, [2])),
    ],
}

# Public names that take no argument, and the constants and flags: nothing to pass wrongly.
NO_ARGUMENTS = {
    "clear_caches",
    "installed_torch_version",
    "is_torch_available",
    "is_torch_hpu_available",
    "is_torch_distributed_available",
    "is_torchdynamo_compiling",
}
NOT_CALLABLE = {"__version__", "TRANSFORMERS_FLAGS", *TRANSFORMERS_FLAGS}


def _names(argument: str, message: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(argument)}(?!\w)", message) is not None


def test_table_covers_every_public_name() -> None:
    assert set(BAD) | NO_ARGUMENTS | NOT_CALLABLE == set(tu.versions.__all__)
    assert set(BAD).isdisjoint(NO_ARGUMENTS | NOT_CALLABLE)


CASES = [
    pytest.param(name, args, kwargs, argument, id=f"{name}-{argument}-{i}")
    for name, rows in BAD.items()
    for i, (args, kwargs, argument) in enumerate(rows)
]


@pytest.mark.parametrize(("name", "args", "kwargs", "argument"), CASES)
def test_bad_input_is_a_typed_error_naming_the_argument(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    function = getattr(tu.versions, name)
    with pytest.raises((TypeError, ValueError)) as caught:
        function(*args, **kwargs)
    message = str(caught.value)
    assert _names(argument, message), f"{name}: {message!r} does not name {argument!r}"
    assert len(message) < 400  # the offending value is never echoed in full


@pytest.mark.parametrize("name", sorted(NO_ARGUMENTS))
def test_no_argument_names_refuse_arguments(name: str) -> None:
    with pytest.raises(TypeError):
        getattr(tu.versions, name)(1)


def test_issue_10_cases() -> None:
    with pytest.raises(TypeError, match="accept_dev must be a bool"):
        tu.versions.is_torch_greater_or_equal("2.4", accept_dev="no")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at most 128 characters"):
        tu.versions.is_torch_greater_or_equal(HUGE)
    with pytest.raises(TypeError, match="min_version must be a str"):
        tu.versions.is_torch_mps_available(min_version=["2.4"])  # type: ignore[arg-type]
    assert not hasattr(tu.versions, "is_torch_less_than_" + HUGE + "_0")


def test_checks_validate_before_the_cache_and_stay_consistent() -> None:
    # The same bad argument fails every time, whether or not an answer was cached before.
    for _ in range(2):
        assert isinstance(tu.versions.is_torch_mps_available(min_version="2.0"), bool)
        with pytest.raises(ValueError, match="min_version must be a PEP 440 version"):
            tu.versions.is_torch_mps_available(min_version="two")
    assert tu.versions.is_torch_mps_available("99.0") is False


versions_text = st.one_of(
    st.text(max_size=200),
    st.from_regex(r"[0-9]{1,40}(\.[0-9]{1,40}){0,6}([a-z+.][a-z0-9.]{0,20})?", fullmatch=True),
    st.integers(0, 3000).map(lambda n: "1." + "9" * n),
)


@settings(max_examples=300)
@given(versions_text, st.booleans())
def test_any_text_gives_a_bool_or_a_named_error(text: str, accept_dev: bool) -> None:
    for function, argument in (
        (lambda: tu.versions.is_torch_greater_or_equal(text, accept_dev=accept_dev), "version"),
        (lambda: tu.versions.is_torch_mps_available(min_version=text), "min_version"),
    ):
        message = ""
        try:
            result = function()
        except (TypeError, ValueError) as exc:
            message = str(exc)
        if message:
            assert _names(argument, message), message
        else:
            assert isinstance(result, bool)


flag_names = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda kind, major, minor: f"is_torch_{kind}_{major}_{minor}",
        st.sampled_from(["greater_or_equal_than", "less_than", "greater_than", ""]),
        st.text(alphabet="0123456789٢", max_size=30),
        st.text(alphabet="0123456789_x", max_size=30),
    ),
    st.integers(1, 6000).map(lambda n: f"is_torch_less_than_{'9' * n}_0"),
)


@settings(max_examples=300)
@given(flag_names)
def test_module_getattr_raises_only_attribute_error(name: str) -> None:
    try:
        value = tu.versions.__getattr__(name)
    except AttributeError:
        return
    assert isinstance(value, bool)
    assert re.fullmatch(r"is_torch_(greater_or_equal_than|less_than)_[0-9]{1,6}_[0-9]{1,6}", name)


def test_flag_numbers_are_capped_at_six_digits() -> None:
    assert isinstance(tu.versions.is_torch_less_than_999999_0, bool)
    assert not hasattr(tu.versions, "is_torch_less_than_9999999_0")
    assert not hasattr(tu.versions, "is_torch_less_than_٢_0")  # ASCII digits only


def test_getattr_turns_an_unreadable_installed_version_into_attribute_error(
    fake_torch_version: FakeInstall,
) -> None:
    fake_torch_version("not a version")
    assert not hasattr(tu.versions, "is_torch_greater_or_equal_than_2_0")
    assert getattr(tu.versions, "is_torch_less_than_2_0", "default") == "default"
    with pytest.raises(ValueError):  # a direct call still says what is wrong
        tu.versions.is_torch_greater_or_equal("2.0")


def test_non_string_names_are_no_flags() -> None:
    with pytest.raises(AttributeError):
        tu.versions.__getattr__(5)  # type: ignore[arg-type]
