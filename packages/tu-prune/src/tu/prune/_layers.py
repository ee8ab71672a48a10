"""Prune single Linear and Conv1D layers along one dimension of their weight."""

from __future__ import annotations

import warnings
from typing import overload

import torch
from torch import nn

from tu.conv1d import Conv1D, is_conv1d
from tu.prune._errors import UnsupportedLayerError
from tu.prune._gather import select
from tu.prune._index import IndexLike, as_index, normalize_dim

_BUILD_ERRORS = (TypeError, ValueError, RuntimeError, NotImplementedError)


def prune_linear_layer(layer: nn.Linear, index: IndexLike, dim: int = 0) -> nn.Linear:
    """Return a new layer keeping only the rows (``dim=0``) or columns (``dim=1``) in ``index``.

    ``dim=0`` keeps output features (the bias is indexed too); ``dim=1`` keeps input features
    (the bias is kept whole). Positions are kept in the order given; repeats are allowed. The
    result has the source's dtype and device, and its parameters have ``requires_grad=True``
    (as in transformers) whatever the source's. It is of the source's class when that class
    can be built as ``cls(in_features, out_features, bias=...)`` and holds no other tensor;
    otherwise a plain ``nn.Linear``. ``layer`` is left untouched.

    Args:
        layer: The layer to prune.
        index: Positions to keep: a 1-D integer tensor (any integer dtype, any device) or an
            iterable of ints (list, tuple, range, NumPy array). Empty gives a zero-width layer.
            Work grows with its length (a ``range`` is bounds-checked before it is read).
        dim: 0 or 1 (also -2 or -1): the weight dimension ``index`` selects along. An int, never
            a bool.

    Returns:
        The pruned layer.

    Raises:
        TypeError: ``layer`` is not an ``nn.Linear``; ``index`` is not integer positions (a float,
            bool or complex tensor, a bare int, a string, items that are not ints); ``dim`` is
            not an int.
        ValueError: ``index`` is a tensor that is not 1-D.
        IndexError: ``dim`` is outside [-2, 1] or a position is outside the dimension.

    Examples:
        >>> from torch import nn
        >>> from tu.prune import prune_linear_layer
        >>> layer = nn.Linear(4, 6)
        >>> prune_linear_layer(layer, [0, 2, 5]).weight.shape
        torch.Size([3, 4])
    """
    if not isinstance(layer, nn.Linear):
        raise TypeError(f"layer must be a torch.nn.Linear, got {type(layer).__qualname__}")
    axis = normalize_dim(dim)
    weight, bias = _select(layer.weight, layer.bias, index, axis, bias_axis=0)
    out_features, in_features = weight.shape
    new = _build_like(layer, (in_features, out_features), weight.shape, bias is not None, nn.Linear)
    pruned = _install(new, layer, weight, bias)
    assert isinstance(pruned, nn.Linear)  # _build_like builds the source class or nn.Linear
    return pruned


@overload
def prune_conv1d_layer(layer: Conv1D, index: IndexLike, dim: int = 1) -> Conv1D: ...
@overload
def prune_conv1d_layer(layer: nn.Module, index: IndexLike, dim: int = 1) -> nn.Module: ...
def prune_conv1d_layer(layer: nn.Module, index: IndexLike, dim: int = 1) -> nn.Module:
    """Return a new Conv1D keeping only the weight rows (``dim=0``) or columns (``dim=1``) given.

    A Conv1D weight is ``(nx, nf)``: ``dim=1`` keeps output features (the bias is indexed too),
    ``dim=0`` keeps input features (the bias is kept whole). Accepts tu's Conv1D and
    transformers' (see :func:`tu.conv1d.is_conv1d`). The result is of the source's class when
    it can be built as ``cls(nf, nx)`` and holds no other tensor, otherwise a
    :class:`tu.conv1d.Conv1D`; dtype, device, order and ``requires_grad=True`` are as for
    :func:`prune_linear_layer`. ``layer`` is left untouched.

    Args:
        layer: The Conv1D layer to prune.
        index: Positions to keep: a 1-D integer tensor or a sequence of ints.
        dim: 0 or 1 (also -2 or -1).

    Returns:
        The pruned layer.

    Raises:
        TypeError: ``layer`` is not a Conv1D; ``index`` or ``dim`` has a wrong type (as for
            :func:`prune_linear_layer`).
        ValueError: ``index`` is a tensor that is not 1-D, or ``layer.weight`` is not 2-D.
        IndexError: ``dim`` is outside [-2, 1] or a position is outside the dimension.

    Examples:
        >>> from tu.conv1d import Conv1D
        >>> from tu.prune import prune_conv1d_layer
        >>> prune_conv1d_layer(Conv1D(6, 4), [1, 3])
        Conv1D(nf=2, nx=4)
    """
    if not is_conv1d(layer):
        raise TypeError(f"layer must be a Conv1D, got {type(layer).__qualname__}")
    axis = normalize_dim(dim)
    source_weight = layer.weight
    source_bias = layer.bias
    if not isinstance(source_weight, torch.Tensor) or source_weight.dim() != 2:
        raise ValueError("layer.weight must be a 2-D tensor")
    if source_bias is not None and not isinstance(source_bias, torch.Tensor):
        raise ValueError("layer.bias must be a tensor or None")
    weight, bias = _select(source_weight, source_bias, index, axis, bias_axis=1)
    nx, nf = weight.shape
    new = _build_like(layer, (nf, nx), weight.shape, bias is not None, Conv1D)
    return _install(new, layer, weight, bias)


