"""tu.storage: tensor storage identity and shared-tensor handling for checkpoints.

:func:`id_tensor_storage` is ``transformers.pytorch_utils.id_tensor_storage`` without its
collisions (meta and empty tensors) and without the TypedStorage warning for DTensors.
:func:`find_shared_tensors` groups the names of a state dict whose tensors touch common
bytes, :func:`remove_shared_duplicates` / :func:`restore_shared_duplicates` let
``safetensors.torch.save_file`` store tied weights and tie them again after loading (the
alias map rides in the file's metadata under ``"tu.shared"``, see :func:`shared_metadata`),
and :func:`storage_report` inspects a checkpoint file in work bounded by its size.

Importing this module does not import torch; the first use of a torch-facing name does.
``storage_report`` on a ``.safetensors`` file never imports torch.

Examples:
    >>> import torch
    >>> from tu.storage import find_shared_tensors, id_tensor_storage
    >>> w = torch.zeros(3, 3)
    >>> id_tensor_storage(w) == id_tensor_storage(w[1:])
    True
    >>> [sorted(group) for group in find_shared_tensors({"a": w, "b": w.t(), "c": w.clone()})]
    [['a', 'b']]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tu.storage.__about__ import __version__
from tu.storage._intervals import MAX_RUNS
from tu.storage._metadata import SHARED_METADATA_KEY, shared_metadata
from tu.storage._report import StorageReport, StorageReportError, storage_report

if TYPE_CHECKING:
    from tu.storage._identity import StorageKey, id_tensor_storage
    from tu.storage._shared import (
        find_shared_tensors,
        remove_shared_duplicates,
        restore_shared_duplicates,
    )

# Names whose modules import torch, loaded on first access.
_LAZY = {
    "StorageKey": "tu.storage._identity",
    "id_tensor_storage": "tu.storage._identity",
    "find_shared_tensors": "tu.storage._shared",
    "remove_shared_duplicates": "tu.storage._shared",
    "restore_shared_duplicates": "tu.storage._shared",
}

__all__ = [
    "MAX_RUNS",
    "SHARED_METADATA_KEY",
    "StorageKey",
    "StorageReport",
    "StorageReportError",
    "__version__",
    "find_shared_tensors",
    "id_tensor_storage",
    "remove_shared_duplicates",
    "restore_shared_duplicates",
    "shared_metadata",
    "storage_report",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tu.storage' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
