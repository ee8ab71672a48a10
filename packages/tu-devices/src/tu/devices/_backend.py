"""Device-agnostic synchronize / empty_cache / device_count / memory_allocated / manual_seed.

Code that must not branch on the backend calls these with a device (or nothing: the device
:func:`infer_device` picks) and each is routed to ``torch.cuda``, ``torch.xpu``,
``torch.mps``, ``torch.npu``, ``torch.hpu`` or torch_xla. Which route runs is decided by
the table behind :func:`_route`, from the device type alone, so the choice is tested on any
machine.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import torch

from tu.devices import _infer
from tu.devices._infer import DEVICE_TYPES, available_device_types, infer_device
from tu.devices._types import DeviceLike

__all__ = ["device_count", "empty_cache", "manual_seed", "memory_allocated", "synchronize"]

_NO_OP_TYPES = ("cpu", "meta")
_SEED_MIN, _SEED_MAX = -(2**63), 2**64 - 1
_MAX_INDEX = 2**31 - 1  # torch's DeviceIndex is 8 or 16 bits; anything above is nonsense


def _check_type(device_type: str, argument: str) -> str:
    if device_type not in DEVICE_TYPES and device_type != "meta":
        raise ValueError(
            f"{argument}: device type {device_type[:40]!r} is not supported; use one of "
            f"{', '.join(DEVICE_TYPES)} or meta"
        )
    return device_type


def _as_device(device: DeviceLike | None, argument: str = "device") -> torch.device:
    """Normalize ``device``; None means :func:`infer_device`'s, an int an index on it."""
    if device is None:
        return torch.device(infer_device())
    if isinstance(device, bool) or not isinstance(device, (torch.device, str, int)):
        raise TypeError(
            f"{argument} must be a torch.device, a string such as 'cuda:0', an index or None, "
            f"got {type(device).__name__}"
        )
    if isinstance(device, int):
        if not 0 <= device <= _MAX_INDEX:
            shown = device if abs(device) < 10**12 else "a huge int"
            raise ValueError(
                f"{argument}: a device index must be >= 0 and <= {_MAX_INDEX}, got {shown}"
            )
        kind = infer_device()
        if kind == "cpu":
            raise ValueError(f"{argument}: index {device} given, but no accelerator is available")
        try:
            return torch.device(kind, device)
        except (RuntimeError, ValueError, OverflowError) as exc:
            raise ValueError(f"{argument}: index {device} is not a device index ({exc})") from None
    if isinstance(device, str):
        # Check the type first: "npu" only parses once torch_npu has registered it.
        _require(_check_type(device.split(":")[0].strip().lower(), argument), argument)
        text = device
        try:
            device = torch.device(text.strip().lower())
        except (RuntimeError, ValueError, OverflowError) as exc:
            raise ValueError(f"{argument}: {text[:40]!r} is not a device ({exc})") from None
    _check_type(device.type, argument)
    return device


def _available(device_type: str) -> bool:
    return device_type in _NO_OP_TYPES or _infer._CHECKS[device_type]()


def _require(device_type: str, argument: str = "device") -> None:
    if not _available(device_type):
        raise ValueError(
            f"{argument}: {device_type} is not available here; available: "
            f"{', '.join(available_device_types())}"
        )


def _module(device_type: str) -> Any:
    """The module holding a backend's runtime functions (only called when it is available)."""
    if device_type == "xla":
        import torch_xla.core.xla_model as xm

        return xm
    module = getattr(torch, device_type, None)
    if module is None:
        raise ValueError(f"torch has no {device_type} module here")
    return module


class Route(NamedTuple):
    """How an operation runs on a backend: ``getattr(module, attribute)([device])``."""

    attribute: str
    pass_device: bool
    optional: bool = False  # absent on some releases: then there is nothing to do


_ROUTES: dict[tuple[str, str], Route | None] = {}
for _kind in ("cuda", "xpu", "npu"):
    _ROUTES["synchronize", _kind] = Route("synchronize", pass_device=True)
    _ROUTES["empty_cache", _kind] = Route("empty_cache", pass_device=False)
    _ROUTES["memory_allocated", _kind] = Route("memory_allocated", pass_device=True)
_ROUTES.update(
    {
        ("synchronize", "mps"): Route("synchronize", pass_device=False),
        ("empty_cache", "mps"): Route("empty_cache", pass_device=False),
        ("memory_allocated", "mps"): Route("current_allocated_memory", pass_device=False),
        ("synchronize", "hpu"): Route("synchronize", pass_device=False),
        ("empty_cache", "hpu"): Route("empty_cache", pass_device=False, optional=True),
        ("memory_allocated", "hpu"): Route("memory_allocated", pass_device=True, optional=True),
        ("synchronize", "xla"): Route("wait_device_ops", pass_device=False),
        ("empty_cache", "xla"): None,
        ("memory_allocated", "xla"): None,
    }
)
for _kind in _NO_OP_TYPES:
    for _operation in ("synchronize", "empty_cache", "memory_allocated"):
        _ROUTES[_operation, _kind] = None


def _route(operation: str, device_type: str) -> Route | None:
    """How ``operation`` runs for ``device_type``; None: nothing to do (or no such figure)."""
    return _ROUTES[operation, device_type]


def _run(operation: str, device: torch.device) -> Any:
    route = _route(operation, device.type)
    if route is None:
        return None
    function = getattr(_module(device.type), route.attribute, None)
    if function is None:
        if route.optional:
            return None
        raise ValueError(f"torch.{device.type} has no {route.attribute} here")
    return function(device) if route.pass_device else function()


