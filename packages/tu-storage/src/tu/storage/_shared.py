"""Shared tensors in a state dict: find them, drop aliases before saving, tie them after loading."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch

from tu.storage._identity import dtensor_local, inner_tensors, sparse_parts
from tu.storage._metadata import SHARED_METADATA_KEY, aliases_from
from tu.storage._overlap import analyse, check_state_dict


def find_shared_tensors(state_dict: Mapping[str, torch.Tensor]) -> list[set[str]]:
    """Group the names whose tensors touch a common byte of memory.

    Two tensors are shared when the bytes their elements occupy intersect, on the same
    device. The bytes come from each view's address, sizes and strides, so transposed,
    strided and nested views are placed exactly; views that interleave without touching a
    common byte (the even and the odd columns of a matrix) are not shared. Overlap is
    transitive through the group: ``a`` and ``c`` are grouped when both overlap ``b``.
    DTensors count with their local shard, wrapper subclasses with their inner tensors.
    Meta tensors, empty tensors and tensors without a data pointer are never grouped.

    A view is split into at most ``tu.storage.MAX_RUNS`` contiguous runs; a view needing
    more (say, one column of a matrix with more rows than that) is taken as its whole
    ``[first byte, last byte]`` extent, which can only group more, never less.

    Args:
        state_dict: names to tensors.

    Returns:
        One set per group of two or more names, in state-dict order of each group's first
        name. Unshared names appear in no group.

    Raises:
        TypeError: if ``state_dict`` is not a mapping of str to tensors.

    Examples:
        >>> import torch
        >>> w = torch.zeros(4, 4)
        >>> groups = find_shared_tensors(
        ...     {"w": w, "row": w[1], "wt": w.t(), "other": torch.ones(2)}
        ... )
        >>> [sorted(group) for group in groups]
        [['row', 'w', 'wt']]
    """
    check_state_dict(state_dict, "state_dict")
    names = list(state_dict)
    analysis = analyse([state_dict[name] for name in names])
    return [{names[i] for i in group} for group in analysis.groups]


def _same_view(a: torch.Tensor, b: torch.Tensor) -> bool:
    """True when ``b`` reads exactly the memory ``a`` reads, the same way."""
    if a is b:
        return True
    if type(a) is not type(b) or a.dtype != b.dtype or a.device != b.device or a.layout != b.layout:
        return False
    if a.shape != b.shape or (a.layout == torch.strided and a.stride() != b.stride()):
        return False
    local_a, local_b = dtensor_local(a), dtensor_local(b)
    if local_a is not None and local_b is not None:
        return _same_view(local_a, local_b) and _dtensor_spec(a) == _dtensor_spec(b)
    inner_a, inner_b = inner_tensors(a), inner_tensors(b)
    if inner_a is not None and inner_b is not None:
        flat_a = a.__tensor_flatten__()  # type: ignore[attr-defined]
        flat_b = b.__tensor_flatten__()  # type: ignore[attr-defined]
        try:
            same_context = bool(flat_a[1] == flat_b[1])
        except Exception:
            same_context = False
        return (
            same_context
            and flat_a[0] == flat_b[0]
            and all(_same_view(x, y) for x, y in zip(inner_a, inner_b, strict=True))
        )
    parts_a, parts_b = sparse_parts(a), sparse_parts(b)
    if parts_a is not None and parts_b is not None:
        return all(_same_view(x, y) for x, y in zip(parts_a, parts_b, strict=True))
    if a.layout != torch.strided:
        return False
    return a.data_ptr() != 0 and a.data_ptr() == b.data_ptr()


def _dtensor_spec(tensor: torch.Tensor) -> object:
    return (getattr(tensor, "device_mesh", None), tuple(getattr(tensor, "placements", ())))


def _preferred(preferred_names: Iterable[str] | None) -> list[str]:
    if preferred_names is None:
        return []
    if isinstance(preferred_names, (str, bytes)):
        raise TypeError(
            "preferred_names must be an iterable of names, not a single str; "
            f"wrap it in a list: [{preferred_names!r}]"
        )
    names = list(preferred_names)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"preferred_names must hold str names, got {type(name).__name__}")
    return names


def remove_shared_duplicates(
    state_dict: Mapping[str, torch.Tensor],
    preferred_names: Iterable[str] | None = None,
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Keep one name per shared group so that a saver that refuses shared tensors accepts it.

    Every other name of a group must be an alias of the kept one (the same memory viewed
    the same way: address, dtype, shape and strides; tied weights are), so that
    :func:`restore_shared_duplicates` can put it back as the very same tensor. The kept
    name is the first name of ``preferred_names`` (in its order) that is in the group, else
    the group's first name in state-dict order. The input is not modified.

    Args:
        state_dict: names to tensors.
        preferred_names: names to keep when they are in a shared group, most preferred
            first; names not in the state dict are ignored.

    Returns:
        ``(reduced, removed)``: a new dict without the removed names (order kept) and a
        mapping ``removed name -> kept name``. To keep it in a safetensors file beside
        other metadata, save ``metadata=shared_metadata(removed, other)``.

    Raises:
        TypeError: if ``state_dict`` is not a mapping of str to tensors, or
            ``preferred_names`` is a str or holds non-str items.
        ValueError: if a group holds tensors that overlap without being aliases of one
            another (a slice of a fused weight next to the weight, a transposed view):
            a name map could not restore them. Save such tensors as copies
            (``tensor.clone()``) or save the whole tensor only.

    Examples:
        >>> import torch
        >>> emb = torch.zeros(10, 4)
        >>> reduced, removed = remove_shared_duplicates(
        ...     {"embed.weight": emb, "head.weight": emb, "head.bias": torch.zeros(10)}
        ... )
        >>> list(reduced), removed
        (['embed.weight', 'head.bias'], {'head.weight': 'embed.weight'})
    """
    check_state_dict(state_dict, "state_dict")
    preferred = _preferred(preferred_names)
    removed: dict[str, str] = {}
    for group in find_shared_tensors(state_dict):
        ordered = [name for name in state_dict if name in group]
        keep = next((name for name in preferred if name in group), ordered[0])
        kept = state_dict[keep]
        partial = [name for name in ordered if not _same_view(kept, state_dict[name])]
        if partial:
            raise ValueError(
                f"state_dict: {sorted(group)} share memory, but {partial} are not aliases of "
                f"{keep!r} (different address, dtype, shape or strides), so a name map could "
                "not restore them; store them as copies (tensor.clone()) or keep only the "
                "whole tensor"
            )
        for name in ordered:
            if name != keep:
                removed[name] = keep
    reduced = {name: tensor for name, tensor in state_dict.items() if name not in removed}
    return reduced, removed


