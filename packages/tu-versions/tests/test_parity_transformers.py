"""tu.versions against the installed transformers release, name by name."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import pytest
import torch

import tu.versions
from tu.versions import TRANSFORMERS_FLAGS

transformers = pytest.importorskip("transformers")
from transformers import pytorch_utils  # noqa: E402
from transformers.utils import import_utils  # noqa: E402

MAJOR = int(transformers.__version__.split(".")[0])


@pytest.mark.parametrize("name", TRANSFORMERS_FLAGS)
def test_flags_equal(name: str) -> None:
    assert getattr(tu.versions, name) == getattr(pytorch_utils, name)


@pytest.mark.parametrize("wanted", ["1.12", "2.0", "2.4", "2.13", "2.13.0", "2.13.1", "3.0"])
@pytest.mark.parametrize("accept_dev", [False, True])
def test_is_torch_greater_or_equal_equal(wanted: str, accept_dev: bool) -> None:
    got = tu.versions.is_torch_greater_or_equal(wanted, accept_dev=accept_dev)
    assert got == import_utils.is_torch_greater_or_equal(wanted, accept_dev=accept_dev)


@pytest.mark.parametrize(
    "name",
    [
        "is_torch_available",
        "is_torch_xla_available",
        "is_torch_xpu_available",
        "is_torch_npu_available",
        "is_torch_mps_available",
        "is_torch_hpu_available",
        "is_torchdynamo_compiling",
    ],
)
def test_availability_equal(name: str) -> None:
    assert getattr(tu.versions, name)() == bool(getattr(import_utils, name)())


def test_torch_int_equal() -> None:
    from transformers.utils.generic import torch_int

    for x in (3, 3.9, torch.tensor(4.2)):
        assert tu.versions.torch_int(x) == torch_int(x)


def test_torch_float_matches_5x_semantics() -> None:
    from transformers.utils.generic import torch_float

    if MAJOR < 5:
        # 4.57's torch_float returns int(x); tu follows the 5.x fix (see README).
        assert torch_float(3.5) == 3 and tu.versions.torch_float(3.5) == 3.5
    else:
        for x in (3, 3.5, torch.tensor(2.25)):
            got = tu.versions.torch_float(x)
            assert got == torch_float(x) and type(got) is type(torch_float(x))


def test_meshgrid_equal_and_quiet() -> None:
    a, b = torch.arange(3), torch.arange(5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = pytorch_utils.meshgrid(a, b, indexing="ij")
    ours = tu.versions.meshgrid(a, b)
    assert all(torch.equal(x, y) for x, y in zip(ours, theirs, strict=True))
    del caught


@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_backward_data_equal(dim: int) -> None:
    torch.manual_seed(1)
    x, g = torch.randn(4, 6), torch.randn(4, 6)
    out = torch.softmax(x, dim)
    parent = SimpleNamespace(dim=dim)
    theirs = pytorch_utils.softmax_backward_data(parent, g, out)
    assert torch.equal(tu.versions.softmax_backward_data(parent, g, out), theirs)
