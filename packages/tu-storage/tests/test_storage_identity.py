"""id_tensor_storage: transformers' ids for ordinary tensors, no collisions elsewhere."""

from __future__ import annotations

import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tu.storage._identity as identity
from tu.storage import id_tensor_storage


def test_views_share_one_id_with_whole_storage_size() -> None:
    x = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    expected = (torch.device("cpu"), x.untyped_storage().data_ptr(), 48)
    for view in (x, x[1:], x.t(), x[:, ::2], x.view(-1)[5:6], x.view(torch.int32), x.detach()):
        assert id_tensor_storage(view) == expected


def test_parameter_shares_its_data_id() -> None:
    data = torch.zeros(5, 2)
    param = torch.nn.Parameter(data)
    assert id_tensor_storage(param) == id_tensor_storage(data)


def test_distinct_storages_differ() -> None:
    a, b = torch.zeros(4), torch.zeros(4)
    assert id_tensor_storage(a) != id_tensor_storage(b)
    assert id_tensor_storage(a) != id_tensor_storage(a.clone())


def test_meta_tensors_of_one_size_get_distinct_ids() -> None:
    a = torch.empty(3, 4, device="meta")
    b = torch.empty(3, 4, device="meta")
    ida, idb = id_tensor_storage(a), id_tensor_storage(b)
    assert ida != idb
    assert ida[0] == torch.device("meta")
    assert ida[2] == 48
    # Views of one meta tensor still share its id.
    assert id_tensor_storage(a.t()) == ida
    assert id_tensor_storage(a[1:]) == ida


def test_empty_tensors_get_distinct_ids() -> None:
    a, b = torch.empty(0), torch.zeros(0, 3)
    ida, idb = id_tensor_storage(a), id_tensor_storage(b)
    assert ida != idb
    assert ida[2] == idb[2] == 0
    assert id_tensor_storage(a.view(0, 1)) == ida


def test_empty_view_of_a_real_storage_keeps_that_storage_id() -> None:
    x = torch.ones(8)
    assert id_tensor_storage(x[3:3]) == id_tensor_storage(x)


def test_wrapper_subclass_id_comes_from_inner_tensors(pair_cls: Any) -> None:
    a, b = torch.zeros(6), torch.ones(6)
    pair = pair_cls(a, b)
    device, key, nbytes = id_tensor_storage(pair)
    assert device == torch.device("cpu")
    assert key == (id_tensor_storage(a)[1], id_tensor_storage(b)[1])
    assert nbytes == 48
    # A view of the pair keeps the id; another pair over other storages does not.
    assert id_tensor_storage(pair[2:]) == (device, key, nbytes)
    assert id_tensor_storage(pair_cls(torch.zeros(6), b)) != (device, key, nbytes)


def test_wrapper_subclass_counts_a_shared_inner_storage_once(pair_cls: Any) -> None:
    base = torch.zeros(6)
    pair = pair_cls(base, base[:])
    _, key, nbytes = id_tensor_storage(pair)
    assert isinstance(key, tuple) and key[0] == key[1]
    assert nbytes == 24


def test_non_tensor_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r"tensor must be a torch\.Tensor, got list"):
        id_tensor_storage([1, 2])  # type: ignore[arg-type]


def test_no_warning_is_emitted() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        id_tensor_storage(torch.zeros(2))
        id_tensor_storage(torch.empty(2, device="meta"))
        id_tensor_storage(torch.empty(0))


