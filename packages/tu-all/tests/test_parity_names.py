"""Name by name: tu.all against the installed transformers.pytorch_utils on generated inputs.

Each name transformers defines has a comparison below (values, shapes, dtypes, exception
types); a name without one fails ``test_every_name_has_a_comparison``. The deliberate
differences are asserted in the ``test_difference_*`` tests and listed in tu-all's README.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn

import tu.all
from tu.all._backfill import TRANSFORMERS_PYTORCH_UTILS_NAMES

transformers = pytest.importorskip("transformers")
import transformers.pytorch_utils as theirs  # noqa: E402

MAJOR = int(transformers.__version__.split(".")[0])
SEEDS = range(5)


def same_tensor(a: torch.Tensor, b: torch.Tensor) -> None:
    assert a.shape == b.shape
    assert a.dtype == b.dtype
    assert a.device == b.device
    assert torch.equal(a, b)


def same_layer(a: nn.Module, b: nn.Module) -> None:
    assert type(a).__name__ == type(b).__name__
    for (name_a, pa), (name_b, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert name_a == name_b
        same_tensor(pa.detach(), pb.detach())
        assert pa.requires_grad == pb.requires_grad


def same_outcome(ours: Callable[[], Any], their: Callable[[], Any]) -> tuple[Any, Any]:
    """Both results, or both exception types (ours may be a subclass of theirs)."""
    try:
        expected = their()
    except Exception as error:
        with pytest.raises(type(error)):
            ours()
        return error, error
    return ours(), expected


def compare_flag(name: str) -> None:
    assert getattr(tu.all, name) is getattr(theirs, name)


def compare_conv1d() -> None:
    for seed in SEEDS:
        torch.manual_seed(seed)
        nf, nx = 3 + seed, 2 + 2 * seed
        mine, their = tu.all.Conv1D(nf, nx), theirs.Conv1D(nf, nx)
        their.load_state_dict(mine.state_dict())
        x = torch.randn(2, 4, nx)
        same_tensor(mine(x), their(x))
        assert repr(mine) == repr(their)


def compare_prune_linear_layer() -> None:
    for seed in SEEDS:
        torch.manual_seed(seed)
        layer = nn.Linear(6, 5)
        for dim in (0, 1):
            index = torch.randint(0, layer.weight.shape[dim], (3,))
            same_layer(
                tu.all.prune_linear_layer(layer, index, dim),
                theirs.prune_linear_layer(layer, index, dim),
            )
    layer = nn.Linear(4, 4)
    same_outcome(
        lambda: tu.all.prune_linear_layer(layer, torch.tensor([9]), 0),
        lambda: theirs.prune_linear_layer(layer, torch.tensor([9]), 0),
    )


def compare_prune_conv1d_layer() -> None:
    for seed in SEEDS:
        torch.manual_seed(seed)
        layer = theirs.Conv1D(6, 5)
        for dim in (0, 1):
            index = torch.randint(0, layer.weight.shape[dim], (3,))
            same_layer(
                tu.all.prune_conv1d_layer(layer, index, dim),
                theirs.prune_conv1d_layer(layer, index, dim),
            )


def compare_prune_layer() -> None:
    for layer in (nn.Linear(6, 5), theirs.Conv1D(6, 5)):
        index = torch.tensor([0, 2])
        same_layer(tu.all.prune_layer(layer, index), theirs.prune_layer(layer, index))
    same_outcome(
        lambda: tu.all.prune_layer(nn.Conv2d(1, 1, 1), torch.tensor([0])),
        lambda: theirs.prune_layer(nn.Conv2d(1, 1, 1), torch.tensor([0])),
    )


def compare_find_pruneable_heads_and_indices() -> None:
    for seed in SEEDS:
        generator = torch.Generator().manual_seed(seed)
        n_heads, head_size = 6, 1 + seed
        order = torch.randperm(n_heads, generator=generator).tolist()
        already, heads = set(order[:2]), order[2 : 2 + seed % 3 + 1]
        remaining = n_heads - len(already)
        ours = tu.all.find_pruneable_heads_and_indices(heads, remaining, head_size, already)
        their = theirs.find_pruneable_heads_and_indices(heads, remaining, head_size, already)
        assert ours[0] == their[0]
        same_tensor(ours[1], their[1])


def compare_apply_chunking_to_forward() -> None:
    layer = nn.Linear(8, 3)
    for chunk_size, length in ((0, 6), (2, 6), (3, 6), (6, 6)):
        x = torch.randn(2, length, 8)
        same_tensor(
            tu.all.apply_chunking_to_forward(layer.forward, chunk_size, 1, x),
            theirs.apply_chunking_to_forward(layer.forward, chunk_size, 1, x),
        )
    same_outcome(
        lambda: tu.all.apply_chunking_to_forward(
            torch.add, 2, 1, torch.ones(1, 4), torch.ones(1, 6)
        ),
        lambda: theirs.apply_chunking_to_forward(
            lambda a, b: a + b, 2, 1, torch.ones(1, 4), torch.ones(1, 6)
        ),
    )


def compare_id_tensor_storage() -> None:
    base = torch.randn(4, 6)
    for tensor in (base, base[1:], base.t(), torch.arange(5), torch.zeros(3, dtype=torch.bfloat16)):
        assert tu.all.id_tensor_storage(tensor) == theirs.id_tensor_storage(tensor)


def compare_meshgrid() -> None:
    a, b = torch.arange(3), torch.arange(4)
    for indexing in ("ij", "xy"):
        for x, y in zip(
            tu.all.meshgrid(a, b, indexing=indexing),
            theirs.meshgrid(a, b, indexing=indexing),
            strict=True,
        ):
            same_tensor(x, y)


def compare_softmax_backward_data() -> None:
    for dim in (0, 1, -1):
        x, g = torch.randn(3, 4, 5), torch.randn(3, 4, 5)
        out = torch.softmax(x, dim)
        parent = SimpleNamespace(dim=dim)
        same_tensor(
            tu.all.softmax_backward_data(parent, g, out),
            theirs.softmax_backward_data(parent, g, out),
        )


def compare_isin_mps_friendly() -> None:
    for seed in SEEDS:
        generator = torch.Generator().manual_seed(seed)
        elements = torch.randint(0, 10, (7,), generator=generator)
        test = torch.randint(0, 10, (4,), generator=generator)
        same_tensor(
            tu.all.isin_mps_friendly(elements, test), theirs.isin_mps_friendly(elements, test)
        )
        same_tensor(tu.all.isin_mps_friendly(elements, 3), theirs.isin_mps_friendly(elements, 3))


def compare_infer_device() -> None:
    assert tu.all.infer_device() == theirs.infer_device()


def compare_move_to_device() -> None:
    value = {"a": [torch.ones(2), (torch.zeros(1), 3)], "b": "text"}
    ours, their = tu.all.move_to_device(value, "cpu"), theirs.move_to_device(value, "cpu")
    assert ours.keys() == their.keys()
    same_tensor(ours["a"][0], their["a"][0])
    same_tensor(ours["a"][1][0], their["a"][1][0])
    assert ours["a"][1][1] == their["a"][1][1] == 3
    assert ours["b"] == their["b"]


def compare_compile_compatible_method_lru_cache() -> None:
    def make(decorator: Callable[..., Any]) -> Any:
        class Model:
            def __init__(self) -> None:
                self.calls = 0

            @decorator(maxsize=4)
            def square(self, x: int) -> int:
                self.calls += 1
                return x * x

        return Model()

    mine, their = (
        make(tu.all.compile_compatible_method_lru_cache),
        make(theirs.compile_compatible_method_lru_cache),
    )
    for x in (1, 2, 1, 3, 2, 1):
        assert mine.square(x) == their.square(x)
    assert mine.calls == their.calls == 3


def compare_all_layernorm_layers() -> None:
    assert tu.all.ALL_LAYERNORM_LAYERS == theirs.ALL_LAYERNORM_LAYERS


def compare_helper(name: str) -> None:
    from transformers.utils import generic, import_utils

    source = import_utils if hasattr(import_utils, name) else generic
    if name in {"torch_int", "torch_float"}:
        for x in (3, 2.5, torch.tensor(7.25)):
            if name == "torch_float" and MAJOR < 5:
                continue  # 4.57's torch_float returned int(x): see test_difference_torch_float
            assert getattr(tu.all, name)(x) == getattr(source, name)(x)
        return
    if name == "is_torch_greater_or_equal":
        for wanted in ("2.0", "2.13", "9.0"):
            assert tu.all.is_torch_greater_or_equal(wanted) == source.is_torch_greater_or_equal(
                wanted
            )
        return
    assert bool(getattr(tu.all, name)()) == bool(getattr(source, name)())


COMPARISONS: dict[str, Callable[[], None]] = {
    "ALL_LAYERNORM_LAYERS": compare_all_layernorm_layers,
    "Conv1D": compare_conv1d,
    "apply_chunking_to_forward": compare_apply_chunking_to_forward,
    "compile_compatible_method_lru_cache": compare_compile_compatible_method_lru_cache,
    "find_pruneable_heads_and_indices": compare_find_pruneable_heads_and_indices,
    "id_tensor_storage": compare_id_tensor_storage,
    "infer_device": compare_infer_device,
    "isin_mps_friendly": compare_isin_mps_friendly,
    "meshgrid": compare_meshgrid,
    "move_to_device": compare_move_to_device,
    "prune_conv1d_layer": compare_prune_conv1d_layer,
    "prune_layer": compare_prune_layer,
    "prune_linear_layer": compare_prune_linear_layer,
    "softmax_backward_data": compare_softmax_backward_data,
    **{name: functools.partial(compare_flag, name) for name in tu.all.TRANSFORMERS_FLAGS},
    **{
        name: functools.partial(compare_helper, name)
        for name in (
            "is_torch_greater_or_equal",
            "is_torchdynamo_compiling",
            "is_torch_xla_available",
            "is_torch_xpu_available",
            "torch_int",
            "torch_float",
        )
    },
}


def test_every_name_has_a_comparison() -> None:
    assert set(COMPARISONS) == set(TRANSFORMERS_PYTORCH_UTILS_NAMES)


@pytest.mark.parametrize("name", sorted(COMPARISONS))
def test_name_matches_transformers(name: str) -> None:
    from transformers.utils import generic, import_utils

    helper = hasattr(import_utils, name) or hasattr(generic, name)
    if name not in vars(theirs) and not helper:
        pytest.skip(f"transformers {transformers.__version__} has no pytorch_utils.{name}")
    COMPARISONS[name]()


# The deliberate differences, each shown against transformers itself.


def test_difference_prune_keeps_the_dtype() -> None:
    layer = nn.Linear(6, 4).to(torch.bfloat16)
    assert tu.all.prune_linear_layer(layer, torch.tensor([0, 1])).weight.dtype == torch.bfloat16
    assert theirs.prune_linear_layer(layer, torch.tensor([0, 1])).weight.dtype == torch.float32


def test_difference_chunk_lengths_need_not_divide() -> None:
    x = torch.randn(1, 5, 3)
    torch.testing.assert_close(tu.all.apply_chunking_to_forward(torch.tanh, 2, 1, x), torch.tanh(x))
    with pytest.raises(ValueError):
        theirs.apply_chunking_to_forward(lambda t: torch.tanh(t), 2, 1, x)


def test_difference_meta_tensors_get_distinct_ids() -> None:
    a, b = torch.empty(4, device="meta"), torch.empty(4, device="meta")
    assert tu.all.id_tensor_storage(a) != tu.all.id_tensor_storage(b)
    assert theirs.id_tensor_storage(a) == theirs.id_tensor_storage(b)


def test_difference_conv1d_takes_non_contiguous_input() -> None:
    mine, their = tu.all.Conv1D(3, 4), theirs.Conv1D(3, 4)
    x = torch.randn(4, 2, 5).transpose(0, 2)  # (5, 2, 4), not contiguous
    assert mine(x).shape == (5, 2, 3)
    with pytest.raises(RuntimeError):
        their(x)


def test_difference_method_cache_lets_instances_go() -> None:
    import gc
    import weakref

    def model_class(decorator: Callable[..., Any]) -> type:
        class Model:
            @decorator()
            def f(self, x: int) -> int:
                return x

        return Model

    classes = {  # kept alive, as a model class at module level is
        "tu": model_class(tu.all.compile_compatible_method_lru_cache),
        "transformers": model_class(theirs.compile_compatible_method_lru_cache),
    }
    refs = {}
    for who, cls in classes.items():
        obj = cls()
        obj.f(1)
        refs[who] = weakref.ref(obj)
        del obj
    gc.collect()
    assert refs["tu"]() is None
    assert refs["transformers"]() is not None


def test_difference_meshgrid_is_quiet_without_indexing() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tu.all.meshgrid(torch.arange(2), torch.arange(3))
