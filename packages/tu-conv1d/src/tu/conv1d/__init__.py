"""tu.conv1d: GPT-2's Conv1D layer, with device/dtype kwargs and Linear conversions.

:class:`Conv1D` is a drop-in for ``transformers.pytorch_utils.Conv1D`` (same parameters,
state-dict keys, repr and outputs) that also takes ``device``/``dtype``, accepts
non-contiguous inputs and converts exactly to and from ``nn.Linear``. :func:`is_conv1d`
recognises both implementations without importing transformers.

Examples:
    >>> import torch
    >>> from tu.conv1d import Conv1D
    >>> Conv1D(768, 3072)
    Conv1D(nf=768, nx=3072)
"""

from tu.conv1d.__about__ import __version__
from tu.conv1d._detect import is_conv1d
from tu.conv1d._layer import Conv1D
from tu.conv1d._state_dict import conv1d_module_names, transpose_conv1d_weights

__all__ = [
    "Conv1D",
    "__version__",
    "conv1d_module_names",
    "is_conv1d",
    "transpose_conv1d_weights",
]
