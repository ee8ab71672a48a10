"""What `tu env` reports: Python, torch and its build, the backends, the flags, tu's versions."""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from typing import Any

import tu.versions

#: Every distribution of the tu family, in dependency order.
TU_DISTRIBUTIONS = (
    "tu-versions",
    "tu-conv1d",
    "tu-prune",
    "tu-chunk",
    "tu-storage",
    "tu-devices",
    "tu-cache",
    "tu-all",
)


def tu_versions() -> dict[str, str | None]:
    """The installed version of each tu distribution (None where it is not installed)."""
    found: dict[str, str | None] = {}
    for name in TU_DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def torch_report() -> dict[str, Any]:
    """torch's version and build, or ``{"installed": False}`` without torch."""
    if not tu.versions.is_torch_available():
        return {"installed": False}
    import torch

    cuda_available = bool(torch.cuda.is_available())
    return {
        "installed": True,
        "version": str(torch.__version__),
        "cuda_build": torch.version.cuda,
        "hip_build": getattr(torch.version, "hip", None),
        "debug_build": bool(torch.version.debug),
        "cuda_available": cuda_available,
        "cuda_device_count": torch.cuda.device_count() if cuda_available else 0,
        "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        if cuda_available
        else [],
        "num_threads": torch.get_num_threads(),
    }


def backends_report() -> dict[str, bool]:
    """Which backends tu.versions finds usable."""
    return {
        "mps": tu.versions.is_torch_mps_available(),
        "xpu": tu.versions.is_torch_xpu_available(),
        "npu": tu.versions.is_torch_npu_available(),
        "hpu": tu.versions.is_torch_hpu_available(),
        "xla": tu.versions.is_torch_xla_available(),
        "distributed": tu.versions.is_torch_distributed_available(),
    }


def flags_report() -> dict[str, bool]:
    """transformers' nine ``is_torch_greater_or_equal_than_*`` flags, as tu.versions computes them."""
    return {name: bool(getattr(tu.versions, name)) for name in tu.versions.TRANSFORMERS_FLAGS}


def collect_env() -> dict[str, Any]:
    """The whole `tu env` report as plain JSON-ready data."""
    return {
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": platform.platform(),
        "torch": torch_report(),
        "backends": backends_report(),
        "flags": flags_report(),
        "tu": tu_versions(),
    }


def format_env(report: dict[str, Any]) -> str:
    """The report as aligned text lines for a terminal."""
    rows: list[tuple[str, str]] = []
    py = report["python"]
    rows.append(("Python", f"{py['version']} ({py['implementation']}) {py['executable']}"))
    rows.append(("Platform", report["platform"]))
    torch = report["torch"]
    if torch["installed"]:
        build = f"CUDA {torch['cuda_build']}" if torch["cuda_build"] else "CPU"
        if torch.get("hip_build"):
            build = f"ROCm {torch['hip_build']}"
        rows.append(("torch", f"{torch['version']} ({build} build)"))
        cuda = "no"
        if torch["cuda_available"]:
            cuda = f"yes, {torch['cuda_device_count']} device(s): " + ", ".join(
                torch["cuda_devices"]
            )
        rows.append(("CUDA available", cuda))
        rows.append(("torch threads", str(torch["num_threads"])))
    else:
        rows.append(("torch", "not installed"))
    for name, available in report["backends"].items():
        rows.append((f"backend {name}", "yes" if available else "no"))
    for name, value in report["flags"].items():
        rows.append((name, str(value)))
    for name, version in report["tu"].items():
        rows.append((name, version or "not installed"))
    width = max(len(key) for key, _ in rows)
    return "\n".join(f"{key:<{width}}  {value}" for key, value in rows)
