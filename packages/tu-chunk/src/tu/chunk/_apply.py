"""``apply_chunking_to_forward``: run a forward function chunk by chunk along one dimension."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from tu.chunk._checks import (
    check_chunk_dim,
    check_chunk_size,
    check_forward_fn,
    check_inputs,
    chunk_length,
)
from tu.chunk._gather import OutputGatherer

__all__ = ["apply_chunking_to_forward"]

_T = TypeVar("_T")


def apply_chunking_to_forward(
    forward_fn: Callable[..., _T],
    chunk_size: int,
    chunk_dim: int,
    *input_tensors: Any,
) -> _T:
    """Apply ``forward_fn`` to slices of ``input_tensors`` along ``chunk_dim`` and join the results.

    Trades time for memory: only one chunk's intermediate activations are alive at a time. The result
    equals ``forward_fn(*input_tensors)`` when ``forward_fn`` treats positions along ``chunk_dim``
    independently (a feed-forward block, an LM head).

    When no chunk output requires grad (grad mode off, or nothing involved requires grad), each chunk
    is written into one preallocated result instead of being kept for ``torch.cat``, so the chunk
    outputs and the joined result are never alive together. Otherwise the chunks are joined with
    ``torch.cat`` and the result stays differentiable.

    Args:
        forward_fn: Called once per chunk with one slice per input tensor. A function, bound method,
            ``nn.Module``, ``functools.partial`` or builtin; it only has to accept
            ``len(input_tensors)`` positional arguments.
        chunk_size: Length of each chunk along ``chunk_dim``; the last chunk is shorter when the length
            is not a multiple. ``<= 0`` calls ``forward_fn`` once on the whole inputs (``chunk_dim``
            is then not checked against the inputs). Any int, however large: there are never more
            chunks than positions along ``chunk_dim``. Ints, NumPy ints and 0-d integer tensors;
            never a bool.
        chunk_dim: The dimension to chunk, negative allowed (per input, so inputs of different rank
            can be chunked with a negative dim). Outputs are joined along the same ``chunk_dim``.
            An int as for ``chunk_size``.
        *input_tensors: The tensors to chunk. They must agree on their length along ``chunk_dim`` and
            may differ (broadcast) along every other dimension.

    Returns:
        What ``forward_fn`` returns on the whole inputs: a tensor, or a tuple/list (namedtuples too)
        whose tensors are each joined along ``chunk_dim`` (``None`` entries stay ``None``).

    Raises:
        TypeError: no input tensors, ``chunk_size``/``chunk_dim`` not an int (a bool, a float, a
            one-element tensor included), ``forward_fn`` not callable, a non-tensor input while
            chunking, or ``forward_fn`` returned something other than a tensor or a tuple/list of
            tensors.
        ForwardArityError: ``forward_fn`` cannot accept that many positional tensors (a ``TypeError``
            and a ``ValueError``).
        IndexError: ``chunk_dim`` is out of range for an input (or for an output).
        ValueError: the inputs differ in length along ``chunk_dim``, or the chunks' outputs differ in
            structure.

    Shape:
        - Inputs: any shapes sharing one length ``L`` along ``chunk_dim``.
        - Output: as ``forward_fn`` gives for the whole inputs.

    Examples:
        >>> import torch
        >>> from torch import nn
        >>> from tu.chunk import apply_chunking_to_forward
        >>> ffn = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 8))
        >>> x = torch.randn(2, 10, 8)
        >>> with torch.no_grad():
        ...     y = apply_chunking_to_forward(ffn, 4, 1, x)  # chunks of 4, 4 and 2
        >>> y.shape
        torch.Size([2, 10, 8])
    """
    check_inputs(input_tensors)
    size = check_chunk_size(chunk_size)
    check_forward_fn(forward_fn, len(input_tensors))
    if size <= 0:
        return forward_fn(*input_tensors)

    dim = check_chunk_dim(chunk_dim)
    length, dims = chunk_length(input_tensors, dim)
    if length == 0 or size >= length:
        # One chunk (or none): the plain call, without slicing or copying.
        return forward_fn(*input_tensors)

    gatherer = OutputGatherer(dim, length)
    for start in range(0, length, size):
        step = min(size, length - start)
        # Indexing, not zip(strict=...): torch 2.1's compiler cannot trace that keyword.
        pieces = tuple(
            tensor.narrow(dims[i], start, step) for i, tensor in enumerate(input_tensors)
        )
        output = forward_fn(*pieces)
        del pieces
        gatherer.add(output, step)
        del output  # let this chunk's output go before the next chunk runs
    result: _T = gatherer.result()
    return result