def restore_shared_duplicates(
    state_dict: Mapping[str, torch.Tensor], removed: Mapping[str, str] | None
) -> dict[str, torch.Tensor]:
    """Put the names :func:`remove_shared_duplicates` dropped back, as the kept tensors.

    Each removed name gets the very tensor object of the name it aliases, so after loading
    tied weights share memory again (no copies). The input is not modified.

    ``removed`` is either a file's metadata as ``safe_open(...).metadata()`` returns it:
    when it holds ``"tu.shared"`` (written by :func:`shared_metadata`) only that key is read
    and every other key (``"format"`` and the like) is ignored; ``None`` (a file without
    metadata) restores nothing. Or it is the plain ``removed name -> kept name`` map that
    :func:`remove_shared_duplicates` returns, every item of which is an alias.

    Args:
        state_dict: a (loaded) state dict holding every kept name.
        removed: file metadata holding ``"tu.shared"``, the plain alias map, or ``None``.

    Returns:
        A new dict: ``state_dict``'s items, then the restored names in the map's order.

    Raises:
        TypeError: if ``state_dict`` is not a mapping of str to tensors, or ``removed`` is
            not a mapping of str to str (or ``None``).
        ValueError: if ``removed["tu.shared"]`` is not a JSON object of str to str, a kept
            name is missing from ``state_dict``, or a removed name is already there holding
            a different tensor.

    Examples:
        >>> import torch
        >>> loaded = {"embed.weight": torch.zeros(10, 4)}
        >>> tied = restore_shared_duplicates(loaded, {"head.weight": "embed.weight"})
        >>> tied["head.weight"] is tied["embed.weight"]
        True
        >>> metadata = {"format": "pt", "tu.shared": '{"head.weight": "embed.weight"}'}
        >>> list(restore_shared_duplicates(loaded, metadata))
        ['embed.weight', 'head.weight']
    """
    check_state_dict(state_dict, "state_dict")
    in_metadata = isinstance(removed, Mapping) and SHARED_METADATA_KEY in removed
    aliases = aliases_from(removed)
    restored = dict(state_dict)
    for name, keep in aliases.items():
        if keep not in state_dict:
            hint = (
                ""
                if in_metadata
                else (
                    f"; if this mapping is a file's metadata holding other keys, save the map "
                    f"with shared_metadata(), which stores it under {SHARED_METADATA_KEY!r}"
                )
            )
            raise ValueError(
                f"removed maps {name!r} to {keep!r}, but state_dict has no {keep!r} to alias" + hint
            )
        tensor = state_dict[keep]
        present = state_dict.get(name)
        if present is not None and not _same_view(tensor, present):
            raise ValueError(
                f"state_dict already holds {name!r} as a different tensor than {keep!r}; "
                "refusing to replace it"
            )
        restored[name] = tensor
    return restored
