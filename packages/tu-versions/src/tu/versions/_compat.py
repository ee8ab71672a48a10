"""Signatures transformers shipped over the years, kept callable in every form.

torch is imported inside each function, so importing tu.versions stays torch-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    import torch

__all__ = ["meshgrid", "softmax_backward_data", "torch_float", "torch_int", "torch_int_div"]

_INDEXINGS = ("ij", "xy")


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
            dimension (transformers' convention); when it has none, ``dim`` is used.
        grad_output: gradient with respect to the softmax output.
        output: the softmax output saved in forward.
        dim: the softmax dimension, used only when ``parent`` has no ``dim`` attribute.
        self: the softmax input of the old call; its dtype is the gradient's dtype.
            Without it the output's dtype is used, as transformers 5.x does.

    Raises:
        TypeError: no softmax dimension can be found.
    """
    from torch import _softmax_backward_data

    softmax_dim = getattr(parent, "dim", None)
    if not isinstance(softmax_dim, int):
        softmax_dim = dim
    if not isinstance(softmax_dim, int):
        raise TypeError("softmax_backward_data needs parent.dim or dim to be an int")
    input_dtype = self.dtype if self is not None else output.dtype
    return _softmax_backward_data(grad_output, output, softmax_dim, input_dtype)


def meshgrid(
    *tensors: torch.Tensor | Sequence[torch.Tensor], indexing: str | None = None
) -> tuple[torch.Tensor, ...]:
    """``torch.meshgrid`` that never warns about the ``indexing`` argument.

    Args:
        tensors: 1-D tensors, or a single list or tuple of them.
        indexing: ``"ij"`` or ``"xy"``; None means ``"ij"``, torch's behaviour, without
            torch's warning (transformers passes None through and so still warns).

    Raises:
        ValueError: ``indexing`` is neither None, ``"ij"`` nor ``"xy"``.
    """
    import torch

    if indexing is None:
        indexing = "ij"
    elif indexing not in _INDEXINGS:
        raise ValueError(f"indexing must be 'ij', 'xy' or None, got {indexing!r}")
    return tuple(torch.meshgrid(*tensors, indexing=indexing))  # type: ignore[arg-type]


def _tracing() -> bool:
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and bool(torch.jit.is_tracing())


@overload
def torch_int(x: torch.Tensor) -> torch.Tensor | int: ...
@overload
def torch_int(x: Any) -> int: ...
def torch_int(x: Any) -> Any:
    """``int(x)``; while ``torch.jit.trace`` runs, a tensor stays a tensor (cast to int64).

    Keeping the tensor lets a traced graph follow shapes computed from inputs.
    """
    if _tracing():
        import torch

        if isinstance(x, torch.Tensor):
            return x.to(torch.int64)
    return int(x)


@overload
def torch_float(x: torch.Tensor) -> torch.Tensor | float: ...
@overload
def torch_float(x: Any) -> float: ...
def torch_float(x: Any) -> Any:
    """``float(x)``; while ``torch.jit.trace`` runs, a tensor stays a tensor (cast to float32).

    transformers 5.x semantics: ``torch_float(3)`` is ``3.0`` (4.57 returned ``int(x)``).
    """
    if _tracing():
        import torch

        if isinstance(x, torch.Tensor):
            return x.to(torch.float32)
    return float(x)


def torch_int_div(tensor1: Any, tensor2: Any) -> Any:
    """Floor division that works for tensors and numbers alike (transformers' old helper).

    Tensors go through ``torch.div(..., rounding_mode="floor")``; plain numbers use ``//``.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and (
        isinstance(tensor1, torch.Tensor) or isinstance(tensor2, torch.Tensor)
    ):
        return torch.div(tensor1, tensor2, rounding_mode="floor")
    return tensor1 // tensor2
