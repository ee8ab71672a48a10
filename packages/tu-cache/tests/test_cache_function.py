"""compile_compatible_lru_cache on plain functions, and the unhashable-argument error."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from tu.cache import UnhashableArgumentError, compile_compatible_lru_cache


def test_hits_misses_and_api() -> None:
    runs: list[int] = []

    @compile_compatible_lru_cache(maxsize=2)
    def square(n: int) -> int:
        """Square it."""
        runs.append(n)
        return n * n

    assert [square(2), square(2), square(3), square(4), square(2)] == [4, 4, 9, 16, 4]
    assert runs == [2, 3, 4, 2]
    info = square.cache_info()
    assert (info.hits, info.misses, info.maxsize, info.currsize) == (1, 4, 2, 2)
    square.cache_clear()
    assert square.cache_info().currsize == 0
    assert square.cache_parameters() == {"maxsize": 2, "typed": False}
    assert square.__name__ == "square"
    assert square.__doc__ == "Square it."
    assert inspect.signature(square) == inspect.signature(square.__wrapped__)


def test_without_parentheses() -> None:
    @compile_compatible_lru_cache
    def double(n: int) -> int:
        return 2 * n

    assert double(4) == 8
    assert double.cache_info().maxsize == 128


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        compile_compatible_lru_cache(maxsize=-2)
    with pytest.raises(TypeError, match="typed"):
        compile_compatible_lru_cache(typed="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        compile_compatible_lru_cache()(3)  # type: ignore[arg-type]


@compile_compatible_lru_cache
def _takes(a: Any, b: Any = 0, *rest: Any, key: Any = None, **extra: Any) -> int:
    return 1


@pytest.mark.parametrize(
    ("args", "kwargs", "label"),
    [
        (([1],), {}, "argument 'a'"),
        ((1, {}), {}, "argument 'b'"),
        ((1, 2, 3, [4]), {}, r"argument \*rest\[1\]"),
        ((1,), {"key": {1}}, "argument 'key'"),
        ((1,), {"other": bytearray()}, "argument 'other'"),
    ],
)
def test_unhashable_argument_is_named(
    args: tuple[Any, ...], kwargs: dict[str, Any], label: str
) -> None:
    with pytest.raises(UnhashableArgumentError, match=label) as caught:
        _takes(*args, **kwargs)
    assert isinstance(caught.value, TypeError)
    assert "unhashable" in str(caught.value)
    assert isinstance(caught.value.__cause__, TypeError)  # functools' original error


def test_type_error_raised_by_the_function_itself_is_unchanged() -> None:
    @compile_compatible_lru_cache
    def broken(n: int) -> int:
        raise TypeError("inner problem")

    with pytest.raises(TypeError, match="inner problem") as caught:
        broken(1)
    assert not isinstance(caught.value, UnhashableArgumentError)


def test_on_a_builtin_without_signature() -> None:
    cached_len = compile_compatible_lru_cache(len)
    assert cached_len((1, 2)) == 2
    with pytest.raises(UnhashableArgumentError, match=r"at position 0|argument 'obj'"):
        cached_len([1, 2])


def test_classmethod_over_the_function_cache() -> None:
    class Factory:
        made = 0

        @classmethod
        @compile_compatible_lru_cache
        def make(cls, n: int) -> tuple[str, int]:
            cls.made += 1
            return (cls.__name__, n)

    assert Factory.make(1) == ("Factory", 1)
    assert Factory.make(1) == ("Factory", 1)
    assert Factory.made == 1
