"""``torch.isin`` that also holds where MPS gets it wrong, with a fallback right for any shape."""

from __future__ import annotations

import functools
import numbers
import platform
from collections.abc import Sequence
from typing import Union

import torch

from tu.versions import is_torch_greater_or_equal

__all__ = ["IsinTestElements", "isin_broadcast", "isin_mps_friendly", "isin_needs_fallback"]

IsinTestElements = Union[torch.Tensor, int, float, Sequence[Union[int, float]]]  # noqa: UP007
"""What ``test_elements`` may be: a tensor, a Python number, or a flat sequence of numbers."""

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# Dtypes torch.isin refuses on every release (others, half and bfloat16, only on old ones).
_NEVER_ISIN = (torch.bool, torch.complex64, torch.complex128)


@functools.cache
def _torch_isin_takes(dtype: torch.dtype) -> bool:
    """Whether this torch's ``torch.isin`` accepts ``dtype`` (probed once on the CPU)."""
    if dtype in _NEVER_ISIN or dtype.is_complex:
        return False
    try:
        torch.isin(torch.zeros(1, dtype=dtype), torch.zeros(1, dtype=dtype))
    except RuntimeError:
        return False
    return True


@functools.cache
def _macos_major() -> int | None:
    """The running macOS major version (14 for Sonoma), or None off macOS."""
    release = platform.mac_ver()[0]
    try:
        return int(release.split(".")[0]) if release else None
    except ValueError:
        return None


def isin_needs_fallback(
    device_type: str, integer_inputs: bool, torch_has_mps_isin: bool, macos_major: int | None
) -> bool:
    """Whether torch.isin cannot be trusted for these inputs, so the fallback must run.

    Pure, so the choice is testable anywhere. MPS had no ``isin`` before torch 2.4
    (pytorch#77764), and its integer kernel needs macOS 14 or later.

    Args:
        device_type: ``elements.device.type``.
        integer_inputs: either input has an integer dtype.
        torch_has_mps_isin: torch is 2.4 or later.
        macos_major: the macOS major version, None when unknown.

    Returns:
        True when :func:`isin_broadcast` must run instead of ``torch.isin``.

    Raises:
        TypeError: ``device_type`` is not a string, ``integer_inputs`` or
            ``torch_has_mps_isin`` is not a bool, or ``macos_major`` is neither an int nor
            None (bools refused).

    Examples:
        >>> from tu.devices import isin_needs_fallback
        >>> isin_needs_fallback("mps", True, True, 13), isin_needs_fallback("cuda", True, False, None)
        (True, False)
    """
    if not isinstance(device_type, str):
        raise TypeError(
            f"device_type must be a str such as 'mps', got {type(device_type).__name__}"
        )
    for argument, flag in (
        ("integer_inputs", integer_inputs),
        ("torch_has_mps_isin", torch_has_mps_isin),
    ):
        if not isinstance(flag, bool):
            raise TypeError(f"{argument} must be a bool, got {type(flag).__name__}")
    if macos_major is not None and (
        isinstance(macos_major, bool) or not isinstance(macos_major, int)
    ):
        raise TypeError(f"macos_major must be an int or None, got {type(macos_major).__name__}")
    if device_type != "mps":
        return False
    if not torch_has_mps_isin:
        return True
    return integer_inputs and (macos_major is None or macos_major < 14)


def _as_test_tensor(test_elements: object, device: torch.device) -> torch.Tensor | int | float:
    """Validate ``test_elements``; sequences become a tensor on ``device``, numbers stay."""
    if isinstance(test_elements, torch.Tensor):
        return test_elements if test_elements.device == device else test_elements.to(device)
    if (
        isinstance(test_elements, bool)
        or not isinstance(test_elements, (numbers.Real, Sequence))
        or isinstance(test_elements, (str, bytes))
    ):
        raise TypeError(
            "test_elements must be a tensor, an int or float, or a sequence of them, "
            f"got {type(test_elements).__name__}"
        )
    if isinstance(test_elements, numbers.Integral):
        if not _INT64_MIN <= int(test_elements) <= _INT64_MAX:
            raise ValueError("test_elements: an int must fit in 64 bits (torch's int64)")
        return int(test_elements)
    if isinstance(test_elements, numbers.Real):
        return float(test_elements)
    items = list(test_elements)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, numbers.Real):
            raise TypeError(
                "test_elements must be a tensor, an int or float, or a sequence of them; "
                f"the sequence holds a {type(item).__name__}"
            )
    try:
        return torch.tensor(items, device=device)
    except (RuntimeError, ValueError, OverflowError) as exc:
        raise ValueError(
            f"test_elements: the numbers must fit in torch's int64 or float64 ({exc})"
        ) from None


