"""``Chunked``: an ``nn.Module`` that runs a wrapped module (or function) chunk by chunk."""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterator
from typing import Any

from torch import nn

from tu.chunk._apply import apply_chunking_to_forward
from tu.chunk._checks import check_chunk_dim, check_chunk_size

__all__ = ["Chunked", "chunked"]

# The containers a wrapped module keeps its state in. The wrapper holds the very same objects, so
# parameters, buffers and submodules appear once, under the wrapped module's names, and any change
# made through either object (``.to()``, weight tying, ``register_buffer``) is seen by both. The
# state-dict hook registries are shared too, so a hook registered on either one applies.
_SHARED = (
    "_parameters",
    "_buffers",
    "_non_persistent_buffers_set",
    "_modules",
    "_state_dict_hooks",
    "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)


class Chunked(nn.Module):
    """Run ``module_or_fn`` chunk by chunk along ``chunk_dim`` (see :func:`apply_chunking_to_forward`).

    Wrapping a module adds no level to the module tree: the wrapper shares the wrapped module's
    parameters, buffers and submodules, so ``state_dict`` keys, ``named_parameters`` names and ``repr``
    are those of the wrapped module (a checkpoint of the unwrapped model loads with ``strict=True``).
    Attribute reads the wrapper cannot answer fall through to the wrapped module.

    Args:
        module_or_fn: An ``nn.Module`` or any callable taking the chunked tensors positionally.
        chunk_size: Chunk length along ``chunk_dim``; ``<= 0`` disables chunking. An int (NumPy
            ints and 0-d integer tensors too, never a bool); checked again when reassigned.
        chunk_dim: The dimension to chunk (negative allowed), an int as for ``chunk_size``.

    Raises:
        TypeError: ``module_or_fn`` is not callable, or ``chunk_size``/``chunk_dim`` is not an int
            (here and when reassigned). A call raises as :func:`apply_chunking_to_forward`.

    Shape:
        - Input: ``(*, L, *)``, every positional tensor of length ``L`` along ``chunk_dim``.
        - Output: as ``module_or_fn`` gives.

    Attributes:
        chunk_size: The chunk length (reassignable, checked).
        chunk_dim: The chunked dimension (reassignable, checked).
        wrapped: The module or function being chunked (read-only).

    Examples:
        >>> import torch
        >>> from torch import nn
        >>> from tu.chunk import chunked
        >>> mlp = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 8))
        >>> wrapped = chunked(mlp, 4, 1)
        >>> list(wrapped.state_dict()) == list(mlp.state_dict())
        True
        >>> wrapped(torch.randn(2, 10, 8)).shape
        torch.Size([2, 10, 8])
    """

    def __init__(
        self, module_or_fn: nn.Module | Callable[..., Any], chunk_size: int, chunk_dim: int
    ) -> None:
        super().__init__()
        if not callable(module_or_fn):
            raise TypeError(
                f"module_or_fn must be an nn.Module or a callable, got {type(module_or_fn).__name__}"
            )
        self.chunk_size = chunk_size
        self.chunk_dim = chunk_dim
        # Stored outside _modules on purpose: registering it would add a key prefix.
        self.__dict__["_wrapped"] = module_or_fn
        if isinstance(module_or_fn, nn.Module):
            for name in _SHARED:
                if name in module_or_fn.__dict__:
                    self.__dict__[name] = module_or_fn.__dict__[name]
            self.training = module_or_fn.training

    @property
    def chunk_size(self) -> int:
        """Chunk length along ``chunk_dim``; ``<= 0`` disables chunking. Checked when assigned."""
        size: int = self.__dict__["_chunk_size"]
        return size

    @chunk_size.setter
    def chunk_size(self, value: int) -> None:
        self.__dict__["_chunk_size"] = check_chunk_size(value)

    @property
    def chunk_dim(self) -> int:
        """The dimension chunked (negative allowed). Checked when assigned."""
        dim: int = self.__dict__["_chunk_dim"]
        return dim

    @chunk_dim.setter
    def chunk_dim(self, value: int) -> None:
        self.__dict__["_chunk_dim"] = check_chunk_dim(value)

    @property
    def wrapped(self) -> nn.Module | Callable[..., Any]:
        """The module or function being chunked."""
        return self.__dict__["_wrapped"]  # type: ignore[no-any-return]

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Call the wrapped module on chunks of ``inputs``; ``kwargs`` go unchunked to every call.

        Args:
            *inputs: The tensors to chunk along ``chunk_dim``.
            **kwargs: Passed as they are to every call of the wrapped module.

        Returns:
            What the wrapped module returns on the whole inputs, joined along ``chunk_dim``.

        Raises:
            TypeError: no input, or a non-tensor input while chunking.
            ValueError: the inputs differ in length along ``chunk_dim``.
            IndexError: ``chunk_dim`` is out of range for an input.
        """
        fn: Callable[..., Any] = self.wrapped
        if kwargs:
            fn = functools.partial(fn, **kwargs)
        return apply_chunking_to_forward(fn, self.chunk_size, self.chunk_dim, *inputs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            wrapped = self.__dict__.get("_wrapped")
            if wrapped is None or name.startswith("__"):
                raise
            return getattr(wrapped, name)

    # Container protocol (nn.Sequential, nn.ModuleList, ...): dunders skip __getattr__.

    def __getitem__(self, key: Any) -> Any:
        return self.wrapped[key]  # type: ignore[index]

    def __len__(self) -> int:
        return len(self.wrapped)  # type: ignore[arg-type,unused-ignore]

    def __iter__(self) -> Iterator[Any]:
        iterator: Iterator[Any] = iter(self.wrapped)  # type: ignore[call-overload]
        return iterator

    def __bool__(self) -> bool:
        return bool(self.wrapped)

    # The wrapped module's own behaviour for state, device moves and mode, applied to shared state.

    def state_dict(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped module's ``state_dict`` (same keys, hooks and metadata).

        Args:
            *args: As for ``nn.Module.state_dict``.
            **kwargs: As for ``nn.Module.state_dict``.

        Returns:
            The wrapped module's state dict (this wrapper's own for a wrapped function).
        """
        wrapped = self.wrapped
        if isinstance(wrapped, nn.Module):
            return wrapped.state_dict(*args, **kwargs)
        return super().state_dict(*args, **kwargs)

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        wrapped = self.wrapped
        if isinstance(wrapped, nn.Module):
            wrapped._load_from_state_dict(*args, **kwargs)
        else:
            super()._load_from_state_dict(*args, **kwargs)

    def _apply(self, *args: Any, **kwargs: Any) -> Chunked:
        wrapped = self.wrapped
        if isinstance(wrapped, nn.Module):
            wrapped._apply(*args, **kwargs)  # type: ignore[no-untyped-call,unused-ignore]
            return self
        result: Chunked = super()._apply(*args, **kwargs)  # type: ignore[no-untyped-call,unused-ignore]
        return result

    def train(self, mode: bool = True) -> Chunked:
        """Set training mode here and on the wrapped module.

        Args:
            mode: Training (``True``) or evaluation (``False``) mode, a bool.

        Returns:
            This wrapper.
        """
        wrapped = self.wrapped
        if isinstance(wrapped, nn.Module):
            wrapped.train(mode)
            self.training = mode
            return self
        result: Chunked = super().train(mode)
        return result

    def _get_name(self) -> str:
        wrapped = self.wrapped
        if isinstance(wrapped, nn.Module):
            name: str = wrapped._get_name()  # type: ignore[no-untyped-call,unused-ignore]
            return name
        return "Chunked"

    def extra_repr(self) -> str:
        """The wrapped module's ``extra_repr`` (or a function's name), then the chunking."""
        wrapped = self.wrapped
        chunking = f"chunk_size={self.chunk_size}, chunk_dim={self.chunk_dim}"
        if isinstance(wrapped, nn.Module):
            inner = wrapped.extra_repr()
            return f"{inner}, {chunking}" if inner else chunking
        if isinstance(wrapped, types.BuiltinFunctionType):
            name = wrapped.__name__
        else:
            name = getattr(wrapped, "__qualname__", None) or repr(wrapped)
        return f"{name}, {chunking}"

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())  # type: ignore[no-untyped-call,unused-ignore]
        wrapped = self.__dict__.get("_wrapped")
        if wrapped is not None:
            names.update(dir(wrapped))
        return sorted(names)


