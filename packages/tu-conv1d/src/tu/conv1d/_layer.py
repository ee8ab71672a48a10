"""The Conv1D layer: a linear map whose weight is stored transposed, as GPT-2 stores it."""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

import torch
from torch import nn

_C = TypeVar("_C", bound="Conv1D")


class Conv1D(nn.Module):
    """A linear layer with its weight stored as ``(in_features, out_features)``.

    OpenAI's GPT and GPT-2 call this layer "Conv1D" (a 1x1 convolution over the sequence) and
    their checkpoints store its weight transposed with respect to :class:`torch.nn.Linear`.
    This module keeps that layout, so GPT-2 checkpoints written by transformers load unchanged,
    while accepting ``device``/``dtype`` like ``nn.Linear`` and inputs of any layout.

    Args:
        nf: Number of output features.
        nx: Number of input features.
        bias: Whether to add a learnable bias of shape ``(nf,)``.
        device: Device of the parameters (``"meta"`` works).
        dtype: Floating dtype of the parameters.

    Shape:
        - Input: ``(*, nx)``, any number of leading dimensions, any strides.
        - Output: ``(*, nf)``.

    Attributes:
        weight: Parameter of shape ``(nx, nf)``, drawn from ``N(0, 0.02)``.
        bias: Parameter of shape ``(nf,)``, zeros; ``None`` when ``bias=False``.

    Examples:
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
        factory: dict[str, Any] = {"device": device, "dtype": dtype}
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
        """
        if self.weight.device.type == "meta":
            return
        nn.init.normal_(self.weight, mean=0.0, std=0.02)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x @ weight + bias`` over the last dimension of ``x``."""
        # flatten copies only when it must (non-contiguous input), where transformers' view
        # raises. Its explicit leading size also works for nx == 0, where reshape(-1, 0) fails.
        x2d = x.unsqueeze(0) if x.dim() == 1 else x.flatten(0, -2)
        if self.bias is None:
            out = torch.mm(x2d, self.weight)
        else:
            out = torch.addmm(self.bias, x2d, self.weight)
        return out.view((*x.shape[:-1], self.nf))

    def extra_repr(self) -> str:
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
        """
        if not isinstance(linear, nn.Linear):
            raise TypeError(f"linear must be a torch.nn.Linear, got {type(linear).__qualname__}")
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


def _check_features(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__qualname__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def _build_on_meta(cls: type[_C], nf: int, nx: int, bias: bool) -> _C:
    """Build ``cls`` without spending time on an initialisation that is about to be replaced."""
    return cls(nf, nx, bias=bias, device="meta")


def _copy_parameter(source: torch.Tensor, *, transpose: bool) -> nn.Parameter:
    data = source.detach()
    data = data.t().contiguous() if transpose else data.clone()
    return nn.Parameter(data, requires_grad=source.requires_grad)