@overload
def prune_layer(layer: nn.Linear, index: IndexLike, dim: int | None = None) -> nn.Linear: ...
@overload
def prune_layer(layer: Conv1D, index: IndexLike, dim: int | None = None) -> Conv1D: ...
@overload
def prune_layer(layer: nn.Module, index: IndexLike, dim: int | None = None) -> nn.Module: ...
def prune_layer(layer: nn.Module, index: IndexLike, dim: int | None = None) -> nn.Module:
    """Prune an ``nn.Linear`` or a Conv1D, keeping the output features by default.

    Dispatches to :func:`prune_linear_layer` (``dim`` defaults to 0) or
    :func:`prune_conv1d_layer` (``dim`` defaults to 1); both defaults select output features.

    Args:
        layer: An ``nn.Linear`` or a Conv1D (tu's or transformers').
        index: Positions to keep, as for :func:`prune_linear_layer`.
        dim: The weight dimension to select along; ``None`` for the output features.

    Returns:
        The pruned layer, as the function dispatched to returns it.

    Raises:
        UnsupportedLayerError: ``layer`` is neither (a ``TypeError`` and a ``ValueError``).
        TypeError: ``index`` or ``dim`` has a wrong type.
        ValueError: ``index`` is a tensor that is not 1-D.
        IndexError: ``dim`` is outside [-2, 1] or a position is outside the dimension.

    Examples:
        >>> from torch import nn
        >>> from tu.conv1d import Conv1D
        >>> from tu.prune import prune_layer
        >>> prune_layer(nn.Linear(4, 6), [0, 1]), prune_layer(Conv1D(6, 4), [0, 1])
        (Linear(in_features=4, out_features=2, bias=True), Conv1D(nf=2, nx=4))
    """
    if isinstance(layer, nn.Linear):
        return prune_linear_layer(layer, index, dim=0 if dim is None else dim)
    if is_conv1d(layer):
        return prune_conv1d_layer(layer, index, dim=1 if dim is None else dim)
    raise UnsupportedLayerError(
        f"layer must be a torch.nn.Linear or a Conv1D, got {type(layer).__qualname__}"
    )


def _select(
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    index: IndexLike,
    axis: int,
    *,
    bias_axis: int,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Index the weight (and the bias when ``axis`` is its output axis) without autograd."""
    checked = as_index(index, size=weight.shape[axis])
    positions = checked.to(weight.device)
    # A fresh contiguous tensor of the kept entries: no clone, no throwaway initialisation.
    new_weight = select(weight.detach(), axis, positions)
    if bias is None:
        return new_weight, None
    if axis == bias_axis:
        return new_weight, bias.detach().index_select(0, positions.to(bias.device))
    return new_weight, bias.detach().clone()


def _build_like(
    source: nn.Module,
    args: tuple[int, int],
    weight_shape: torch.Size,
    has_bias: bool,
    fallback: type[nn.Module],
) -> nn.Module:
    """Build an empty module of ``source``'s class on the meta device, else of ``fallback``."""
    cls = type(source)
    if cls is not fallback:
        built = _try_build(cls, args, weight_shape, has_bias)
        if built is not None:
            return built
    built = _try_build(fallback, args, weight_shape, has_bias)
    if built is None:  # pragma: no cover - nn.Linear and tu's Conv1D always build
        raise RuntimeError(f"could not build a {fallback.__qualname__}{args}")
    return built


def _try_build(
    cls: type[nn.Module], args: tuple[int, int], weight_shape: torch.Size, has_bias: bool
) -> nn.Module | None:
    """Build ``cls(*args)`` on the meta device if it gives exactly the expected parameters.

    Building on the meta device skips the random initialisation that the new weights replace
    at once (a third of transformers' pruning time).
    """
    expected = {"weight", "bias"} if has_bias else {"weight"}
    attempts: list[dict[str, bool]] = [{}, {"bias": True}] if has_bias else [{"bias": False}, {}]
    for kwargs in attempts:
        try:
            with warnings.catch_warnings():
                # nn.Linear warns when initialising a zero-width weight (all heads pruned).
                warnings.filterwarnings("ignore", message="Initializing zero-element tensors")
                with torch.device("meta"):
                    module = cls(*args, **kwargs)
        except _BUILD_ERRORS:
            continue
        names = {name for name, _ in module.named_parameters()}
        names |= {name for name, _ in module.named_buffers()}
        weight = getattr(module, "weight", None)
        if names == expected and isinstance(weight, torch.Tensor) and weight.shape == weight_shape:
            return module
    return None


def _install(
    new: nn.Module, source: nn.Module, weight: torch.Tensor, bias: torch.Tensor | None
) -> nn.Module:
    new.weight = nn.Parameter(weight, requires_grad=True)
    if bias is not None:
        new.bias = nn.Parameter(bias, requires_grad=True)
    new.train(source.training)
    return new
