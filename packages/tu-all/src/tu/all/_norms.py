"""Normalisation layer types, and which parameters should get weight decay."""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn

__all__ = ["ALL_LAYERNORM_LAYERS", "NORM_LAYERS", "decay_parameter_names", "is_norm_layer"]

#: transformers' list, unchanged: the layer norms whose weights get no weight decay.
ALL_LAYERNORM_LAYERS: list[type[nn.Module]] = [nn.LayerNorm]

_rms_norm: tuple[type[nn.Module], ...] = (nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ()

#: Every normalisation layer torch ships (nn.RMSNorm where torch has it, from 2.4).
NORM_LAYERS: tuple[type[nn.Module], ...] = (
    nn.LayerNorm,
    *_rms_norm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
    nn.modules.batchnorm._NormBase,  # BatchNorm*, InstanceNorm*, SyncBatchNorm
)


def is_norm_layer(
    module: nn.Module,
    norm_layers: Iterable[type[nn.Module]] = NORM_LAYERS,
    match_class_names: bool = True,
) -> bool:
    """Whether ``module`` normalises activations.

    Args:
        module: the module to classify.
        norm_layers: classes counted as normalisation layers.
        match_class_names: also count a module whose class name ends in ``Norm`` (``LlamaRMSNorm``,
            ``T5LayerNorm``): models define their own norms without subclassing torch's.
    """
    if isinstance(module, tuple(norm_layers)):
        return True
    return match_class_names and type(module).__name__.endswith("Norm")


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
    listed once, under its first name, as ``named_parameters()`` does.

    Args:
        model: the model whose parameters to sort.
        norm_layers: classes counted as normalisation layers (default :data:`NORM_LAYERS`).
        match_class_names: also count classes whose name ends in ``Norm``.
        exclude_biases: give biases no weight decay either, as transformers does.

    Returns:
        Parameter names in ``model.named_parameters()`` order.

    Examples:
        >>> model = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
        >>> decay_parameter_names(model)
        ['0.weight']
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    norm_types = tuple(norm_layers)
    in_norm: set[str] = set()
    for name, module in model.named_modules():
        parent = name.rpartition(".")[0] if name else None
        if (parent is not None and parent in in_norm) or is_norm_layer(
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
