"""tu.storage.id_tensor_storage against the installed transformers' on ordinary tensors."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tu.storage import id_tensor_storage

transformers = pytest.importorskip("transformers")
pytorch_utils = pytest.importorskip("transformers.pytorch_utils")
if not hasattr(pytorch_utils, "id_tensor_storage"):  # pragma: no cover - every release has it
    pytest.skip(
        f"transformers {transformers.__version__} has no id_tensor_storage",
        allow_module_level=True,
    )
hf_id_tensor_storage = pytorch_utils.id_tensor_storage

VIEWS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "same": lambda t: t,
    "detach": lambda t: t.detach(),
    "transpose": lambda t: t.transpose(0, -1),
    "tail": lambda t: t.reshape(-1)[1:],
    "stride": lambda t: t.reshape(-1)[::2],
    "bytes": lambda t: t.view(torch.uint8),
    "parameter": lambda t: torch.nn.Parameter(t, requires_grad=False),
    "select": lambda t: t.reshape(-1)[0],
}
DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int8]


@settings(max_examples=80, deadline=None)
@given(
    shapes=st.lists(st.lists(st.integers(1, 5), min_size=1, max_size=3), min_size=1, max_size=3),
    dtype=st.sampled_from(DTYPES),
    views=st.lists(st.tuples(st.integers(0, 2), st.sampled_from(sorted(VIEWS))), max_size=6),
)
def test_ids_equal_transformers_for_ordinary_tensors(
    shapes: list[list[int]], dtype: torch.dtype, views: list[tuple[int, str]]
) -> None:
    bases = [torch.zeros(shape, dtype=dtype) for shape in shapes]
    tensors = list(bases)
    for index, name in views:
        tensors.append(VIEWS[name](bases[index % len(bases)]))
    ours = [id_tensor_storage(t) for t in tensors]
    theirs = [hf_id_tensor_storage(t) for t in tensors]
    assert ours == theirs
    for (a, b), (c, d) in zip(
        itertools.combinations(ours, 2), itertools.combinations(theirs, 2), strict=True
    ):
        assert (a == b) == (c == d)


def test_ids_equal_transformers_for_numpy_backed_and_offset_storages() -> None:
    np = pytest.importorskip("numpy")
    buffer = np.arange(12, dtype=np.float32)
    for tensor in (torch.from_numpy(buffer), torch.from_numpy(buffer[3:]), torch.ones(3)[1:]):
        assert id_tensor_storage(tensor) == hf_id_tensor_storage(tensor)


def test_meta_and_empty_ids_are_where_tu_differs() -> None:
    """transformers: equal ids for distinct meta (same size) and empty tensors; tu: distinct."""
    meta = [torch.empty(2, 3, device="meta"), torch.empty(2, 3, device="meta")]
    empty = [torch.empty(0), torch.empty(0)]
    for a, b in (meta, empty):
        assert id_tensor_storage(a) != id_tensor_storage(b)
        # Device and size agree with transformers; only the id part differs.
        assert id_tensor_storage(a)[0] == hf_id_tensor_storage(a)[0]
        assert id_tensor_storage(a)[2] == hf_id_tensor_storage(a)[2]