def _check_elements(elements: object) -> torch.Tensor:
    if not isinstance(elements, torch.Tensor):
        raise TypeError(f"elements must be a torch.Tensor, got {type(elements).__name__}")
    return elements


def isin_broadcast(elements: torch.Tensor, test_elements: IsinTestElements) -> torch.Tensor:
    """``torch.isin`` by broadcast comparison: right for every shape, on every device.

    Compares each element with every test element (``elements[..., None] == test``), so it
    needs ``elements.numel() * test.numel()`` booleans of memory; :func:`isin_mps_friendly`
    uses it only where ``torch.isin`` is missing or wrong. Type promotion and NaN handling
    are those of ``==``, which match ``torch.isin``'s.

    Args:
        elements: tensor of any shape (0-d and empty included).
        test_elements: tensor (any shape, moved to ``elements``' device), number, or
            sequence of numbers.

    Returns:
        Bool tensor shaped like ``elements``, on its device.

    Raises:
        TypeError: ``elements`` is not a tensor, or ``test_elements`` is none of the above
            (bools and strings refused, also inside a sequence).
        ValueError: a number of ``test_elements`` does not fit in torch's int64 / float64.

    Examples:
        >>> import torch
        >>> from tu.devices import isin_broadcast
        >>> isin_broadcast(torch.tensor([[1, 2], [3, 4]]), torch.tensor([4, 1])).tolist()
        [[True, False], [False, True]]
    """
    elements = _check_elements(elements)
    test = _as_test_tensor(test_elements, elements.device)
    if not isinstance(test, torch.Tensor):
        return elements == test
    if test.numel() == 0:
        return torch.zeros(elements.shape, dtype=torch.bool, device=elements.device)
    return (elements.unsqueeze(-1) == test.reshape(-1)).any(dim=-1)


def _isin_promoted(elements: torch.Tensor, test: torch.Tensor | int | float) -> torch.Tensor:
    """isin for dtypes ``torch.isin`` refuses (bool, complex; half on old torch).

    Both sides go to their common dtype (bool as uint8), as ``==`` would compare them; only
    where ``torch.isin`` refuses that dtype too (complex) does the broadcast fallback run.
    """
    common = torch.result_type(elements, test)
    if common == torch.bool:
        common = torch.uint8
    if not _torch_isin_takes(common):
        return isin_broadcast(elements, test)
    converted = test.to(common) if isinstance(test, torch.Tensor) else test
    return isin_mps_friendly(elements.to(common), converted)  # common is supported: no loop


def isin_mps_friendly(elements: torch.Tensor, test_elements: IsinTestElements) -> torch.Tensor:
    """``torch.isin(elements, test_elements)``, also where MPS has no (or a wrong) ``isin``.

    transformers removed this helper in 5.1; code that still imports it (coqui-tts, for one)
    can take it from here. Unlike transformers' version, the fallback keeps the shape of
    n-D, 0-d and empty inputs, and ``test_elements`` may be a tensor on another device (it
    is moved to ``elements``' device), a number, or a sequence of numbers. Bool and complex
    inputs, which ``torch.isin`` refuses, are compared as ``==`` would compare them.

    Args:
        elements: tensor of any shape.
        test_elements: tensor, int/float, or sequence of ints/floats.

    Returns:
        Bool tensor shaped like ``elements``: True where the element is among the test
        elements.

    Raises:
        TypeError: ``elements`` is not a tensor, or ``test_elements`` is no tensor, number
            or sequence of numbers (bools and strings refused, also inside a sequence).
        ValueError: a number of ``test_elements`` does not fit in torch's int64 / float64.

    Examples:
        >>> import torch
        >>> from tu.devices import isin_mps_friendly
        >>> isin_mps_friendly(torch.tensor([[1, 2], [3, 4]]), [2, 3])
        tensor([[False,  True],
                [ True, False]])
    """
    elements = _check_elements(elements)
    test = _as_test_tensor(test_elements, elements.device)
    test_is_integer = (
        not test.is_floating_point() and not test.is_complex()
        if isinstance(test, torch.Tensor)
        else isinstance(test, int)
    )
    integer_inputs = (
        not elements.is_floating_point() and not elements.is_complex()
    ) or test_is_integer
    if not _torch_isin_takes(elements.dtype) or (
        isinstance(test, torch.Tensor) and not _torch_isin_takes(test.dtype)
    ):
        return _isin_promoted(elements, test)
    if isin_needs_fallback(
        elements.device.type,
        integer_inputs,
        is_torch_greater_or_equal("2.4"),
        _macos_major(),
    ):
        return isin_broadcast(elements, test)
    # Positional on purpose: torch.isin rejects some keyword spellings (pytorch#126045).
    return torch.isin(elements, test)
