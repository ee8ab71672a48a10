"""tu.devices: device helpers that hold on every torch backend.

``isin_mps_friendly`` (removed from transformers in 5.1) with a fallback right for every
shape, ``infer_device`` that knows cuda, xpu, mps, npu, hpu and xla (and a ``TU_DEVICE``
override), ``move_to_device`` for nested containers of every common kind, and
backend-agnostic ``synchronize`` / ``empty_cache`` / ``device_count`` /
``memory_allocated`` / ``manual_seed``.

Examples:
    >>> import torch
    >>> from tu.devices import infer_device, isin_mps_friendly, move_to_device
    >>> device = infer_device()
    >>> ids = move_to_device({"input_ids": torch.tensor([[5, 7, 9]])}, device)["input_ids"]
    >>> isin_mps_friendly(ids, [7, 9]).tolist()
    [[False, True, True]]
"""

from tu.devices.__about__ import __version__
from tu.devices._backend import (
    device_count,
    empty_cache,
    manual_seed,
    memory_allocated,
    synchronize,
)
from tu.devices._infer import DEVICE_ENV_VAR, DEVICE_TYPES, available_device_types, infer_device
from tu.devices._isin import (
    IsinTestElements,
    isin_broadcast,
    isin_mps_friendly,
    isin_needs_fallback,
)
from tu.devices._move import move_to_device
from tu.devices._types import DeviceLike

__all__ = [
    "DEVICE_ENV_VAR",
    "DEVICE_TYPES",
    "DeviceLike",
    "IsinTestElements",
    "__version__",
    "available_device_types",
    "device_count",
    "empty_cache",
    "infer_device",
    "isin_broadcast",
    "isin_mps_friendly",
    "isin_needs_fallback",
    "manual_seed",
    "memory_allocated",
    "move_to_device",
    "synchronize",
]
