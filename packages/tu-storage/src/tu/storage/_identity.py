"""Which storage a tensor lives in: ``id_tensor_storage`` and the unwrapping it relies on."""

from __future__ import annotations

import sys
from typing import Any, TypeAlias, cast

import torch
from torch.utils._python_dispatch import is_traceable_wrapper_subclass

from tu.versions import is_torch_xla_available

StorageKey: TypeAlias = int | tuple["StorageKey", ...]
"""A storage's identity: a pointer-like int, or a tuple of them (wrapper subclasses, sparse)."""

# DTensor lives in the public module from torch 2.4/2.5 on and in the private one before;
# an instance can only exist once its module was imported, so sys.modules is enough.
_DTENSOR_MODULES = ("torch.distributed.tensor", "torch.distributed._tensor")
_PLAIN_TYPES = (torch.Tensor, torch.nn.Parameter)


def _xla_available() -> bool:
    return is_torch_xla_available()


def dtensor_local(tensor: torch.Tensor) -> torch.Tensor | None:
    """The local shard of a DTensor, or ``None`` for anything else (never imports DTensor)."""
    if type(tensor) in _PLAIN_TYPES:
        return None
    for name in _DTENSOR_MODULES:
        module = sys.modules.get(name)
        cls = getattr(module, "DTensor", None) if module is not None else None
        if isinstance(cls, type) and isinstance(tensor, cls):
            local: torch.Tensor = tensor.to_local()  # type: ignore[attr-defined]
            return local
    return None


def _is_traceable_wrapper(tensor: torch.Tensor) -> bool:
    # A plain bool: torch types the check as a TypeGuard that mypy finds uninhabitable.
    return bool(is_traceable_wrapper_subclass(tensor))


def inner_tensors(tensor: torch.Tensor) -> list[torch.Tensor] | None:
    """The tensors a traceable wrapper subclass flattens to, or ``None`` for other tensors."""
    if type(tensor) in _PLAIN_TYPES or not _is_traceable_wrapper(tensor):
        return None
    attrs, _ = cast(Any, tensor).__tensor_flatten__()
    return [getattr(tensor, attr) for attr in attrs]


def sparse_parts(tensor: torch.Tensor) -> list[torch.Tensor] | None:
    """The index and value tensors of a sparse tensor, or ``None`` for other layouts."""
    layout = tensor.layout
    if layout == torch.strided:
        return None
    if layout == torch.sparse_coo:
        return [tensor._indices(), tensor._values()]
    if layout in (torch.sparse_csr, torch.sparse_bsr):
        return [tensor.crow_indices(), tensor.col_indices(), tensor.values()]
    if layout in (torch.sparse_csc, torch.sparse_bsc):
        return [tensor.ccol_indices(), tensor.row_indices(), tensor.values()]
    return None


def _pointer_and_size(tensor: torch.Tensor) -> tuple[int, int]:
    """(storage data pointer or a storage identity when it has none, storage nbytes)."""
    try:
        storage = tensor.untyped_storage()
    except (RuntimeError, NotImplementedError, TypeError):
        # No storage at all (mkldnn, opaque wrappers): identity of the object.
        return id(tensor), tensor.numel() * tensor.element_size()
    nbytes = storage.nbytes()
    try:
        pointer = storage.data_ptr()
    except (RuntimeError, NotImplementedError):
        pointer = 0
    if pointer == 0:
        # Meta and empty storages have no data pointer; the address of their StorageImpl is
        # shared by every view of one storage and unique among live storages.
        pointer = getattr(storage, "_cdata", 0) or id(tensor)
    return pointer, nbytes


def _xla_tensor_id(tensor: torch.Tensor) -> int:
    import torch_xla

    tensor_id: int = torch_xla._XLAC._xla_get_tensor_id(tensor)
    return tensor_id


def _identify(tensor: torch.Tensor) -> tuple[torch.device, StorageKey, int]:
    local = dtensor_local(tensor)
    if local is not None:
        pointer, _ = _pointer_and_size(local)
        return tensor.device, pointer, tensor.nbytes

    if tensor.device.type == "xla" and _xla_available():
        try:
            nbytes = tensor.untyped_storage().nbytes()
        except (RuntimeError, NotImplementedError):
            nbytes = tensor.nbytes
        return tensor.device, _xla_tensor_id(tensor), nbytes

    inner = inner_tensors(tensor)
    if inner is None:
        inner = sparse_parts(tensor)
    if inner is not None:
        keys: list[StorageKey] = []
        seen: dict[Any, int] = {}
        for part in inner:
            device, key, nbytes = _identify(part)
            keys.append(key)
            seen.setdefault((device, key), nbytes)
        return tensor.device, tuple(keys), sum(seen.values())

    pointer, nbytes = _pointer_and_size(tensor)
    return tensor.device, pointer, nbytes


def id_tensor_storage(tensor: torch.Tensor) -> tuple[torch.device, StorageKey, int]:
    """Identify the storage a tensor lives in: ``(device, unique_id, nbytes)``.

    Every view of one storage gets the same id, and two live tensors get equal ids exactly
    when they share a storage. For ordinary CPU and CUDA tensors the result equals
    ``transformers.pytorch_utils.id_tensor_storage``: the storage's data pointer and the
    whole storage's size in bytes.

    - DTensor: the local shard's storage pointer and the full (global) tensor's nbytes, read
      from the untyped storage (no TypedStorage deprecation warning).
    - XLA tensors: torch_xla's tensor id when torch_xla is installed.
    - Storages without a data pointer (meta tensors, empty tensors): the address of the
      storage object, so distinct ones never share an id while both live (transformers
      gives every meta tensor of one size, and every empty tensor, the same id).
    - Traceable wrapper subclasses: a tuple of their inner tensors' ids, and the sum of
      the sizes of their distinct inner storages (a storage shared by two inner tensors
      counts once). Sparse tensors likewise, from their index and value tensors.

    Like any address, an id may be reused once its storage is freed.

    Args:
        tensor: any tensor.

    Returns:
        ``(device, unique_id, nbytes)``; ``unique_id`` is an ``int``, or a tuple for
        wrapper subclasses.

    Raises:
        TypeError: if ``tensor`` is not a ``torch.Tensor``.

    Examples:
        >>> import torch
        >>> x = torch.zeros(4, 4)
        >>> id_tensor_storage(x) == id_tensor_storage(x.t()[1:])
        True
        >>> id_tensor_storage(x)[2]
        64
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
    return _identify(tensor)
