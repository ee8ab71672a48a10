"""move_to_device: every container kind keeps its type; nothing is changed in place."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict, defaultdict, namedtuple
from typing import Any, NamedTuple

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tu.devices import move_to_device

Point = namedtuple("Point", ["x", "y"])


class Typed(NamedTuple):
    a: Any
    b: int = 3


@dataclasses.dataclass
class Batch:
    ids: Any
    mask: Any = None
    note: str = "n"
    derived: Any = dataclasses.field(init=False, default=None)

    def __post_init__(self) -> None:
        self.post_init_runs = getattr(self, "post_init_runs", 0) + 1


@dataclasses.dataclass(frozen=True)
class Frozen:
    t: Any


@dataclasses.dataclass
class Slotted:
    __slots__ = ("t",)
    t: Any


class MyList(list):  # type: ignore[type-arg]
    pass


class MyDict(dict):  # type: ignore[type-arg]
    pass


def _meta(value: Any) -> Any:
    return move_to_device(value, "meta")  # a real move that works on any machine


def test_tensor_moves_and_other_leaves_stay() -> None:
    t = torch.ones(2)
    assert _meta(t).device.type == "meta"
    for leaf in (1, 2.5, "s", None, b"b", torch.nn.Linear(1, 1)):
        assert _meta(leaf) is leaf
    assert move_to_device(t, "cpu") is t  # Tensor.to: already there


def test_dicts_keep_type_order_and_default_factory() -> None:
    od = OrderedDict([("b", torch.ones(1)), ("a", torch.zeros(1))])
    moved = _meta(od)
    assert type(moved) is OrderedDict
    assert list(moved) == ["b", "a"]
    dd: defaultdict[str, list[Any]] = defaultdict(list, {"k": [torch.ones(1)]})
    moved_dd = _meta(dd)
    assert type(moved_dd) is defaultdict
    assert moved_dd.default_factory is list
    assert moved_dd["k"][0].device.type == "meta"
    assert moved_dd["missing"] == []
    md = _meta(MyDict(a=torch.ones(1)))
    assert type(md) is MyDict
    assert md["a"].device.type == "meta"


def test_tuples_namedtuples_return_types_lists_sets() -> None:
    p = _meta(Point(torch.ones(1), 2))
    assert type(p) is Point
    assert p.x.device.type == "meta"
    assert p.y == 2
    typed = _meta(Typed(torch.ones(1)))
    assert type(typed) is Typed
    assert typed.b == 3
    result = _meta(torch.max(torch.tensor([[1.0, 3.0]]), dim=1))
    assert type(result).__name__ == "max"
    assert result.values.device.type == "meta"
    ml = _meta(MyList([torch.ones(1)]))
    assert type(ml) is MyList
    assert ml[0].device.type == "meta"
    t = torch.ones(1)
    s = _meta({t, 1})
    assert type(s) is set
    assert {type(v) for v in s} == {torch.Tensor, int}
    fs = _meta(frozenset([t]))
    assert type(fs) is frozenset
    assert next(iter(fs)).device.type == "meta"


def test_dataclasses_all_fields_moved_without_rerunning_init() -> None:
    b = Batch(torch.ones(2), mask=[torch.zeros(1)])
    b.derived = torch.ones(3)
    moved = _meta(b)
    assert type(moved) is Batch
    assert moved is not b
    assert moved.ids.device.type == "meta"
    assert moved.mask[0].device.type == "meta"
    assert moved.derived.device.type == "meta"
    assert moved.note == "n"
    assert moved.post_init_runs == 1
    assert b.ids.device.type == "cpu"  # the original is untouched
    frozen = _meta(Frozen(torch.ones(1)))
    assert type(frozen) is Frozen
    assert frozen.t.device.type == "meta"
    slotted = _meta(Slotted(torch.ones(1)))
    assert slotted.t.device.type == "meta"
    assert _meta(Batch) is Batch  # the class itself is not an instance


def test_deeply_nested_and_no_mutation() -> None:
    inner = [torch.ones(1), (torch.zeros(1), {"z": torch.ones(2)})]
    value = {"a": inner, "b": Point(inner, [1, 2])}
    moved = _meta(value)
    assert moved["a"][1][1]["z"].device.type == "meta"
    assert moved["b"].x[0].device.type == "meta"
    assert inner[0].device.type == "cpu"
    assert value["a"] is inner


def test_model_output_like_dict_dataclass_is_rebuilt_from_a_mapping() -> None:
    transformers = pytest.importorskip("transformers")
    output = transformers.modeling_outputs.BaseModelOutput(last_hidden_state=torch.ones(1, 2))
    moved = _meta(output)
    assert type(moved) is type(output)
    assert moved.last_hidden_state.device.type == "meta"
    assert moved["last_hidden_state"].device.type == "meta"


json = st.recursive(
    st.one_of(st.integers(), st.text(max_size=3), st.builds(torch.ones, st.integers(0, 3))),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=2), children, max_size=3),
    ),
    max_leaves=10,
)


def _same_structure(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    if isinstance(a, torch.Tensor):
        assert b.device.type == "meta"
        assert a.shape == b.shape
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same_structure(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same_structure(x, y)
    else:
        assert a == b


@settings(max_examples=60, deadline=None)
@given(json)
def test_structure_is_preserved(value: Any) -> None:
    _same_structure(value, _meta(value))
