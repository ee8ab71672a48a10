"""Shared fixtures of the tu-storage tests: a small traceable wrapper subclass."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch.utils._pytree import tree_map


class Pair(torch.Tensor):
    """A wrapper subclass holding two inner tensors of one shape (like torch's TwoTensor)."""

    a: torch.Tensor
    b: torch.Tensor

    @staticmethod
    def __new__(cls, a: torch.Tensor, b: torch.Tensor) -> Pair:
        return torch.Tensor._make_wrapper_subclass(  # type: ignore[attr-defined,no-any-return]
            cls,
            a.shape,
            strides=a.stride(),
            storage_offset=a.storage_offset(),
            dtype=a.dtype,
            device=a.device,
            requires_grad=False,
        )

    def __init__(self, a: torch.Tensor, b: torch.Tensor) -> None:
        self.a = a
        self.b = b

    def __tensor_flatten__(self) -> tuple[list[str], None]:
        return ["a", "b"], None

    @staticmethod
    def __tensor_unflatten__(
        inner: dict[str, torch.Tensor], meta: None, outer_size: Any, outer_stride: Any
    ) -> Pair:
        return Pair(inner["a"], inner["b"])

    @classmethod
    def __torch_dispatch__(cls, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        first = tree_map(lambda x: x.a if isinstance(x, Pair) else x, args)
        second = tree_map(lambda x: x.b if isinstance(x, Pair) else x, args)
        out_a, out_b = func(*first, **kwargs), func(*second, **kwargs)
        if isinstance(out_a, torch.Tensor):
            return Pair(out_a, out_b)
        return out_a

    __torch_function__ = torch._C._disabled_torch_function_impl  # type: ignore[assignment]


@pytest.fixture
def pair_cls() -> type[Pair]:
    return Pair
