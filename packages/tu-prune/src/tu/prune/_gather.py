"""Copy the kept rows or columns of a weight, as fast as the device allows."""

from __future__ import annotations

import torch

#: Integer types of each element size: gathering bits is exact whatever the dtype.
_BITS_OF_SIZE = {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def select(weight: torch.Tensor, axis: int, positions: torch.Tensor) -> torch.Tensor:
    """Return ``weight.index_select(axis, positions)`` as a new contiguous tensor.

    Rows (axis 0) are whole contiguous runs and ``index_select`` copies them at memory speed.
    Columns (axis 1) of a contiguous CPU weight go through :func:`gather_columns`; elsewhere
    ``index_select`` serves.

    Args:
        weight: A 2-D weight.
        axis: 0 or 1.
        positions: int64 positions on ``weight``'s device.
    """
    if axis == 1 and weight.device.type == "cpu" and weight.is_contiguous():
        return gather_columns(weight, positions)
    return weight.index_select(axis, positions)


def gather_columns(weight: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Columns of a contiguous weight through ``torch.gather`` on its bits.

    On CPU, ``index_select`` along the last axis copies one strided column at a time, while
    ``gather`` walks each row once: about 1.5x faster on an 8192x8192 float32 weight (measured
    here). torch's CPU gather has no fast path for bfloat16/float16 (3x slower than
    ``index_select``), so the weight is gathered as integers of the same size: a bit copy,
    identical values, fast for every dtype.
    """
    bits = _BITS_OF_SIZE.get(weight.element_size())
    source = weight.view(bits) if bits is not None else weight
    picked = torch.gather(source, 1, positions.expand(weight.shape[0], -1))
    return picked.view(weight.dtype) if bits is not None else picked
