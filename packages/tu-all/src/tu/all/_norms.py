"""Normalisation layer types, and which parameters should get weight decay."""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn

__all__ = ["ALL_LAYERNORM_LAYERS", "NORM_LAYERS", "decay_parameter_names", "is_norm_layer"]

ALL_LAYERNORM_LAYERS: list[type[nn.Module]] = [nn.LayerNorm]
"""transformers' list, unchanged: the layer norms whose weights get no weight decay."""

_rms_norm: tuple[type[nn.Module], ...] = (nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ()

NORM_LAYERS: tuple[type[nn.Module], ...] = (
    nn.LayerNorm,
    *_rms_norm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
    nn.modules.batchnorm._NormBase,  # BatchNorm*, InstanceNorm*, SyncBatchNorm
)
"""Every normalisation layer torch ships (nn.RMSNorm where torch has it, from 2.4)."""

_EXPECTED = "a list or tuple of torch.nn.Module subclasses, such as (nn.LayerNorm,)"


def _check_norm_layers(norm_layers: object) -> tuple[type[nn.Module], ...]:
    """``norm_layers`` as a tuple of classes, or a TypeError naming it and what is expected."""
    if isinstance(norm_layers, (str, bytes, type)) or not isinstance(norm_layers, Iterable):
        raise TypeError(f"norm_layers must be {_EXPECTED}, got {type(norm_layers).__name__}")
    classes = tuple(norm_layers)
    for item in classes:
        if not (isinstance(item, type) and issubclass(item, nn.Module)):
            shown = item.__name__ if isinstance(item, type) else repr(item)[:40]
            raise TypeError(f"norm_layers must be {_EXPECTED}; it holds {shown}")
    return classes


def _check_bool(value: object, argument: str) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{argument} must be a bool, got {type(value).__name__}")


def _check_module(value: object, argument: str) -> None:
    if not isinstance(value, nn.Module):
        raise TypeError(f"{argument} must be a torch.nn.Module, got {type(value).__name__}")


def _is_norm(module: nn.Module, norm_types: tuple[type[nn.Module], ...], by_name: bool) -> bool:
    if isinstance(module, norm_types):
        return True
    return by_name and type(module).__name__.endswith("Norm")


def is_norm_layer(
    module: nn.Module,
    norm_layers: Iterable[type[nn.Module]] = NORM_LAYERS,
    match_class_names: bool = True,
) -> bool:
    """Whether ``module`` normalises activations.

    Args:
        module: the module to classify.
        norm_layers: classes counted as normalisation layers: a list or tuple (any
            iterable but a string) of ``nn.Module`` subclasses.
        match_class_names: also count a module whose class name ends in ``Norm`` (``LlamaRMSNorm``,
            ``T5LayerNorm``): models define their own norms without subclassing torch's.

    Returns:
        True for an instance of one of ``norm_layers`` or, with ``match_class_names``, of a
        class named ``...Norm``.

    Raises:
        TypeError: ``module`` is not an ``nn.Module``; ``norm_layers`` is not an iterable of
            ``nn.Module`` subclasses (a string, a single class, or an item that is a string
            or an instance is refused); ``match_class_names`` is not a bool.

    Examples:
        >>> from torch import nn
        >>> from tu.all import is_norm_layer
        >>> is_norm_layer(nn.LayerNorm(4)), is_norm_layer(nn.Linear(4, 4))
        (True, False)
    """
    _check_module(module, "module")
    norm_types = _check_norm_layers(norm_layers)
    _check_bool(match_class_names, "match_class_names")
    return _is_norm(module, norm_types, match_class_names)


def decay_parameter_names(
    model: nn.Module,
    norm_layers: Iterable[type[nn.Module]] = NORM_LAYERS,
    match_class_names: bool = True,
    exclude_biases: bool = True,
) -> list[str]:
    """Names of the parameters that should get weight decay: all but norm weights and biases.

    transformers' Trainer decides by matching parameter names against patterns such as
    ``layernorm`` and ``_norm``, which misses a norm module called ``ln_f`` or ``post_attn``.
    Here the owning module's type decides: a parameter is excluded when it belongs to a
    normalisation layer (see :func:`is_norm_layer`) or to a module inside one, or, with
    ``exclude_biases``, when its own name is ``bias``. A parameter shared by several modules is
    listed once, under its first name, as ``named_parameters()`` does. Work is linear in the
    number of modules and parameters.

    Args:
        model: the model whose parameters to sort.
        norm_layers: classes counted as normalisation layers (default :data:`NORM_LAYERS`):
            a list or tuple (any iterable but a string) of ``nn.Module`` subclasses.
        match_class_names: also count classes whose name ends in ``Norm``.
        exclude_biases: give biases no weight decay either, as transformers does.

    Returns:
        Parameter names in ``model.named_parameters()`` order.

    Raises:
        TypeError: ``model`` is not an ``nn.Module``; ``norm_layers`` is not an iterable of
            ``nn.Module`` subclasses (None, a string, a single class, or an item such as
            ``"LayerNorm"`` or ``nn.LayerNorm(4)`` is refused); ``match_class_names`` or
            ``exclude_biases`` is not a bool.

    Examples:
        >>> from torch import nn
        >>> from tu.all import decay_parameter_names
        >>> model = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
        >>> decay_parameter_names(model)
        ['0.weight']
    """
    _check_module(model, "model")
    norm_types = _check_norm_layers(norm_layers)
    _check_bool(match_class_names, "match_class_names")
    _check_bool(exclude_biases, "exclude_biases")
    in_norm: set[str] = set()
    for name, module in model.named_modules():
        parent = name.rpartition(".")[0] if name else None
        if (parent is not None and parent in in_norm) or _is_norm(
            module, norm_types, match_class_names
        ):
            in_norm.add(name)
    names = []
    for name, _ in model.named_parameters():
        owner, _, leaf = name.rpartition(".")
        if owner in in_norm or (exclude_biases and leaf == "bias"):
            continue
        names.append(name)
    return names
