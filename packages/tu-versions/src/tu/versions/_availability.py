"""Which torch backends and add-ons this installation has. Cached; a failing backend is False.

Each check looks for the add-on module first, so an absent backend costs a spec lookup
and never an import of torch. Arguments are checked before the cache is consulted: a
wrong-typed or invalid argument raises TypeError / ValueError naming it (never a silent
False, never ``unhashable type``); a backend whose driver fails reports False.
"""

from __future__ import annotations

import functools
import importlib.util
import os

from tu.versions._compare import check_bool, check_version, is_torch_greater_or_equal
from tu.versions._installed import is_torch_available

__all__ = [
    "clear_caches",
    "is_torch_distributed_available",
    "is_torch_hpu_available",
    "is_torch_mps_available",
    "is_torch_npu_available",
    "is_torch_xla_available",
    "is_torch_xpu_available",
]


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def is_torch_xla_available(check_is_tpu: bool = False, check_is_gpu: bool = False) -> bool:
    """Whether torch_xla is installed (and, if asked, runs on a TPU or a GPU).

    Setting the environment variable ``USE_TORCH_XLA`` to a false value (``0``, ``false``,
    ``no``, ``off``) turns XLA off, as in transformers. The answer is cached.

    Args:
        check_is_tpu: also require the XLA device to be a TPU.
        check_is_gpu: also require the XLA device to be a GPU.

    Returns:
        False without torch or torch_xla, or when the runtime cannot be asked.

    Raises:
        TypeError: ``check_is_tpu`` or ``check_is_gpu`` is not a bool.
        ValueError: both ``check_is_tpu`` and ``check_is_gpu`` are true.

    Examples:
        >>> from tu.versions import is_torch_xla_available
        >>> isinstance(is_torch_xla_available(), bool)
        True
    """
    check_bool(check_is_tpu, "check_is_tpu")
    check_bool(check_is_gpu, "check_is_gpu")
    if check_is_tpu and check_is_gpu:
        raise ValueError("check_is_tpu and check_is_gpu cannot both be true")
    return _xla(check_is_tpu, check_is_gpu)


@functools.cache
def _xla(check_is_tpu: bool, check_is_gpu: bool) -> bool:
    if os.environ.get("USE_TORCH_XLA", "1").upper() in {"0", "FALSE", "NO", "OFF"}:
        return False
    if not is_torch_available() or not _has_module("torch_xla"):
        return False
    if not (check_is_tpu or check_is_gpu):
        return True
    try:
        import torch_xla.runtime

        kind = str(torch_xla.runtime.device_type())
    except Exception:
        return False
    return kind in {"GPU", "CUDA"} if check_is_gpu else kind == "TPU"


def is_torch_xpu_available(check_device: bool = False) -> bool:
    """Whether torch has a usable Intel XPU backend (native from torch 2.4, or IPEX before 2.6).

    The answer is cached.

    Args:
        check_device: also ask the runtime for a device count, which fails without a device.

    Returns:
        False without torch, without XPU support, or when the runtime fails.

    Raises:
        TypeError: ``check_device`` is not a bool.

    Examples:
        >>> from tu.versions import is_torch_xpu_available
        >>> isinstance(is_torch_xpu_available(), bool)
        True
    """
    return _xpu(check_bool(check_device, "check_device"))


@functools.cache
def _xpu(check_device: bool) -> bool:
    if not is_torch_available():
        return False
    try:
        if not is_torch_greater_or_equal("2.6", accept_dev=True) and _has_module(
            "intel_extension_for_pytorch"
        ):
            import intel_extension_for_pytorch  # noqa: F401
        elif not is_torch_greater_or_equal("2.4", accept_dev=True):
            return False
        import torch

        xpu = getattr(torch, "xpu", None)
        if xpu is None:
            return False
        if check_device:
            xpu.device_count()
        return bool(xpu.is_available())
    except Exception:
        return False


