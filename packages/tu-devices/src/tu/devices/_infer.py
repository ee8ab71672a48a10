"""Which accelerator this process should use, asked of each backend without importing absent ones."""

from __future__ import annotations

import os
from collections.abc import Callable

import torch

from tu.versions import (
    is_torch_hpu_available,
    is_torch_mps_available,
    is_torch_npu_available,
    is_torch_xla_available,
    is_torch_xpu_available,
)

__all__ = ["DEVICE_ENV_VAR", "DEVICE_TYPES", "available_device_types", "infer_device"]

DEVICE_ENV_VAR = "TU_DEVICE"
"""The environment variable that overrides :func:`infer_device`."""

DEVICE_TYPES = ("cuda", "xpu", "mps", "npu", "hpu", "xla", "cpu")
"""Device types :func:`infer_device` knows, in the order it prefers them ("cpu" last)."""


def _cuda() -> bool:
    return bool(torch.cuda.is_available())


# Each check is looked up at call time (tests replace them); tu.versions caches its answers
# and only imports an add-on (torch_npu, habana_frameworks, torch_xla) that is installed.
_CHECKS: dict[str, Callable[[], bool]] = {
    "cuda": _cuda,
    "xpu": is_torch_xpu_available,
    "mps": is_torch_mps_available,
    "npu": is_torch_npu_available,
    "hpu": is_torch_hpu_available,
    "xla": is_torch_xla_available,
}


def available_device_types() -> list[str]:
    """Every device type usable here, in :data:`DEVICE_TYPES` order; always ends with "cpu".

    Returns:
        The available types, such as ``["cuda", "cpu"]``.

    Examples:
        >>> from tu.devices import available_device_types
        >>> available_device_types()[-1]
        'cpu'
    """
    return [name for name in DEVICE_TYPES[:-1] if _CHECKS[name]()] + ["cpu"]


def infer_device() -> str:
    """The device type to run on: the first available of cuda, xpu, mps, npu, hpu, xla; else cpu.

    ROCm builds report "cuda", as torch does. Setting ``TU_DEVICE`` to one of those names
    (case and surrounding spaces ignored) picks it instead, once checked to be available.

    Returns:
        A device type string, usable as ``torch.device(infer_device())``.

    Raises:
        ValueError: ``TU_DEVICE`` names no known device type, or one that is not available
            here; the message lists the choices.

    Examples:
        >>> from tu.devices import DEVICE_TYPES, infer_device
        >>> infer_device() in DEVICE_TYPES
        True
    """
    wanted = os.environ.get(DEVICE_ENV_VAR)
    if wanted is not None and wanted.strip():
        name = wanted.strip().lower()
        if name not in DEVICE_TYPES:
            raise ValueError(
                f"{DEVICE_ENV_VAR}={wanted!r} is not a device type; use one of {', '.join(DEVICE_TYPES)}"
            )
        if name != "cpu" and not _CHECKS[name]():
            available = ", ".join(available_device_types())
            raise ValueError(
                f"{DEVICE_ENV_VAR}={wanted!r} asks for {name}, which is not available here; "
                f"available: {available}"
            )
        return name
    for name in DEVICE_TYPES[:-1]:
        if _CHECKS[name]():
            return name
    return "cpu"
