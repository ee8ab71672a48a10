"""Copy the kept rows or columns of a weight, as fast as the index's structure allows."""

from __future__ import annotations

import math

import torch

#: Narrowest run of consecutive columns worth copying as a block.
_MIN_BLOCK = 4


def select(
    weight: torch.Tensor, axis: int, positions: torch.Tensor, host: torch.Tensor | None
) -> torch.Tensor:
    """Return ``weight.index_select(axis, positions)`` as a new contiguous tensor.

    Selecting columns (the last axis) of a row-major weight copies element by element. Head
    pruning keeps whole heads, i.e. aligned runs of ``head_size`` columns; those are copied as
    blocks through a 3-D view, which is up to 2x faster on CPU. The values are identical.

    Args:
        weight: A 2-D weight.
        axis: 0 or 1.
        positions: int64 positions on ``weight``'s device.
        host: The same positions on the CPU when available: their structure is inspected only
            then, so that it never costs a device synchronisation.
    """
    if axis == 1 and host is not None and weight.is_contiguous() and weight.device.type != "meta":
        block = _block_size(host, weight.shape[1])
        if block >= _MIN_BLOCK:
            rows, cols = weight.shape
            blocks = positions[::block] // block
            grouped = weight.view(rows, cols // block, block).index_select(1, blocks)
            return grouped.view(rows, positions.numel())
    return weight.index_select(axis, positions)


def _block_size(positions: torch.Tensor, size: int) -> int:
    """Largest ``b`` such that ``positions`` is a sequence of aligned runs ``[k*b, (k+1)*b)``."""
    count = positions.numel()
    if count < _MIN_BLOCK:
        return 1
    starts = torch.nonzero(positions[1:] != positions[:-1] + 1).flatten() + 1
    if starts.numel() + 1 > count // _MIN_BLOCK:
        return 1  # runs too short on average to be worth a look
    offsets = [0, *starts.tolist()]
    values = positions[offsets].tolist()
    return math.gcd(size, count, *offsets, *values)
