"""Which bytes of memory a tensor touches, and which named tensors touch the same bytes."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import torch

from tu.storage import _intervals
from tu.storage._identity import (
    _PLAIN_TYPES,
    _xla_available,
    _xla_tensor_id,
    dtensor_local,
    inner_tensors,
    sparse_parts,
)


@dataclass(frozen=True)
class _Layout:
    """One plain strided tensor's place in memory, in absolute byte addresses."""

    space: Hashable  # the address space: a device, or an XLA tensor id
    start: int  # extent [start, end): first byte to one past the last byte
    end: int
    dense: bool  # True when the extent is exactly the bytes touched (one run)
    itemsize: int
    sizes: tuple[int, ...]
    strides: tuple[int, ...]

    def runs(self, max_runs: int) -> list[tuple[int, int]] | None:
        """The touched bytes as runs, or ``None`` when over ``max_runs``."""
        if self.dense:
            return [(self.start, self.end)]
        runs = _intervals._element_runs(0, self.sizes, self.strides, max_runs)
        if runs is None:
            return None
        a, s = self.start, self.itemsize
        return [(a + lo * s, a + hi * s) for lo, hi in runs]


def layouts(tensor: torch.Tensor) -> list[_Layout]:
    """The memory a tensor holds, as plain strided pieces; nothing for meta or empty tensors.

    DTensors contribute their local shard, traceable wrapper subclasses their inner tensors,
    sparse tensors their index and value tensors, XLA tensors (which have no addresses) a
    one-byte piece in a space of their own id. Tensors without a data pointer or with
    another layout contribute nothing.
    """
    if type(tensor) not in _PLAIN_TYPES:
        local = dtensor_local(tensor)
        if local is not None:
            return layouts(local)
        inner = inner_tensors(tensor)
        if inner is not None:
            return [layout for part in inner for layout in layouts(part)]
    if tensor.layout != torch.strided:
        parts = sparse_parts(tensor)
        return [] if parts is None else [layout for part in parts for layout in layouts(part)]
    device = tensor.device
    kind = device.type
    if kind == "meta" or tensor.numel() == 0:
        return []
    if kind == "xla" and _xla_available():
        return [_Layout(("xla", str(device), _xla_tensor_id(tensor)), 0, 1, True, 1, (), ())]
    try:
        address = tensor.data_ptr()
    except (RuntimeError, NotImplementedError):
        return []
    if address == 0:
        return []
    itemsize = tensor.element_size()
    if tensor.is_contiguous():
        end = address + tensor.numel() * itemsize
        return [_Layout(device, address, end, True, itemsize, (), ())]
    sizes, strides = tuple(tensor.shape), tuple(tensor.stride())
    _, hi = _intervals._extent(0, sizes, strides)
    return [_Layout(device, address, address + hi * itemsize, False, itemsize, sizes, strides)]


@dataclass
class Analysis:
    """Shared groups (as indices into the input) and the bytes touched by all tensors."""

    groups: list[list[int]]
    unique_bytes: int


def analyse(
    tensors: Sequence[torch.Tensor],
    *,
    need_bytes: bool = False,
    max_runs: int = _intervals.MAX_RUNS,
    max_total_runs: int | None = None,
) -> Analysis:
    """Group tensors whose touched bytes intersect (exact within ``max_runs``, else by extent).

    First the extents of all pieces are swept per address space; a cluster in which every
    piece is dense (its extent is exactly what it touches) is exact as is. Clusters holding
    a strided piece are swept again with each piece split into its runs (its extent when
    over budget). With ``need_bytes`` the union of touched bytes is measured the same way.
    ``max_total_runs`` caps the runs of all pieces together (``storage_report`` sets it, so
    many strided views of one file cannot each cost ``max_runs``): once it is spent, the
    remaining strided pieces are taken as their extents, which can only group more.
    """
    budget = max_total_runs
    spaces: dict[Hashable, list[tuple[int, _Layout]]] = {}
    for owner, tensor in enumerate(tensors):
        for layout in layouts(tensor):
            spaces.setdefault(layout.space, []).append((owner, layout))

    sets = _intervals._UnionFind()
    unique_bytes = 0
    for pieces in spaces.values():
        clusters = _intervals.clusters(
            (layout.start, layout.end, index) for index, (_, layout) in enumerate(pieces)
        )
        for cluster in clusters:
            members = [pieces[i] for i in cluster]
            owners = {owner for owner, _ in members}
            if all(layout.dense for _, layout in members):
                # Dense pieces: the extents are exact, the cluster is one group.
                for owner, _ in members[1:]:
                    sets.union(members[0][0], owner)
                if need_bytes:
                    unique_bytes += _intervals.union_length((p.start, p.end) for _, p in members)
                continue
            if len(owners) == 1 and not need_bytes:
                continue
            runs: list[tuple[int, int, int]] = []
            for owner, layout in members:
                limit = max_runs if budget is None else min(max_runs, budget)
                piece_runs = layout.runs(limit) if limit > 0 else None
                if piece_runs is not None and budget is not None:
                    budget -= len(piece_runs)
                if piece_runs is None:
                    runs.append((layout.start, layout.end, owner))
                else:
                    runs.extend((lo, hi, owner) for lo, hi in piece_runs)
            if len(owners) > 1:
                for component in _intervals.overlap_components(runs):
                    for owner in component[1:]:
                        sets.union(component[0], owner)
            if need_bytes:
                unique_bytes += _intervals.union_length((lo, hi) for lo, hi, _ in runs)

    grouped: dict[Hashable, list[int]] = {}
    for owner in range(len(tensors)):
        if owner in sets.parent:
            grouped.setdefault(sets.find(owner), []).append(owner)
    groups = [members for members in grouped.values() if len(members) > 1]
    groups.sort(key=lambda members: members[0])
    return Analysis(groups, unique_bytes)


def check_state_dict(state_dict: Mapping[str, torch.Tensor], argument: str) -> None:
    """Raise TypeError unless ``state_dict`` maps str names to tensors."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"{argument} must be a mapping of str to torch.Tensor, got {type(state_dict).__name__}"
        )
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"{argument} keys must be str, got {type(name).__name__}: {name!r}")
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"{argument}[{name!r}] must be a torch.Tensor, got {type(value).__name__}"
            )
