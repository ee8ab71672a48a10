"""Recognise Conv1D layers from tu and from transformers without importing transformers."""

from __future__ import annotations

from torch import nn

from tu.conv1d._layer import Conv1D

#: Modules in which transformers has defined its Conv1D (``pytorch_utils`` since 4.x; older
#: releases defined it in ``modeling_utils``).
_TRANSFORMERS_MODULES = frozenset({"transformers.pytorch_utils", "transformers.modeling_utils"})


def is_conv1d(module: object) -> bool:
    """Tell whether ``module`` is a Conv1D layer from tu or from transformers.

    transformers' class is recognised by its module and name anywhere in the instance's class
    hierarchy, so subclasses count and transformers is never imported. Code that handles
    GPT-2-style layers (quantizers, LoRA) can then accept both implementations.

    Args:
        module: Any object.

    Returns:
        True for instances of :class:`Conv1D`, of ``transformers.pytorch_utils.Conv1D`` and of
        their subclasses; False for anything else, including the classes themselves.

    Examples:
        >>> from torch import nn
        >>> from tu.conv1d import Conv1D, is_conv1d
        >>> is_conv1d(Conv1D(4, 3)), is_conv1d(nn.Linear(3, 4))
        (True, False)
    """
    if isinstance(module, Conv1D):
        return True
    if not isinstance(module, nn.Module):
        return False
    return any(
        klass.__name__ == "Conv1D" and klass.__module__ in _TRANSFORMERS_MODULES
        for klass in type(module).__mro__
    )
