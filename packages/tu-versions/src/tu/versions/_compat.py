"""Signatures transformers shipped over the years, kept callable in every form.

torch is imported inside each function, so importing tu.versions stays torch-free. Every
argument is checked first: a wrong type is a TypeError and a wrong value a ValueError, each
naming the argument, rather than an error from deep inside torch.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    import torch

__all__ = ["meshgrid", "softmax_backward_data", "torch_float", "torch_int", "torch_int_div"]

_INDEXINGS = ("ij", "xy")


def _is_tensor(value: object) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _require_tensor(value: object, argument: str) -> None:
    if not _is_tensor(value):
        raise TypeError(f"{argument} must be a torch.Tensor, got {type(value).__name__}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def softmax_backward_data(
    parent: Any,
    grad_output: torch.Tensor,
    output: torch.Tensor,
    dim: int | None = None,
    self: torch.Tensor | None = None,
) -> torch.Tensor:
    """Gradient of softmax through ``torch._softmax_backward_data``, for custom autograd functions.

    Accepts transformers 5.x's three-argument call ``(parent, grad_output, output)`` and the
    older five-argument call ``(parent, grad_output, output, dim, self)``.

    Args:
        parent: the autograd function's context, whose ``dim`` attribute names the softmax
            dimension (transformers' convention); when it has no int ``dim``, ``dim`` is used.
        grad_output: gradient with respect to the softmax output.
        output: the softmax output saved in forward.
        dim: the softmax dimension, used only when ``parent`` has no int ``dim`` attribute.
        self: the softmax input of the old call; its dtype is the gradient's dtype.
            Without it the output's dtype is used, as transformers 5.x does.

    Returns:
        The gradient with respect to the softmax input, shaped like ``output``.

    Raises:
        TypeError: ``grad_output``, ``output`` or ``self`` is not a tensor, ``dim`` is not an
            int (bools refused), or no softmax dimension can be found.
        ValueError: ``grad_output`` and ``output`` differ in shape, or the dimension is out
            of range for ``output``.

    Examples:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> from tu.versions import softmax_backward_data
        >>> out = torch.softmax(torch.zeros(2, 3), dim=-1)
        >>> softmax_backward_data(SimpleNamespace(dim=-1), torch.ones(2, 3), out).shape
        torch.Size([2, 3])
    """
    _require_tensor(grad_output, "grad_output")
    _require_tensor(output, "output")
    if self is not None:
        _require_tensor(self, "self")
    if dim is not None and not _is_int(dim):
        raise TypeError(f"dim must be an int or None, got {type(dim).__name__}")
    from torch import _softmax_backward_data

    softmax_dim = getattr(parent, "dim", None)
    source = "parent.dim"
    if not _is_int(softmax_dim):
        softmax_dim, source = dim, "dim"
    if softmax_dim is None:
        raise TypeError("softmax_backward_data needs parent.dim or dim to be an int")
    if grad_output.shape != output.shape:
        raise ValueError(
            f"grad_output must have output's shape {tuple(output.shape)}, "
            f"got {tuple(grad_output.shape)}"
        )
    ndim = max(output.dim(), 1)
    if not -ndim <= softmax_dim < ndim:
        raise ValueError(
            f"{source} must be in [{-ndim}, {ndim - 1}] for a {output.dim()}-d output, "
            f"got {softmax_dim}"
        )
    input_dtype = self.dtype if self is not None else output.dtype
    return _softmax_backward_data(grad_output, output, softmax_dim, input_dtype)


def _meshgrid_inputs(tensors: tuple[Any, ...]) -> list[torch.Tensor]:
    """The tensors of a ``meshgrid`` call, checked as torch would, but with named errors."""
    items: Sequence[Any] = tensors
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        items = tensors[0]
    if not items:
        raise ValueError("tensors must hold at least one tensor, got none")
    for item in items:
        if not _is_tensor(item):
            raise TypeError(
                "tensors must be tensors, or a single list or tuple of tensors; "
                f"got a {type(item).__name__}"
            )
        if item.dim() > 1:
            raise ValueError(f"tensors must be 0-d or 1-d, got a {item.dim()}-d tensor")
    first = items[0]
    for item in items[1:]:
        if item.dtype != first.dtype or item.device != first.device:
            raise ValueError(
                "tensors must share one dtype and device, got "
                f"{first.dtype} on {first.device} and {item.dtype} on {item.device}"
            )
    return list(items)


def meshgrid(
    *tensors: torch.Tensor | Sequence[torch.Tensor], indexing: str | None = None
) -> tuple[torch.Tensor, ...]:
    """``torch.meshgrid`` that never warns about the ``indexing`` argument.

    Args:
        *tensors: 0-d or 1-d tensors of one dtype and device, or a single list or tuple
            of them.
        indexing: ``"ij"`` or ``"xy"``; None means ``"ij"``, torch's behaviour, without
            torch's warning (transformers passes None through and so still warns).

    Returns:
        One grid tensor per input (expanded views, no copies).

    Raises:
        TypeError: an input is not a tensor, or ``indexing`` is not a string or None.
        ValueError: no tensors, a tensor of more than one dimension, mixed dtypes or
            devices, or ``indexing`` is neither ``"ij"`` nor ``"xy"``.

    Examples:
        >>> import torch
        >>> from tu.versions import meshgrid
        >>> rows, cols = meshgrid(torch.arange(3), torch.arange(4))
        >>> rows.shape, cols.shape
        (torch.Size([3, 4]), torch.Size([3, 4]))
    """
    import torch

    if indexing is None:
        indexing = "ij"
    elif not isinstance(indexing, str):
        raise TypeError(f"indexing must be 'ij', 'xy' or None, got {type(indexing).__name__}")
    elif indexing not in _INDEXINGS:
        raise ValueError(f"indexing must be 'ij', 'xy' or None, got {indexing!r}")
    return tuple(torch.meshgrid(*_meshgrid_inputs(tensors), indexing=indexing))


def _tracing() -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and bool(torch.jit.is_tracing())


def _convert(x: Any, kind: type, what: str) -> Any:
    """``kind(x)`` for a number or a one-element tensor; errors name ``x``."""
    if isinstance(x, (bool, str, bytes)):
        raise TypeError(f"x must be a number or a tensor, got {type(x).__name__}")
    try:
        return kind(x)
    except TypeError:
        raise TypeError(f"x must be a number or a tensor, got {type(x).__name__}") from None
    except (ValueError, OverflowError, RuntimeError) as exc:
        raise ValueError(f"x cannot be converted to {what}: {exc}") from None


@overload
def torch_int(x: torch.Tensor) -> torch.Tensor | int: ...
@overload
def torch_int(x: Any) -> int: ...
def torch_int(x: Any) -> Any:
    """``int(x)``; while ``torch.jit.trace`` runs, a tensor stays a tensor (cast to int64).

    Keeping the tensor lets a traced graph follow shapes computed from inputs.

    Args:
        x: a real number (bools refused) or a one-element tensor.

    Returns:
        ``int(x)``, or ``x`` as an int64 tensor while tracing.

    Raises:
        TypeError: ``x`` is not a number or tensor (strings and bools refused).
        ValueError: ``x`` is NaN, infinite, or a tensor of more than one element.

    Examples:
        >>> import torch
        >>> from tu.versions import torch_int
        >>> torch_int(torch.tensor(3.7)), torch_int(5.9)
        (3, 5)
    """
    if _tracing() and _is_tensor(x):
        import torch

        return x.to(torch.int64)
    return _convert(x, int, "an int")


@overload
def torch_float(x: torch.Tensor) -> torch.Tensor | float: ...
@overload
def torch_float(x: Any) -> float: ...
def torch_float(x: Any) -> Any:
    """``float(x)``; while ``torch.jit.trace`` runs, a tensor stays a tensor (cast to float32).

    transformers 5.x semantics: ``torch_float(3)`` is ``3.0`` (4.57 returned ``int(x)``).

    Args:
        x: a real number (bools refused) or a one-element tensor.

    Returns:
        ``float(x)``, or ``x`` as a float32 tensor while tracing.

    Raises:
        TypeError: ``x`` is not a number or tensor (strings and bools refused).
        ValueError: ``x`` is a tensor of more than one element, or an int too large for a
            float.

    Examples:
        >>> import torch
        >>> from tu.versions import torch_float
        >>> torch_float(3), torch_float(torch.tensor(2.5))
        (3.0, 2.5)
    """
    if _tracing() and _is_tensor(x):
        import torch

        return x.to(torch.float32)
    return _convert(x, float, "a float")


def _check_operand(value: object, argument: str) -> None:
    if isinstance(value, bool) or not (isinstance(value, numbers.Real) or _is_tensor(value)):
        raise TypeError(
            f"{argument} must be a tensor or a real number (bools refused), "
            f"got {type(value).__name__}"
        )


def torch_int_div(tensor1: Any, tensor2: Any) -> Any:
    """Floor division that works for tensors and numbers alike (transformers' old helper).

    Tensors go through ``torch.div(..., rounding_mode="floor")``; plain numbers use ``//``.

    Args:
        tensor1: dividend, a tensor or a real number.
        tensor2: divisor, a tensor or a real number.

    Returns:
        A tensor when either operand is one, else a number.

    Raises:
        TypeError: an operand is neither a tensor nor a real number (bools refused).
        ZeroDivisionError: both are numbers and ``tensor2`` is zero, as ``//`` raises.

    Examples:
        >>> import torch
        >>> from tu.versions import torch_int_div
        >>> torch_int_div(-7, 2), torch_int_div(torch.tensor([7, -7]), 2).tolist()
        (-4, [3, -4])
    """
    _check_operand(tensor1, "tensor1")
    _check_operand(tensor2, "tensor2")
    if _is_tensor(tensor1) or _is_tensor(tensor2):
        import torch

        return torch.div(tensor1, tensor2, rounding_mode="floor")
    return tensor1 // tensor2
