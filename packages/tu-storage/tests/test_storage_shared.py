"""find_shared_tensors, remove_shared_duplicates and restore_shared_duplicates."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tu.storage import (
    find_shared_tensors,
    remove_shared_duplicates,
    restore_shared_duplicates,
)
from tu.storage._overlap import analyse


def groups_of(state_dict: dict[str, torch.Tensor]) -> set[frozenset[str]]:
    return {frozenset(group) for group in find_shared_tensors(state_dict)}


def test_tied_weights_are_one_group() -> None:
    emb = torch.nn.Embedding(10, 4)
    head = torch.nn.Linear(4, 10, bias=False)
    head.weight = emb.weight
    model = torch.nn.Sequential(emb, head)
    state = model.state_dict()
    assert find_shared_tensors(state) == [{"0.weight", "1.weight"}]


def test_transposed_and_strided_views_are_placed_exactly() -> None:
    w = torch.zeros(6, 6)
    state = {
        "w": w,
        "wt": w.t(),
        "even_cols": torch.zeros(6, 6)[:, ::2],
    }
    assert groups_of(state) == {frozenset({"w", "wt"})}
    m = torch.zeros(6, 6)
    interleaved = {"even": m[:, ::2], "odd": m[:, 1::2], "col0": m[:, 0], "col3": m[:, 3]}
    assert groups_of(interleaved) == {frozenset({"even", "col0"}), frozenset({"odd", "col3"})}


def test_nested_range_is_shared_with_the_enclosing_one() -> None:
    a = torch.zeros(100)
    state = {"A": a, "B": a[10:20], "C": a[30:40], "D": torch.zeros(3)}
    assert groups_of(state) == {frozenset({"A", "B", "C"})}


def test_disjoint_slices_of_one_storage_are_not_shared() -> None:
    fused = torch.zeros(30, 4)
    state = {"q": fused[:10], "k": fused[10:20], "v": fused[20:]}
    assert find_shared_tensors(state) == []
    state["fused"] = fused
    assert groups_of(state) == {frozenset({"q", "k", "v", "fused"})}


def test_overlap_is_transitive_through_a_group() -> None:
    x = torch.zeros(10)
    assert groups_of({"a": x[:4], "b": x[3:7], "c": x[6:]}) == {frozenset({"a", "b", "c"})}


def test_bytes_not_elements_decide_across_dtypes() -> None:
    x = torch.zeros(8, dtype=torch.float32)
    as_bytes = x.view(torch.uint8)
    assert groups_of({"f": x[:2], "b": as_bytes[7:9]}) == {frozenset({"f", "b"})}
    assert groups_of({"f": x[:2], "b": as_bytes[8:12]}) == set()


def test_overlap_across_storages_of_one_buffer_is_found() -> None:
    np = pytest.importorskip("numpy")
    buffer = np.zeros(16, dtype=np.float32)
    a = torch.from_numpy(buffer)
    b = torch.from_numpy(buffer[4:8])  # another storage object over the same memory
    assert a.untyped_storage().data_ptr() != b.untyped_storage().data_ptr()
    assert groups_of({"a": a, "b": b}) == {frozenset({"a", "b"})}


def test_meta_and_empty_tensors_are_never_grouped() -> None:
    meta = torch.empty(4, device="meta")
    x = torch.zeros(4)
    state = {
        "meta": meta,
        "meta_view": meta[1:],
        "meta_other": torch.empty(4, device="meta"),
        "e1": torch.empty(0),
        "e2": torch.empty(0),
        "x_empty": x[2:2],
        "x": x,
    }
    assert find_shared_tensors(state) == []


def test_broadcast_views_are_shared_with_their_source() -> None:
    x = torch.zeros(1, 4)
    assert groups_of({"x": x, "big": x.expand(1000, 4)}) == {frozenset({"x", "big"})}


def test_wrapper_subclass_shares_through_its_inner_tensors(pair_cls: Any) -> None:
    a, b = torch.zeros(6), torch.zeros(6)
    state = {"pair": pair_cls(a, b), "b_tail": b[3:], "other": torch.zeros(6)}
    assert groups_of(state) == {frozenset({"pair", "b_tail"})}


def test_sparse_tensors_share_through_their_values() -> None:
    sparse = torch.eye(4).to_sparse()
    state = {"s": sparse, "s2": sparse.detach(), "vals": sparse._values(), "c": sparse.clone()}
    assert groups_of(state) == {frozenset({"s", "s2", "vals"})}
    _, removed = remove_shared_duplicates({"s": sparse, "s2": sparse.detach()})
    assert removed == {"s2": "s"}


def test_groups_come_in_state_dict_order() -> None:
    x, y = torch.zeros(3), torch.zeros(3)
    groups = find_shared_tensors({"y1": y, "x1": x, "x2": x[1:], "y2": y[:1]})
    assert groups == [{"y1", "y2"}, {"x1", "x2"}]


def test_large_strided_views_fall_back_to_their_extent() -> None:
    m = torch.zeros(8, 2)
    tensors = [m[:, 0], m[:, 1]]
    assert analyse(tensors).groups == []
    # With a budget of one run per view, each column becomes its whole extent.
    assert analyse(tensors, max_runs=1).groups == [[0, 1]]


def test_input_is_validated() -> None:
    with pytest.raises(TypeError, match="state_dict must be a mapping"):
        find_shared_tensors([torch.zeros(1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"state_dict\['b'\] must be a torch.Tensor, got int"):
        find_shared_tensors({"a": torch.zeros(1), "b": 3})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="keys must be str"):
        find_shared_tensors({1: torch.zeros(1)})  # type: ignore[dict-item]


# -- property: exactly the overlapping views of random strided slices are grouped -------


@st.composite
def strided_views(draw: st.DrawFn) -> tuple[list[torch.Tensor], list[torch.Tensor], list[int]]:
    """Views of two base tensors, with an index tensor viewed the same way for each."""
    bases, indices, owners, views, index_views = [], [], [], [], []
    for _ in range(2):
        shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
        dtype = draw(st.sampled_from([torch.float32, torch.float16, torch.int8]))
        base = torch.zeros(shape, dtype=dtype)
        bases.append(base)
        indices.append(torch.arange(base.numel()).reshape(shape))
    for _ in range(draw(st.integers(1, 6))):
        owner = draw(st.integers(0, 1))
        view, index = bases[owner], indices[owner]
        permutation = draw(st.permutations(range(view.dim())))
        view, index = view.permute(*permutation), index.permute(*permutation)
        for dim in range(view.dim()):
            size = view.shape[dim]
            start = draw(st.integers(0, size))
            stop = draw(st.integers(start, size))
            step = draw(st.integers(1, 3))
            selector = [slice(None)] * dim + [slice(start, stop, step)]
            view, index = view[tuple(selector)], index[tuple(selector)]
        if draw(st.booleans()):
            view, index = view.unsqueeze(0).expand(2, *view.shape), index.unsqueeze(0)
        owners.append(owner)
        views.append(view)
        index_views.append(index)
    return views, index_views, owners


@settings(max_examples=120, deadline=None)
@given(strided_views())
def test_exactly_overlapping_views_are_grouped(
    drawn: tuple[list[torch.Tensor], list[torch.Tensor], list[int]],
) -> None:
    views, index_views, owners = drawn
    names = [f"t{i}" for i in range(len(views))]
    elements = [set(index.reshape(-1).tolist()) for index in index_views]
    parent = list(range(len(views)))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for i, j in itertools.combinations(range(len(views)), 2):
        if owners[i] == owners[j] and elements[i] & elements[j]:
            parent[find(i)] = find(j)
    expected: dict[int, set[str]] = {}
    for i in range(len(views)):
        expected.setdefault(find(i), set()).add(names[i])
    expected_groups = {frozenset(g) for g in expected.values() if len(g) > 1}
    got = groups_of(dict(zip(names, views, strict=True)))
    assert got == expected_groups
    # The extent fallback can only merge groups, never split them.
    coarse = [set(g) for g in analyse(views, max_runs=1).groups]
    for group in got:
        assert any({names.index(n) for n in group} <= c for c in coarse)


# -- remove / restore -------------------------------------------------------------------


class TiedLM(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(11, 6)
        self.body = torch.nn.Linear(6, 6)
        self.head = torch.nn.Linear(6, 11, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(torch.tanh(self.body(self.embed(ids))))
        return out


def test_remove_keeps_first_name_in_state_dict_order() -> None:
    state = TiedLM().state_dict()
    reduced, removed = remove_shared_duplicates(state)
    assert removed == {"head.weight": "embed.weight"}
    assert list(reduced) == ["embed.weight", "body.weight", "body.bias"]
    assert reduced["embed.weight"] is state["embed.weight"]
    assert "head.weight" in state  # input untouched


def test_remove_prefers_preferred_names() -> None:
    state = TiedLM().state_dict()
    reduced, removed = remove_shared_duplicates(state, preferred_names=["nope", "head.weight"])
    assert removed == {"embed.weight": "head.weight"}
    assert "head.weight" in reduced
    # The order of preferred_names is the priority.
    _, removed = remove_shared_duplicates(state, preferred_names=("embed.weight", "head.weight"))
    assert removed == {"head.weight": "embed.weight"}


def test_remove_refuses_partial_views() -> None:
    fused = torch.zeros(6, 4)
    with pytest.raises(ValueError, match=r"\['q'\] are not aliases of 'fused'"):
        remove_shared_duplicates({"fused": fused, "q": fused[:2]})
    with pytest.raises(ValueError, match="not aliases"):
        remove_shared_duplicates({"w": fused, "wt": fused.t()})


def test_remove_without_sharing_returns_a_copy_of_the_dict() -> None:
    state = {"a": torch.zeros(2), "b": torch.zeros(2)}
    reduced, removed = remove_shared_duplicates(state)
    assert reduced == state and reduced is not state and removed == {}


def test_remove_validates_preferred_names() -> None:
    state = {"a": torch.zeros(2)}
    with pytest.raises(TypeError, match="not a single str"):
        remove_shared_duplicates(state, preferred_names="a")
    with pytest.raises(TypeError, match="must hold str names"):
        remove_shared_duplicates(state, preferred_names=[1])  # type: ignore[list-item]


def test_restore_validates_its_inputs() -> None:
    loaded = {"a": torch.zeros(2)}
    with pytest.raises(ValueError, match="has no 'missing' to alias"):
        restore_shared_duplicates(loaded, {"b": "missing"})
    with pytest.raises(ValueError, match="already holds 'a'"):
        restore_shared_duplicates({"a": torch.zeros(2), "k": torch.zeros(2)}, {"a": "k"})
    with pytest.raises(TypeError, match="removed must be a mapping"):
        restore_shared_duplicates(loaded, [("b", "a")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="removed must map str to str"):
        restore_shared_duplicates(loaded, {"b": 1})  # type: ignore[dict-item]
    # The same tensor already in place is fine.
    same = restore_shared_duplicates({"a": loaded["a"], "b": loaded["a"]}, {"b": "a"})
    assert same["b"] is loaded["a"]


def test_safetensors_round_trip_restores_ties(tmp_path: Any) -> None:
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    model = TiedLM()
    state = model.state_dict()
    path = str(tmp_path / "model.safetensors")
    with pytest.raises(RuntimeError, match="share memory"):
        safetensors_torch.save_file(state, path)

    reduced, removed = remove_shared_duplicates(state)
    safetensors_torch.save_file(reduced, path, metadata=removed)
    loaded = safetensors_torch.load_file(path)
    assert "head.weight" not in loaded
    with safetensors_torch.safe_open(path, framework="pt") as handle:
        assert handle.metadata() == {"head.weight": "embed.weight"}

    restored = restore_shared_duplicates(loaded, removed)
    assert set(restored) == set(state)
    for name, tensor in state.items():
        assert torch.equal(restored[name], tensor)
    assert restored["head.weight"] is restored["embed.weight"]
    assert find_shared_tensors(restored) == [{"embed.weight", "head.weight"}]

    fresh = TiedLM()
    fresh.load_state_dict(restored)
    assert fresh.head.weight is fresh.embed.weight
    ids = torch.tensor([[1, 2, 3]])
    assert torch.equal(fresh(ids), model(ids))
