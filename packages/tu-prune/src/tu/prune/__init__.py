"""tu.prune: structural pruning of Linear and Conv1D layers and attention heads.

The pruning helpers transformers removed in 5.0 (``prune_conv1d_layer``, ``prune_layer``,
``find_pruneable_heads_and_indices``) and its ``prune_linear_layer``, with the same results
but keeping the layer's dtype, without a throwaway initialisation, and with typed errors;
plus :func:`prune_heads`, which prunes one attention block's projections together
(fused or separate, with grouped-query attention).

Examples:
    >>> from torch import nn
    >>> from tu.prune import prune_linear_layer
    >>> prune_linear_layer(nn.Linear(8, 6), [0, 1, 2], dim=0)
    Linear(in_features=8, out_features=3, bias=True)
"""

from tu.prune.__about__ import __version__
from tu.prune._errors import UnsupportedLayerError
from tu.prune._heads import HeadPruning, find_pruneable_heads_and_indices, prune_heads
from tu.prune._index import IndexLike
from tu.prune._layers import prune_conv1d_layer, prune_layer, prune_linear_layer

__all__ = [
    "HeadPruning",
    "IndexLike",
    "UnsupportedLayerError",
    "__version__",
    "find_pruneable_heads_and_indices",
    "prune_conv1d_layer",
    "prune_heads",
    "prune_layer",
    "prune_linear_layer",
]
