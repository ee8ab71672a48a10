"""Put back into transformers the names its newer releases removed from pytorch_utils."""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType

from tu.versions import TRANSFORMERS_FLAGS

__all__ = ["MODELING_UTILS_ALIASES", "TRANSFORMERS_PYTORCH_UTILS_NAMES", "backfill_transformers"]

#: Every name transformers.pytorch_utils offered in 4.57.6 or 5.24.0, with the helpers callers
#: import through it.
TRANSFORMERS_PYTORCH_UTILS_NAMES: tuple[str, ...] = (
    "ALL_LAYERNORM_LAYERS",
    "Conv1D",
    "apply_chunking_to_forward",
    "compile_compatible_method_lru_cache",
    "find_pruneable_heads_and_indices",
    "id_tensor_storage",
    "infer_device",
    *TRANSFORMERS_FLAGS,
    "isin_mps_friendly",
    "meshgrid",
    "move_to_device",
    "prune_conv1d_layer",
    "prune_layer",
    "prune_linear_layer",
    "softmax_backward_data",
    "is_torch_greater_or_equal",
    "is_torchdynamo_compiling",
    "is_torch_xla_available",
    "is_torch_xpu_available",
    "torch_int",
    "torch_float",
)

#: Names old code imports from transformers.modeling_utils, which re-exported them until 4.x.
MODELING_UTILS_ALIASES: tuple[str, ...] = (
    "apply_chunking_to_forward",
    "find_pruneable_heads_and_indices",
    "prune_linear_layer",
    "Conv1D",
)


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def backfill_transformers() -> list[str]:
    """Add to ``transformers.pytorch_utils`` every name of tu's that this transformers lacks.

    Opt-in: call it once, before code that does ``from transformers.pytorch_utils import
    isin_mps_friendly`` (or another name removed in transformers 5.x) runs. A name that exists
    is never replaced. ``transformers.modeling_utils`` gets back its old aliases
    (:data:`MODELING_UTILS_ALIASES`), taken from ``transformers.pytorch_utils`` after the
    backfill, so ``modeling_utils.Conv1D`` is transformers' own class. The pruning functions
    tu adds accept transformers' ``Conv1D`` and return that same class.

    Returns:
        The added names, qualified: ``["transformers.pytorch_utils.isin_mps_friendly", ...]``;
        empty when everything was there. Without transformers installed nothing happens, a
        ``UserWarning`` says so and the list is empty.

    Raises:
        TypeError: called with arguments (it takes none).

    Examples:
        Not run here, as it changes transformers for the whole process; the names it adds:

        >>> from tu.all._backfill import TRANSFORMERS_PYTORCH_UTILS_NAMES
        >>> "isin_mps_friendly" in TRANSFORMERS_PYTORCH_UTILS_NAMES
        True
        >>> # import tu.all; tu.all.backfill_transformers()  # once, at start-up
    """
    pytorch_utils = _import("transformers.pytorch_utils")
    if pytorch_utils is None:
        warnings.warn(
            "backfill_transformers: transformers is not installed; nothing to backfill",
            UserWarning,
            stacklevel=2,
        )
        return []
    import tu.all

    added = []
    for name in TRANSFORMERS_PYTORCH_UTILS_NAMES:
        if not hasattr(pytorch_utils, name):
            setattr(pytorch_utils, name, getattr(tu.all, name))
            added.append(f"transformers.pytorch_utils.{name}")
    modeling_utils = _import("transformers.modeling_utils")
    if modeling_utils is not None:
        for name in MODELING_UTILS_ALIASES:
            if not hasattr(modeling_utils, name):
                setattr(modeling_utils, name, getattr(pytorch_utils, name))
                added.append(f"transformers.modeling_utils.{name}")
    return added