def is_torch_npu_available(check_device: bool = False) -> bool:
    """Whether torch_npu (Ascend) is installed and reports an NPU. The answer is cached.

    Args:
        check_device: also ask the runtime for a device count, which fails without a device.

    Returns:
        False without torch or torch_npu, or when the runtime fails.

    Raises:
        TypeError: ``check_device`` is not a bool.

    Examples:
        >>> from tu.versions import is_torch_npu_available
        >>> isinstance(is_torch_npu_available(), bool)
        True
    """
    return _npu(check_bool(check_device, "check_device"))


@functools.cache
def _npu(check_device: bool) -> bool:
    if not is_torch_available() or not _has_module("torch_npu"):
        return False
    try:
        import torch
        import torch_npu  # noqa: F401

        npu = getattr(torch, "npu", None)
        if npu is None:
            return False
        if check_device:
            npu.device_count()
        return bool(npu.is_available())
    except Exception:
        return False


def is_torch_mps_available(min_version: str | None = None) -> bool:
    """Whether torch was built with Apple's MPS backend and it is usable here.

    ``min_version`` is checked even where MPS is absent, so a bad argument fails on every
    machine (transformers parses it only on a Mac with MPS). The answer is cached.

    Args:
        min_version: additionally require at least this torch version (a PEP 440 string,
            compared as :func:`~tu.versions.is_torch_greater_or_equal` does), or None.

    Returns:
        False without torch, without MPS, below ``min_version``, or when MPS fails.

    Raises:
        TypeError: ``min_version`` is neither None nor a string.
        ValueError: ``min_version`` is not a valid version (or too long).

    Examples:
        >>> from tu.versions import is_torch_mps_available
        >>> isinstance(is_torch_mps_available(min_version="2.0"), bool)
        True
    """
    if min_version is not None:
        check_version(min_version, "min_version")
    return _mps(min_version)


@functools.lru_cache(maxsize=64)  # bounded: one entry per distinct min_version
def _mps(min_version: str | None) -> bool:
    if not is_torch_available():
        return False
    try:
        import torch

        mps = getattr(torch.backends, "mps", None)
        if mps is None:
            return False
        usable = bool(mps.is_available() and mps.is_built())
        if min_version is not None:
            usable = usable and is_torch_greater_or_equal(min_version)
        return usable
    except Exception:
        return False


@functools.cache
def is_torch_hpu_available() -> bool:
    """Whether Habana's Gaudi (HPU) backend is installed and reports a device. Cached.

    Unlike transformers, this check never patches torch functions.

    Returns:
        False without torch or habana_frameworks, or when the runtime fails.

    Examples:
        >>> from tu.versions import is_torch_hpu_available
        >>> isinstance(is_torch_hpu_available(), bool)
        True
    """
    if not is_torch_available() or not _has_module("habana_frameworks"):
        return False
    try:
        if not _has_module("habana_frameworks.torch"):
            return False
        import torch

        if os.environ.get("PT_HPU_LAZY_MODE", "1") == "1":
            import habana_frameworks.torch  # noqa: F401
        hpu = getattr(torch, "hpu", None)
        return bool(hpu is not None and hpu.is_available())
    except Exception:
        return False


@functools.cache
def is_torch_distributed_available() -> bool:
    """Whether this torch build includes torch.distributed. Cached.

    Returns:
        False without torch or when torch.distributed cannot be imported.

    Examples:
        >>> from tu.versions import is_torch_distributed_available
        >>> isinstance(is_torch_distributed_available(), bool)
        True
    """
    if not is_torch_available():
        return False
    try:
        import torch.distributed

        return bool(torch.distributed.is_available())
    except Exception:
        return False


def clear_caches() -> None:
    """Forget the cached availability answers."""
    for check in (
        _xla,
        _xpu,
        _npu,
        _mps,
        is_torch_hpu_available,
        is_torch_distributed_available,
    ):
        check.cache_clear()
