"""Collect per-chunk outputs into one result: into a preallocated tensor when autograd is not
involved, through ``torch.cat`` otherwise."""

from __future__ import annotations

from typing import Any

import torch

from tu.chunk._checks import is_compiling, normalize_dim

__all__ = ["OutputGatherer"]


def _forward_ad_active() -> bool:
    """A forward-mode AD level is open: keep to ``torch.cat``, whose tangent rules are certain."""
    from torch.autograd import forward_ad

    return int(getattr(forward_ad, "_current_level", 0)) >= 0


def _functorch_wrapped(tensor: torch.Tensor) -> bool:
    """A vmap/grad-transformed tensor cannot be copied into a plain preallocated buffer."""
    check = getattr(torch._C._functorch, "is_functorch_wrapped_tensor", None)
    return True if check is None else bool(check(tensor))


def writable(tensor: torch.Tensor) -> bool:
    """Whether a chunk output may be copied into a buffer without losing anything autograd needs.

    A chunk output that does not require grad carries no graph, so copying it loses nothing. Plain
    strided tensors only: subclasses, sparse, quantized, nested and functorch-wrapped tensors go
    through ``torch.cat``, which knows how to handle them.
    """
    return (
        type(tensor) is torch.Tensor
        and not tensor.requires_grad
        and tensor.layout == torch.strided
        and not tensor.is_quantized
        and not tensor.is_nested
        and not _functorch_wrapped(tensor)
    )


def _memory_format(tensor: torch.Tensor) -> torch.memory_format:
    """The layout ``torch.cat`` would give a result built from tensors laid out like ``tensor``."""
    if tensor.is_contiguous():
        return torch.contiguous_format
    if tensor.dim() == 4 and tensor.is_contiguous(memory_format=torch.channels_last):
        return torch.channels_last
    if tensor.dim() == 5 and tensor.is_contiguous(memory_format=torch.channels_last_3d):
        return torch.channels_last_3d
    return torch.contiguous_format


class _Slot:
    """One output position: a buffer being filled chunk by chunk, or a list for ``torch.cat``."""

    def __init__(self, chunk_dim: int, total: int, allow_buffer: bool) -> None:
        self.chunk_dim = chunk_dim
        self.total = total
        self.allow_buffer = allow_buffer
        self.buffer: torch.Tensor | None = None
        self.dim = 0
        self.filled = 0
        self.pieces: list[torch.Tensor] = []

    def add(self, item: torch.Tensor, length: int, what: str) -> None:
        dim = normalize_dim(self.chunk_dim, item.dim(), what)
        if self.seen_none() and self.allow_buffer and writable(item) and item.shape[dim] == length:
            shape = list(item.shape)
            shape[dim] = self.total
            self.buffer = torch.empty(
                shape, dtype=item.dtype, device=item.device, memory_format=_memory_format(item)
            )
            self.dim = dim
        if self.buffer is not None:
            if self._fits(item, dim, length):
                self.buffer.narrow(dim, self.filled, length).copy_(item)
                self.filled += length
                return
            # An output this buffer cannot hold: finish with torch.cat over what is filled so far.
            self.pieces.append(self.buffer.narrow(self.dim, 0, self.filled))
            self.buffer = None
        self.pieces.append(item)

    def seen_none(self) -> bool:
        """Nothing was added yet (the first chunk decides whether a buffer is used)."""
        return self.buffer is None and not self.pieces

    def _fits(self, item: torch.Tensor, dim: int, length: int) -> bool:
        buffer = self.buffer
        assert buffer is not None
        if dim != self.dim or not writable(item) or item.dtype != buffer.dtype:
            return False
        if item.device != buffer.device or item.dim() != buffer.dim():
            return False
        expected = list(buffer.shape)
        expected[dim] = length
        return list(item.shape) == expected and self.filled + length <= self.total

    def result(self) -> torch.Tensor:
        if self.buffer is not None and self.filled == self.total:
            return self.buffer
        if self.buffer is not None:
            self.pieces.append(self.buffer.narrow(self.dim, 0, self.filled))
        return torch.cat(self.pieces, dim=self.chunk_dim)


class OutputGatherer:
    """Gathers the outputs of successive chunks of one call.

    ``forward_fn`` may return a tensor, or a tuple/list (namedtuples too) of tensors and ``None``s; the
    structure of the first chunk's output is the one every later chunk must return.
    """

    def __init__(self, chunk_dim: int, total: int) -> None:
        self.chunk_dim = chunk_dim
        self.total = total
        # Under torch.compile the join is left to torch.cat, which the compiler plans itself.
        self.allow_buffer = not is_compiling() and not _forward_ad_active()
        self.kind: type = type(None)  # type of the first chunk's output (not the output itself)
        self.slots: list[_Slot | None] = []
        self.seen = 0

    def add(self, output: object, length: int) -> None:
        items = self._items(output)
        if self.seen == 0:
            self.kind = type(output)
            self.slots = [
                None if item is None else _Slot(self.chunk_dim, self.total, self.allow_buffer)
                for item in items
            ]
        elif len(items) != len(self.slots) or type(output) is not self.kind:
            raise ValueError(
                f"forward_fn returned {_shape_of(output)} for chunk {self.seen} but a"
                f" {self.kind.__name__} of {len(self.slots)} for chunk 0: every chunk must return"
                " the same structure"
            )
        for position, item in enumerate(items):  # len(items) == len(self.slots), checked above
            slot = self.slots[position]
            if (item is None) != (slot is None):
                raise ValueError(
                    f"forward_fn output [{position}] is None for some chunks only (chunk {self.seen});"
                    " a None output must be None for every chunk"
                )
            if item is not None and slot is not None:
                if issubclass(self.kind, torch.Tensor):
                    what = "forward_fn's output"
                else:
                    what = f"forward_fn's output [{position}]"
                slot.add(item, length, what)
        self.seen += 1

    def result(self) -> Any:
        results = [None if slot is None else slot.result() for slot in self.slots]
        kind: Any = self.kind
        if issubclass(kind, torch.Tensor):
            return results[0]
        if kind is list:
            return results
        if kind is tuple:
            return tuple(results)
        if issubclass(kind, tuple) and hasattr(kind, "_fields"):  # a namedtuple
            return kind(*results)
        return kind(results)

    @staticmethod
    def _items(output: object) -> list[torch.Tensor | None]:
        if isinstance(output, torch.Tensor):
            return [output]
        if isinstance(output, (tuple, list)):
            items: list[torch.Tensor | None] = []
            for position, item in enumerate(output):
                if item is not None and not isinstance(item, torch.Tensor):
                    raise TypeError(
                        f"forward_fn must return a tensor or a tuple/list of tensors when chunking;"
                        f" output [{position}] is {type(item).__name__}"
                    )
                items.append(item)
            return items
        raise TypeError(
            "forward_fn must return a tensor or a tuple/list of tensors when chunking,"
            f" got {type(output).__name__}"
        )


def _shape_of(output: object) -> str:
    if isinstance(output, (tuple, list)):
        return f"a {type(output).__name__} of {len(output)}"
    return f"a {type(output).__name__} of 1"