def chunked(
    module_or_fn: nn.Module | Callable[..., Any], chunk_size: int, chunk_dim: int
) -> Chunked:
    """Wrap ``module_or_fn`` so every call runs chunk by chunk; see :class:`Chunked`.

    The wrapper shares the wrapped module's parameters and buffers, so putting it in place of a
    submodule keeps the model's ``state_dict`` keys (checkpoints load either way).

    Args:
        module_or_fn: An ``nn.Module`` or any callable taking the chunked tensors positionally.
        chunk_size: Chunk length along ``chunk_dim``; ``<= 0`` disables chunking. An int, never a
            bool.
        chunk_dim: The dimension to chunk (negative allowed), an int.

    Returns:
        A :class:`Chunked` module.

    Raises:
        TypeError: ``module_or_fn`` is not callable, or ``chunk_size``/``chunk_dim`` is not an int.

    Examples:
        >>> from torch import nn
        >>> from tu.chunk import chunked
        >>> class Block(nn.Module):
        ...     def __init__(self) -> None:
        ...         super().__init__()
        ...         self.mlp = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 8))
        >>> block = Block()
        >>> keys = list(block.state_dict())
        >>> block.mlp = chunked(block.mlp, 256, 1)
        >>> list(block.state_dict()) == keys
        True
    """
    return Chunked(module_or_fn, chunk_size, chunk_dim)