def synchronize(device: DeviceLike | None = None) -> None:
    """Wait for all queued work on ``device`` (default: :func:`infer_device`'s) to finish.

    A no-op for cpu and meta; ``torch.<backend>.synchronize`` elsewhere (torch_xla waits
    for its device operations).

    Args:
        device: a ``torch.device``, a string such as ``"cuda:0"``, an index on
            :func:`infer_device`'s type, or None for :func:`infer_device`'s device.

    Raises:
        TypeError: ``device`` is not a device, string, index or None (bools refused).
        ValueError: an unknown device type, a backend not available here, or a negative
            or huge index.

    Examples:
        >>> from tu.devices import synchronize
        >>> synchronize("cpu")  # a no-op on the CPU
    """
    target = _as_device(device)
    _require(target.type)
    _run("synchronize", target)


def empty_cache(device: DeviceLike | None = None) -> None:
    """Release the cached, unused memory of ``device``'s allocator back to the system.

    A no-op for cpu, meta and xla, and on backends without an ``empty_cache``.

    Args:
        device: as for :func:`synchronize`; None means :func:`infer_device`'s device.

    Raises:
        TypeError: ``device`` is not a device, string, index or None (bools refused).
        ValueError: an unknown device type, a backend not available here, or a negative
            or huge index.

    Examples:
        >>> from tu.devices import empty_cache
        >>> empty_cache("cpu")  # a no-op on the CPU
    """
    target = _as_device(device)
    _require(target.type)
    _run("empty_cache", target)


def memory_allocated(device: DeviceLike | None = None) -> int | None:
    """Bytes held by tensors on ``device``, or None where the backend has no such figure.

    cuda, xpu, npu (and hpu where it offers it): ``memory_allocated(device)``; mps: the
    process-wide ``current_allocated_memory()``; cpu, meta and xla: None.

    Args:
        device: as for :func:`synchronize`; None means :func:`infer_device`'s device.

    Returns:
        Bytes in use, or None where the backend keeps no such figure.

    Raises:
        TypeError: ``device`` is not a device, string, index or None (bools refused).
        ValueError: an unknown device type, a backend not available here, or a negative
            or huge index.

    Examples:
        >>> from tu.devices import memory_allocated
        >>> memory_allocated("cpu") is None
        True
    """
    target = _as_device(device)
    _require(target.type)
    value = _run("memory_allocated", target)
    return None if value is None else int(value)


def device_count(device_type: DeviceLike | None = None) -> int:
    """How many devices of this type the process can use: 0 when the backend is unavailable.

    "cpu" counts as one device, as ``torch.cpu.device_count()`` does. ``device_type`` may
    also be a device (``"cuda:1"``): its type is counted.

    Args:
        device_type: a device type such as ``"cuda"``, a device, or None for
            :func:`infer_device`'s type.

    Returns:
        The number of usable devices of that type.

    Raises:
        TypeError: ``device_type`` is not a string, device or None (ints and bools refused).
        ValueError: an unknown device type.

    Examples:
        >>> from tu.devices import device_count
        >>> device_count("cpu"), device_count("meta")
        (1, 0)
    """
    if device_type is None:
        kind = infer_device()
    elif isinstance(device_type, torch.device):
        kind = device_type.type
    elif isinstance(device_type, str):
        kind = device_type.strip().lower().split(":")[0]
    else:
        raise TypeError(
            f"device_type must be a string such as 'cuda', a torch.device or None, "
            f"got {type(device_type).__name__}"
        )
    kind = _check_type(kind, "device_type")
    if kind in _NO_OP_TYPES:
        return 1 if kind == "cpu" else 0
    if not _available(kind):
        return 0
    if kind == "mps":
        return 1
    if kind == "xla":
        try:
            import torch_xla.runtime as xr

            return int(xr.addressable_device_count())
        except Exception:
            return len(_module("xla").get_xla_supported_devices())
    return int(_module(kind).device_count())


def manual_seed(seed: int) -> None:
    """Seed torch's generators on the CPU and on every available backend.

    ``torch.manual_seed`` seeds the CPU, all CUDA devices, MPS and (torch >= 2.4) XPU;
    this also seeds XPU before torch 2.4, NPU and HPU devices, and XLA, where available.

    Args:
        seed: an int in ``[-2**63, 2**64 - 1]``, as torch accepts.

    Raises:
        TypeError: ``seed`` is not an int (bools refused).
        ValueError: ``seed`` is out of range.

    Examples:
        >>> import torch
        >>> from tu.devices import manual_seed
        >>> manual_seed(0)
        >>> first = torch.rand(2)
        >>> manual_seed(0)
        >>> torch.equal(first, torch.rand(2))
        True
    """
    given: object = seed  # checked at run time, whatever the annotation says
    if isinstance(given, bool) or not isinstance(given, numbers.Integral):
        raise TypeError(f"seed must be an int, got {type(given).__name__}")
    seed = int(given)
    if not _SEED_MIN <= seed <= _SEED_MAX:
        shown = seed if abs(seed) < 10**30 else "a huge int"
        raise ValueError(f"seed must be in [-2**63, 2**64 - 1], got {shown}")
    torch.manual_seed(seed)
    for kind in ("xpu", "npu", "hpu"):
        if _infer._CHECKS[kind]():
            module = _module(kind)
            seed_all = getattr(module, "manual_seed_all", None) or getattr(
                module, "manual_seed", None
            )
            if seed_all is not None:
                seed_all(seed)
    if _infer._CHECKS["xla"]():
        _module("xla").set_rng_state(seed)
