"""tu.all: every tu name in one import, and the `tu` command.

``from tu.all import X`` works for every name ``transformers.pytorch_utils`` defined in 4.57.6
or 5.24.0 (and the helpers callers import through it), and for every public name of the seven
tu packages. Each package is imported the first time one of its names is used, so
``import tu.all`` stays cheap; ``from tu.all import *`` imports them all.

Examples:
    >>> from tu.all import Conv1D, prune_conv1d_layer, apply_chunking_to_forward
    >>> layer = prune_conv1d_layer(Conv1D(8, 4), [0, 1, 2], dim=1)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tu.all.__about__ import __version__
from tu.all._exports import MODULE_OF

if TYPE_CHECKING:
    from tu.all._backfill import backfill_transformers as backfill_transformers
    from tu.all._norms import ALL_LAYERNORM_LAYERS as ALL_LAYERNORM_LAYERS
    from tu.all._norms import NORM_LAYERS as NORM_LAYERS
    from tu.all._norms import decay_parameter_names as decay_parameter_names
    from tu.all._norms import is_norm_layer as is_norm_layer
    from tu.cache import BoundCache as BoundCache
    from tu.cache import CachedFunction as CachedFunction
    from tu.cache import CachedMethod as CachedMethod
    from tu.cache import UnhashableArgumentError as UnhashableArgumentError
    from tu.cache import compile_compatible_lru_cache as compile_compatible_lru_cache
    from tu.cache import compile_compatible_method_lru_cache as compile_compatible_method_lru_cache
    from tu.cache import is_compiling as is_compiling
    from tu.chunk import Chunked as Chunked
    from tu.chunk import ForwardArityError as ForwardArityError
    from tu.chunk import apply_chunking_to_forward as apply_chunking_to_forward
    from tu.chunk import chunked as chunked
    from tu.conv1d import Conv1D as Conv1D
    from tu.conv1d import conv1d_module_names as conv1d_module_names
    from tu.conv1d import is_conv1d as is_conv1d
    from tu.conv1d import transpose_conv1d_weights as transpose_conv1d_weights
    from tu.devices import DEVICE_ENV_VAR as DEVICE_ENV_VAR
    from tu.devices import DEVICE_TYPES as DEVICE_TYPES
    from tu.devices import DeviceLike as DeviceLike
    from tu.devices import IsinTestElements as IsinTestElements
    from tu.devices import available_device_types as available_device_types
    from tu.devices import device_count as device_count
    from tu.devices import empty_cache as empty_cache
    from tu.devices import infer_device as infer_device
    from tu.devices import isin_broadcast as isin_broadcast
    from tu.devices import isin_mps_friendly as isin_mps_friendly
    from tu.devices import isin_needs_fallback as isin_needs_fallback
    from tu.devices import manual_seed as manual_seed
    from tu.devices import memory_allocated as memory_allocated
    from tu.devices import move_to_device as move_to_device
    from tu.devices import synchronize as synchronize
    from tu.prune import HeadPruning as HeadPruning
    from tu.prune import IndexLike as IndexLike
    from tu.prune import UnsupportedLayerError as UnsupportedLayerError
    from tu.prune import find_pruneable_heads_and_indices as find_pruneable_heads_and_indices
    from tu.prune import prune_conv1d_layer as prune_conv1d_layer
    from tu.prune import prune_heads as prune_heads
    from tu.prune import prune_layer as prune_layer
    from tu.prune import prune_linear_layer as prune_linear_layer
    from tu.storage import MAX_RUNS as MAX_RUNS
    from tu.storage import SHARED_METADATA_KEY as SHARED_METADATA_KEY
    from tu.storage import StorageKey as StorageKey
    from tu.storage import StorageReport as StorageReport
    from tu.storage import StorageReportError as StorageReportError
    from tu.storage import find_shared_tensors as find_shared_tensors
    from tu.storage import id_tensor_storage as id_tensor_storage
    from tu.storage import remove_shared_duplicates as remove_shared_duplicates
    from tu.storage import restore_shared_duplicates as restore_shared_duplicates
    from tu.storage import shared_metadata as shared_metadata
    from tu.storage import storage_report as storage_report
    from tu.versions import TRANSFORMERS_FLAGS as TRANSFORMERS_FLAGS
    from tu.versions import clear_caches as clear_caches
    from tu.versions import installed_torch_version as installed_torch_version
    from tu.versions import is_torch_available as is_torch_available
    from tu.versions import is_torch_distributed_available as is_torch_distributed_available
    from tu.versions import is_torch_greater_or_equal as is_torch_greater_or_equal
    from tu.versions import is_torch_hpu_available as is_torch_hpu_available
    from tu.versions import is_torch_mps_available as is_torch_mps_available
    from tu.versions import is_torch_npu_available as is_torch_npu_available
    from tu.versions import is_torch_xla_available as is_torch_xla_available
    from tu.versions import is_torch_xpu_available as is_torch_xpu_available
    from tu.versions import is_torchdynamo_compiling as is_torchdynamo_compiling
    from tu.versions import meshgrid as meshgrid
    from tu.versions import softmax_backward_data as softmax_backward_data
    from tu.versions import torch_float as torch_float
    from tu.versions import torch_int as torch_int
    from tu.versions import torch_int_div as torch_int_div

    is_torch_greater_or_equal_than_2_8: bool
    is_torch_greater_or_equal_than_2_6: bool
    is_torch_greater_or_equal_than_2_4: bool
    is_torch_greater_or_equal_than_2_3: bool
    is_torch_greater_or_equal_than_2_2: bool
    is_torch_greater_or_equal_than_2_1: bool
    is_torch_greater_or_equal_than_2_0: bool
    is_torch_greater_or_equal_than_1_13: bool
    is_torch_greater_or_equal_than_1_12: bool

__all__ = [
    "ALL_LAYERNORM_LAYERS",
    "DEVICE_ENV_VAR",
    "DEVICE_TYPES",
    "MAX_RUNS",
    "NORM_LAYERS",
    "SHARED_METADATA_KEY",
    "TRANSFORMERS_FLAGS",
    "BoundCache",
    "CachedFunction",
    "CachedMethod",
    "Chunked",
    "Conv1D",
    "DeviceLike",
    "ForwardArityError",
    "HeadPruning",
    "IndexLike",
    "IsinTestElements",
    "StorageKey",
    "StorageReport",
    "StorageReportError",
    "UnhashableArgumentError",
    "UnsupportedLayerError",
    "__version__",
    "apply_chunking_to_forward",
    "available_device_types",
    "backfill_transformers",
    "chunked",
    "clear_caches",
    "compile_compatible_lru_cache",
    "compile_compatible_method_lru_cache",
    "conv1d_module_names",
    "decay_parameter_names",
    "device_count",
    "empty_cache",
    "find_pruneable_heads_and_indices",
    "find_shared_tensors",
    "id_tensor_storage",
    "infer_device",
    "installed_torch_version",
    "is_compiling",
    "is_conv1d",
    "is_norm_layer",
    "is_torch_available",
    "is_torch_distributed_available",
    "is_torch_greater_or_equal",
    "is_torch_greater_or_equal_than_1_12",
    "is_torch_greater_or_equal_than_1_13",
    "is_torch_greater_or_equal_than_2_0",
    "is_torch_greater_or_equal_than_2_1",
    "is_torch_greater_or_equal_than_2_2",
    "is_torch_greater_or_equal_than_2_3",
    "is_torch_greater_or_equal_than_2_4",
    "is_torch_greater_or_equal_than_2_6",
    "is_torch_greater_or_equal_than_2_8",
    "is_torch_hpu_available",
    "is_torch_mps_available",
    "is_torch_npu_available",
    "is_torch_xla_available",
    "is_torch_xpu_available",
    "is_torchdynamo_compiling",
    "isin_broadcast",
    "isin_mps_friendly",
    "isin_needs_fallback",
    "manual_seed",
    "memory_allocated",
    "meshgrid",
    "move_to_device",
    "prune_conv1d_layer",
    "prune_heads",
    "prune_layer",
    "prune_linear_layer",
    "remove_shared_duplicates",
    "restore_shared_duplicates",
    "shared_metadata",
    "softmax_backward_data",
    "storage_report",
    "synchronize",
    "torch_float",
    "torch_int",
    "torch_int_div",
    "transpose_conv1d_weights",
]


def __getattr__(name: str) -> Any:
    """Import the defining package on first use of one of its names.

    Any ``is_torch_greater_or_equal_than_X_Y`` / ``is_torch_less_than_X_Y`` flag is looked up
    in tu.versions; every other unknown name raises ``AttributeError`` and nothing else.
    """
    module = MODULE_OF.get(name)
    if module is None:
        if name.startswith(("is_torch_greater_or_equal_than_", "is_torch_less_than_")):
            flag = getattr(importlib.import_module("tu.versions"), name, None)
            if flag is not None:
                return flag
        raise AttributeError(f"module 'tu.all' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    if not name.startswith("is_torch_"):  # flags stay live: tu.versions may forget its caches
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
