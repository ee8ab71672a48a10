"""backfill_transformers against a real transformers release (the parity environments)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from tu.all import backfill_transformers
from tu.all._backfill import MODELING_UTILS_ALIASES, TRANSFORMERS_PYTORCH_UTILS_NAMES

transformers = pytest.importorskip("transformers")
import transformers.modeling_utils as modeling_utils  # noqa: E402
import transformers.pytorch_utils as pytorch_utils  # noqa: E402

MAJOR = int(transformers.__version__.split(".")[0])


@pytest.fixture
def backfilled() -> Iterator[list[str]]:
    """Run the backfill, then take every added name out again for the other tests."""
    before = {name: name in vars(pytorch_utils) for name in TRANSFORMERS_PYTORCH_UTILS_NAMES}
    added = backfill_transformers()
    yield added
    for qualified in added:
        module_name, _, name = qualified.rpartition(".")
        module = pytorch_utils if module_name == "transformers.pytorch_utils" else modeling_utils
        delattr(module, name)
    assert before == {name: name in vars(pytorch_utils) for name in before}


def test_every_name_is_importable_after_the_backfill(backfilled: list[str]) -> None:
    for name in TRANSFORMERS_PYTORCH_UTILS_NAMES:
        assert hasattr(pytorch_utils, name), name
    for name in MODELING_UTILS_ALIASES:
        assert hasattr(modeling_utils, name), name


def test_existing_names_are_never_replaced(backfilled: list[str]) -> None:
    assert pytorch_utils.prune_linear_layer.__module__ == "transformers.pytorch_utils"
    assert pytorch_utils.Conv1D.__module__ == "transformers.pytorch_utils"
    assert modeling_utils.Conv1D is pytorch_utils.Conv1D
    added = {q.rpartition(".")[2] for q in backfilled if q.startswith("transformers.pytorch_utils")}
    assert "Conv1D" not in added
    assert "prune_linear_layer" not in added


def test_a_second_backfill_adds_nothing(backfilled: list[str]) -> None:
    assert backfill_transformers() == []


@pytest.mark.skipif(MAJOR < 5, reason="transformers 4.x still has the pruning helpers")
def test_removed_5x_names_come_back(backfilled: list[str]) -> None:
    for name in ("isin_mps_friendly", "prune_conv1d_layer", "prune_layer", "infer_device"):
        assert f"transformers.pytorch_utils.{name}" in backfilled
    from transformers.pytorch_utils import (  # type: ignore[attr-defined]
        find_pruneable_heads_and_indices,
        isin_mps_friendly,
        prune_conv1d_layer,
    )

    heads, index = find_pruneable_heads_and_indices([0, 2], 4, 3, set())
    assert heads == {0, 2}
    assert index.tolist() == [3, 4, 5, 9, 10, 11]
    assert isin_mps_friendly(torch.tensor([[1, 2], [3, 4]]), torch.tensor([2, 3])).tolist() == [
        [False, True],
        [True, False],
    ]
    layer = pytorch_utils.Conv1D(6, 4)
    pruned = prune_conv1d_layer(layer, torch.tensor([0, 2, 5]), dim=1)
    assert type(pruned) is pytorch_utils.Conv1D
    assert pruned.weight.shape == (4, 3)
    torch.testing.assert_close(pruned.weight, layer.weight[:, [0, 2, 5]])


@pytest.mark.skipif(MAJOR < 5, reason="transformers 4.x still has the pruning helpers")
def test_prune_layer_inside_transformers_keeps_its_conv1d(backfilled: list[str]) -> None:
    layer = pytorch_utils.Conv1D(6, 4)
    pruned = pytorch_utils.prune_layer(layer, torch.tensor([1, 3]))  # type: ignore[attr-defined]
    assert type(pruned) is pytorch_utils.Conv1D
    torch.testing.assert_close(pruned.bias, layer.bias[[1, 3]])
