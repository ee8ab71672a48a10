"""Type aliases shared by the device helpers."""

from __future__ import annotations

from typing import Union

import torch

__all__ = ["DeviceLike"]

DeviceLike = Union[torch.device, str, int]  # noqa: UP007
"""What a ``device`` argument may be: a torch.device, a string such as "cuda:1", or an index."""
