"""infer_device: order of preference, the TU_DEVICE override, and no stray imports."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch

from tu.devices import DEVICE_TYPES, available_device_types, infer_device
from tu.devices import _infer as infer_module

ACCELERATORS = [name for name in DEVICE_TYPES if name != "cpu"]


def _only(monkeypatch: pytest.MonkeyPatch, *available: str) -> None:
    for name in ACCELERATORS:
        monkeypatch.setitem(infer_module._CHECKS, name, lambda name=name: name in available)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TU_DEVICE", raising=False)


def test_this_machine() -> None:
    expected = "cuda" if torch.cuda.is_available() else available_device_types()[0]
    assert infer_device() == expected
    assert available_device_types()[-1] == "cpu"


def test_cpu_when_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch)
    assert infer_device() == "cpu"
    assert available_device_types() == ["cpu"]


@pytest.mark.parametrize("index", range(len(ACCELERATORS)))
def test_preference_order(monkeypatch: pytest.MonkeyPatch, index: int) -> None:
    _only(monkeypatch, *ACCELERATORS[index:])
    assert infer_device() == ACCELERATORS[index]
    assert available_device_types() == [*ACCELERATORS[index:], "cpu"]


@pytest.mark.parametrize("value", ["cpu", "CPU", "  cpu "])
def test_env_override_cpu(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    _only(monkeypatch, "cuda")
    monkeypatch.setenv("TU_DEVICE", value)
    assert infer_device() == "cpu"


def test_env_override_available_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch, "cuda", "hpu")
    monkeypatch.setenv("TU_DEVICE", "hpu")
    assert infer_device() == "hpu"


def test_empty_env_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch, "xpu")
    monkeypatch.setenv("TU_DEVICE", " ")
    assert infer_device() == "xpu"


def test_env_unknown_value_names_variable_and_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TU_DEVICE", "gpu")
    with pytest.raises(
        ValueError, match=r"TU_DEVICE='gpu' is not a device type; use one of cuda, xpu, mps"
    ):
        infer_device()
    monkeypatch.setenv("TU_DEVICE", "cuda:0")
    with pytest.raises(ValueError, match="TU_DEVICE"):
        infer_device()


def test_env_unavailable_backend_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch, "xpu")
    monkeypatch.setenv("TU_DEVICE", "cuda")
    with pytest.raises(
        ValueError,
        match=r"TU_DEVICE='cuda' asks for cuda, which is not available here; available: xpu, cpu",
    ):
        infer_device()


def test_absent_backends_are_not_imported() -> None:
    code = textwrap.dedent(
        """
        import sys
        import tu.devices
        tu.devices.infer_device()
        tu.devices.available_device_types()
        tu.devices.device_count("xla"), tu.devices.device_count("npu"), tu.devices.device_count("hpu")
        stray = [m for m in ("torch_xla", "torch_npu", "habana_frameworks", "intel_extension_for_pytorch")
                 if m in sys.modules]
        print(stray)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert result.stdout.strip() == "[]"
