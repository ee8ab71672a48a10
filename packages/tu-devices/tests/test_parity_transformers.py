"""tu.devices against the installed transformers: isin_mps_friendly and infer_device (4.57),
move_to_device (5.x). Names a release lacks are skipped."""

from __future__ import annotations

from collections import OrderedDict, defaultdict, namedtuple
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

transformers = pytest.importorskip("transformers")
pytorch_utils = pytest.importorskip("transformers.pytorch_utils")

from tu.devices import infer_device, isin_mps_friendly, move_to_device  # noqa: E402

Pair = namedtuple("Pair", ["a", "b"])


def _theirs(name: str) -> Any:
    if not hasattr(pytorch_utils, name):
        pytest.skip(f"transformers {transformers.__version__} has no pytorch_utils.{name}")
    return getattr(pytorch_utils, name)


@st.composite
def _isin_inputs(draw: Any) -> tuple[torch.Tensor, Any]:
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    n = 1
    for size in shape:
        n *= size
    dtype = draw(st.sampled_from([torch.int64, torch.int32, torch.float32]))
    elements = torch.tensor(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))).reshape(
        shape
    )
    kind = draw(st.sampled_from(["tensor", "int", "tensor0d"]))
    if kind == "int":
        test: Any = draw(st.integers(-3, 3))
    elif kind == "tensor0d":
        test = torch.tensor(draw(st.integers(-3, 3)))
    else:
        test = torch.tensor(draw(st.lists(st.integers(-3, 3), max_size=5)), dtype=torch.int64)
    return elements.to(dtype), test


@settings(max_examples=80, deadline=None)
@given(_isin_inputs())
def test_isin_mps_friendly_matches_transformers_on_cpu(inputs: tuple[torch.Tensor, Any]) -> None:
    theirs = _theirs("isin_mps_friendly")
    elements, test = inputs
    expected = theirs(elements, test)
    got = isin_mps_friendly(elements, test)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    assert torch.equal(got, expected)


def test_difference_isin_accepts_a_sequence() -> None:
    theirs = _theirs("isin_mps_friendly")
    with pytest.raises(TypeError):
        theirs(torch.tensor([1, 2]), [2])
    assert isin_mps_friendly(torch.tensor([1, 2]), [2]).tolist() == [False, True]


def test_infer_device_matches_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = _theirs("infer_device")
    monkeypatch.delenv("TU_DEVICE", raising=False)
    # Same answer wherever only cuda, xpu or nothing is available (tu also knows mps, npu,
    # hpu and xla, which transformers 4.57 reports as "cpu").
    ours = infer_device()
    if ours in ("cuda", "xpu", "cpu"):
        assert ours == theirs()


def _nested() -> Any:
    return {
        "x": torch.ones(2),
        "list": [torch.zeros(1), 3, "s", None],
        "tuple": (torch.ones(1), (torch.zeros(2), 1.5)),
        "od": OrderedDict([("k", torch.ones(3))]),
        "deep": [{"a": [torch.arange(3)]}],
    }


def _assert_same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    if isinstance(a, torch.Tensor):
        assert a.device == b.device
        assert a.dtype == b.dtype
        assert a.shape == b.shape
        if a.device.type != "meta":
            assert torch.equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    else:
        assert a == b


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_move_to_device_matches_transformers(device: str) -> None:
    theirs = _theirs("move_to_device")
    value = _nested()
    _assert_same(move_to_device(value, device), theirs(value, torch.device(device)))
    t = torch.ones(2)
    _assert_same(move_to_device(t, device), theirs(t, device))
    model_output = transformers.modeling_outputs.BaseModelOutput(last_hidden_state=torch.ones(1))
    ours_out = move_to_device(model_output, device)
    theirs_out = theirs(model_output, device)
    assert type(ours_out) is type(theirs_out)
    _assert_same(ours_out.last_hidden_state, theirs_out.last_hidden_state)


def test_difference_move_to_device_namedtuple_and_defaultdict() -> None:
    theirs = _theirs("move_to_device")
    pair = Pair(torch.ones(1), torch.zeros(1))
    with pytest.raises(TypeError):
        theirs(pair, "meta")
    assert move_to_device(pair, "meta").a.device.type == "meta"
    dd = defaultdict(list, {"k": torch.ones(1)})
    with pytest.raises(TypeError):
        theirs(dd, "meta")
    assert move_to_device(dd, "meta").default_factory is list
