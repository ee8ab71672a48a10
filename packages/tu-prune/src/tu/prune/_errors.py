"""Exceptions of tu.prune."""

from __future__ import annotations


class UnsupportedLayerError(TypeError, ValueError):
    """The layer is neither an ``nn.Linear`` nor a Conv1D.

    A ``TypeError`` by nature; also a ``ValueError`` because transformers' ``prune_layer``
    raises ``ValueError`` in this case and callers may catch that.

    Examples:
        >>> from torch import nn
        >>> from tu.prune import UnsupportedLayerError, prune_layer
        >>> try:
        ...     prune_layer(nn.Conv2d(2, 2, 1), [0])
        ... except UnsupportedLayerError as error:
        ...     print(isinstance(error, TypeError), isinstance(error, ValueError))
        True True
    """