def test_xla_tensors_use_torch_xla_tensor_id(
    monkeypatch: pytest.MonkeyPatch, pair_cls: Any
) -> None:
    """No XLA device here: a fake torch_xla and an opaque wrapper tensor on device 'xla'."""
    seen: list[torch.Tensor] = []

    def fake_id(tensor: torch.Tensor) -> int:
        seen.append(tensor)
        return 4242

    fake = types.ModuleType("torch_xla")
    fake._XLAC = types.SimpleNamespace(_xla_get_tensor_id=fake_id)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch_xla", fake)
    monkeypatch.setattr(identity, "_xla_available", lambda: True)

    class Opaque(torch.Tensor):
        @staticmethod
        def __new__(cls) -> Opaque:
            return torch.Tensor._make_wrapper_subclass(  # type: ignore[attr-defined,no-any-return]
                cls, (2, 3), dtype=torch.float32, device=torch.device("xla")
            )

        @classmethod
        def __torch_dispatch__(
            cls, func: Any, types: Any, args: Any = (), kwargs: Any = None
        ) -> Any:
            raise NotImplementedError(f"Opaque does not run {func}")

    try:
        tensor = Opaque()
    except (RuntimeError, TypeError) as exc:  # pragma: no cover - depends on the torch build
        pytest.skip(f"this torch cannot build a tensor on device 'xla': {exc}")
    device, key, _ = id_tensor_storage(tensor)
    assert device.type == "xla"
    assert key == 4242
    assert seen == [tensor]


# -- property: equal ids exactly when two live tensors share a storage ------------------

VIEWS: list[tuple[str, Callable[[torch.Tensor], torch.Tensor]]] = [
    ("same", lambda t: t),
    ("detach", lambda t: t.detach()),
    ("t", lambda t: t.t()),
    ("rows", lambda t: t[1:]),
    ("cols", lambda t: t[:, ::2]),
    ("flat", lambda t: t.reshape(-1)),
    ("unsqueeze", lambda t: t.unsqueeze(0)),
    ("parameter", lambda t: torch.nn.Parameter(t, requires_grad=False)),
    ("empty", lambda t: t[:0]),
]


@st.composite
def bases_and_views(draw: st.DrawFn) -> tuple[list[torch.Tensor], list[tuple[int, torch.Tensor]]]:
    count = draw(st.integers(1, 5))
    bases = []
    for _ in range(count):
        kind = draw(st.sampled_from(["cpu", "meta", "empty"]))
        dtype = draw(st.sampled_from([torch.float32, torch.float16, torch.int64, torch.bool]))
        rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        if kind == "cpu":
            bases.append(torch.zeros(rows, cols, dtype=dtype))
        elif kind == "meta":
            bases.append(torch.empty(rows, cols, dtype=dtype, device="meta"))
        else:
            bases.append(torch.empty(0, cols, dtype=dtype))
    picks = draw(
        st.lists(
            st.tuples(st.integers(0, count - 1), st.sampled_from([name for name, _ in VIEWS])),
            min_size=1,
            max_size=8,
        )
    )
    ops = dict(VIEWS)
    return bases, [(index, ops[op](bases[index])) for index, op in picks]


@settings(max_examples=60, deadline=None)
@given(bases_and_views())
def test_ids_equal_exactly_when_storage_is_shared(
    drawn: tuple[list[torch.Tensor], list[tuple[int, torch.Tensor]]],
) -> None:
    _bases, views = drawn
    ids = [id_tensor_storage(view) for _, view in views]
    for (i, _), id_i in zip(views, ids, strict=True):
        for (j, _), id_j in zip(views, ids, strict=True):
            assert (id_i == id_j) == (i == j)


@pytest.mark.filterwarnings("ignore:Sparse CS. tensor support is in beta")
@pytest.mark.parametrize("to_sparse", ["coo", "csr", "csc"])
def test_sparse_tensor_id_comes_from_its_index_and_value_tensors(to_sparse: str) -> None:
    dense = torch.eye(3)
    sparse = {
        "coo": dense.to_sparse,
        "csr": dense.to_sparse_csr,
        "csc": dense.to_sparse_csc,
    }[to_sparse]()
    device, key, nbytes = id_tensor_storage(sparse)
    assert isinstance(key, tuple) and len(key) in (2, 3)
    assert id_tensor_storage(sparse.detach()) == (device, key, nbytes)
    assert id_tensor_storage(sparse.clone()) != (device, key, nbytes)
    values = sparse._values() if to_sparse == "coo" else sparse.values()
    assert id_tensor_storage(values)[1] in key
