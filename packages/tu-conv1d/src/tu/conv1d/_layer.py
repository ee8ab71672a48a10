"""The Conv1D layer: a linear map whose weight is stored transposed, as GPT-2 stores it."""

from __future__ import annotations

import operator
import warnings
from typing import Any, TypeVar

import torch
from torch import nn

_C = TypeVar("_C", bound="Conv1D")

#: torch's limit on one dimension, and on a tensor's size in bytes.
_MAX_SIZE = 2**63 - 1


class Conv1D(nn.Module):
    """A linear layer with its weight stored as ``(in_features, out_features)``.

    OpenAI's GPT and GPT-2 call this layer "Conv1D" (a 1x1 convolution over the sequence) and
    their checkpoints store its weight transposed with respect to :class:`torch.nn.Linear`.
    This module keeps that layout, so GPT-2 checkpoints written by transformers load unchanged,
    while accepting ``device``/``dtype`` like ``nn.Linear`` and inputs of any layout.

    Args:
        nf: Number of output features: an int ``>= 0`` (NumPy ints too, never a bool).
        nx: Number of input features, as ``nf``.
        bias: Whether to add a learnable bias of shape ``(nf,)`` (a ``bool``).
        device: Device of the parameters: a ``torch.device``, a string such as ``"cpu"`` or
            ``"meta"`` (no memory used), or a CUDA ordinal.
        dtype: Floating (or complex) dtype of the parameters; ``None`` for torch's default.

    Raises:
        TypeError: ``nf``/``nx`` not an int, ``bias`` not a bool, ``device`` or ``dtype`` of the
            wrong type.
        ValueError: ``nf``/``nx`` negative, a weight of ``nx * nf`` elements (or a bias of
            ``nf``) too large for a tensor (its byte size past ``2**63 - 1``), an unknown device string, or an integer
            or bool ``dtype``. A weight that fits a tensor but not the device's memory raises
            torch's allocation error, as ``nn.Linear`` does.

    Shape:
        - Input: ``(*, nx)``, any number of leading dimensions, any strides.
        - Output: ``(*, nf)``.

    Attributes:
        weight: Parameter of shape ``(nx, nf)``, drawn from ``N(0, 0.02)``.
        bias: Parameter of shape ``(nf,)``, zeros; ``None`` when ``bias=False``.

    Examples:
        >>> import torch
        >>> from tu.conv1d import Conv1D
        >>> layer = Conv1D(12, 8)
        >>> layer
        Conv1D(nf=12, nx=8)
        >>> layer(torch.randn(2, 5, 8)).shape
        torch.Size([2, 5, 12])
    """

    nf: int
    nx: int
    weight: nn.Parameter
    bias: nn.Parameter | None

    def __init__(
        self,
        nf: int,
        nx: int,
        bias: bool = True,
        device: torch.device | str | int | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.nf = _check_features("nf", nf)
        self.nx = _check_features("nx", nx)
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool, got {type(bias).__qualname__}")
        factory: dict[str, Any] = {"device": _check_device(device), "dtype": _check_dtype(dtype)}
        _check_numel(self.nx, self.nf, factory["dtype"], bias)
        self.weight = nn.Parameter(torch.empty(self.nx, self.nf, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(self.nf, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight from N(0, 0.02) and zero the bias, as GPT-2 initialises it.

        Meta tensors hold no values, so a layer on the meta device is left as it is: drawing
        into one costs nothing useful and, the first time, over a second of torch imports.

        Examples:
            >>> import torch
            >>> from tu.conv1d import Conv1D
            >>> layer = Conv1D(4, 3)
            >>> with torch.no_grad():
            ...     _ = layer.bias.fill_(1.0)
            >>> layer.reset_parameters()
            >>> bool(layer.bias.eq(0).all()), float(layer.weight.detach().std()) < 0.1
            (True, True)
        """
        if self.weight.device.type == "meta":
            return
        nn.init.normal_(self.weight, mean=0.0, std=0.02)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x @ weight + bias`` over the last dimension of ``x``.

        Args:
            x: A tensor of shape ``(*, nx)``, any strides.

        Returns:
            A new tensor of shape ``(*, nf)``.

        Raises:
            TypeError: ``x`` is not a tensor.
            RuntimeError: torch's own error for a wrong last dimension or dtype (as
                ``nn.Linear``).
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__qualname__}")
        # flatten copies only when it must (non-contiguous input), where transformers' view
        # raises. Its explicit leading size also works for nx == 0, where reshape(-1, 0) fails.
        x2d = x.unsqueeze(0) if x.dim() == 1 else x.flatten(0, -2)
        if self.bias is None:
            out = torch.mm(x2d, self.weight)
        else:
            out = torch.addmm(self.bias, x2d, self.weight)
        return out.view((*x.shape[:-1], self.nf))

    def extra_repr(self) -> str:
        """``nf=.., nx=..`` (and ``bias=False`` without a bias), as transformers prints it."""
        text = f"nf={self.nf}, nx={self.nx}"
        return text if self.bias is not None else text + ", bias=False"

    @classmethod
    def from_linear(cls: type[_C], linear: nn.Linear) -> _C:
        """Build a Conv1D computing exactly what ``linear`` computes.

        The weight is copied transposed; dtype, device, ``requires_grad`` and the training flag
        follow ``linear``. ``linear`` is left untouched.

        Args:
            linear: The layer to convert.

        Returns:
            A new layer of this class, ``nf = linear.out_features``, ``nx = linear.in_features``.

        Raises:
            TypeError: ``linear`` is not an ``nn.Linear``.
            ValueError: ``linear.weight`` is not a 2-D tensor.

        Examples:
            >>> import torch
            >>> from torch import nn
            >>> from tu.conv1d import Conv1D
            >>> linear = nn.Linear(3, 4)
            >>> conv = Conv1D.from_linear(linear)
            >>> conv, conv.weight.shape
            (Conv1D(nf=4, nx=3), torch.Size([3, 4]))
            >>> x = torch.randn(2, 3)
            >>> torch.allclose(conv(x), linear(x))
            True
        """
        if not isinstance(linear, nn.Linear):
            raise TypeError(f"linear must be a torch.nn.Linear, got {type(linear).__qualname__}")
        if not isinstance(linear.weight, torch.Tensor) or linear.weight.dim() != 2:
            raise ValueError("linear.weight must be a 2-D tensor")
        out_features, in_features = linear.weight.shape
        new = _build_on_meta(cls, out_features, in_features, linear.bias is not None)
        new.weight = _copy_parameter(linear.weight, transpose=True)
        if linear.bias is not None:
            new.bias = _copy_parameter(linear.bias, transpose=False)
        new.train(linear.training)
        return new

    def to_linear(self) -> nn.Linear:
        """Return an ``nn.Linear`` computing exactly what this layer computes.

        The weight is copied transposed; dtype, device, ``requires_grad`` and the training flag
        follow this layer, which is left untouched.

        Returns:
            A new ``nn.Linear`` with ``in_features = nx`` and ``out_features = nf``.

        Examples:
            >>> from tu.conv1d import Conv1D
            >>> Conv1D(4, 3).to_linear()
            Linear(in_features=3, out_features=4, bias=True)
        """
        with warnings.catch_warnings():
            # nn.Linear warns when initialising a zero-width weight (all heads pruned).
            warnings.filterwarnings("ignore", message="Initializing zero-element tensors")
            new = nn.Linear(self.nx, self.nf, bias=self.bias is not None, device="meta")
        new.weight = _copy_parameter(self.weight, transpose=True)
        if self.bias is not None:
            new.bias = _copy_parameter(self.bias, transpose=False)
        new.train(self.training)
        return new


def _check_features(name: str, value: object) -> int:
    """A feature count: an int (NumPy ints too, never a bool), ``>= 0``."""
    if type(value) is int and 0 <= value <= _MAX_SIZE:  # the common case, first
        return value
    is_bool_tensor = isinstance(value, torch.Tensor) and value.dtype == torch.bool
    if isinstance(value, bool) or is_bool_tensor or type(value).__name__ == "bool_":
        raise TypeError(f"{name} must be an int, got a bool")
    if isinstance(value, torch.Tensor) and value.dim() != 0:
        raise TypeError(f"{name} must be an int, got a {value.dim()}-D tensor")
    try:
        count = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__qualname__}") from None
    if count < 0:
        raise ValueError(f"{name} must be >= 0, got {count}")
    if count > _MAX_SIZE:
        raise ValueError(f"{name} = {count} is more than a tensor dimension can be ({_MAX_SIZE})")
    return count


def _check_device(device: object) -> torch.device | None:
    """``device`` as a ``torch.device`` (from a device, a string or a CUDA ordinal), or None."""
    if device is None:
        return None
    if isinstance(device, bool) or not isinstance(device, (torch.device, str, int)):
        raise TypeError(
            f"device must be a torch.device, a str, an int or None, got {type(device).__qualname__}"
        )
    try:
        return torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device {device!r} is not a valid torch device: {error}") from None


def _check_dtype(dtype: object) -> torch.dtype | None:
    """A floating or complex ``torch.dtype`` (what the N(0, 0.02) draw needs), or None."""
    if dtype is None:
        return None
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype or None, got {type(dtype).__qualname__}")
    if not (dtype.is_floating_point or dtype.is_complex):
        raise ValueError(f"dtype must be a floating-point or complex dtype, got {dtype}")
    return dtype


def _check_numel(nx: int, nf: int, dtype: torch.dtype | None, bias: bool) -> None:
    """Refuse a weight (or bias) whose byte size overflows int64, before torch allocates it."""
    kind = dtype or torch.get_default_dtype()
    itemsize = getattr(kind, "itemsize", None)  # torch >= 2.1; a meta tensor tells otherwise
    if not isinstance(itemsize, int):
        itemsize = torch.empty((), dtype=kind, device="meta").element_size()
    limit = _MAX_SIZE // itemsize
    if nx * nf > limit:
        raise ValueError(
            f"nx * nf = {nx} * {nf} = {nx * nf} elements is more than a tensor can hold"
            f" ({limit} of this dtype)"
        )
    if bias and nf > limit:  # nx = 0 leaves the weight empty, not the bias
        raise ValueError(
            f"nf = {nf} bias elements is more than a tensor can hold ({limit} of this dtype)"
        )


def _build_on_meta(cls: type[_C], nf: int, nx: int, bias: bool) -> _C:
    """Build ``cls`` without spending time on an initialisation that is about to be replaced."""
    return cls(nf, nx, bias=bias, device="meta")


def _copy_parameter(source: torch.Tensor, *, transpose: bool) -> nn.Parameter:
    data = source.detach()
    data = data.t().contiguous() if transpose else data.clone()
    return nn.Parameter(data, requires_grad=source.requires_grad)
