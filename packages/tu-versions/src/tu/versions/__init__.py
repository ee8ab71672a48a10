"""tu.versions: torch version flags, backend checks and compat shims, without importing torch.

Everything transformers offers for version and availability checks. Importing this module
reads nothing and imports neither torch nor packaging; each answer is computed on first use
and cached. The ``is_torch_greater_or_equal_than_<major>_<minor>`` flags are module
attributes resolved on first access, so flags newer than this release work too.

Examples:
    >>> from tu.versions import is_torch_greater_or_equal, is_torch_greater_or_equal_than_2_0
    >>> isinstance(is_torch_greater_or_equal_than_2_0, bool)
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tu.versions.__about__ import __version__
from tu.versions._availability import (
    is_torch_distributed_available,
    is_torch_hpu_available,
    is_torch_mps_available,
    is_torch_npu_available,
    is_torch_xla_available,
    is_torch_xpu_available,
)
from tu.versions._compare import flag_value, is_torch_greater_or_equal
from tu.versions._compat import (
    meshgrid,
    softmax_backward_data,
    torch_float,
    torch_int,
    torch_int_div,
)
from tu.versions._dynamo import is_torchdynamo_compiling
from tu.versions._installed import clear_caches, installed_torch_version, is_torch_available

#: The flags transformers.pytorch_utils defines (4.57 and 5.x), in its order.
TRANSFORMERS_FLAGS = (
    "is_torch_greater_or_equal_than_2_8",
    "is_torch_greater_or_equal_than_2_6",
    "is_torch_greater_or_equal_than_2_4",
    "is_torch_greater_or_equal_than_2_3",
    "is_torch_greater_or_equal_than_2_2",
    "is_torch_greater_or_equal_than_2_1",
    "is_torch_greater_or_equal_than_2_0",
    "is_torch_greater_or_equal_than_1_13",
    "is_torch_greater_or_equal_than_1_12",
)

if TYPE_CHECKING:
    is_torch_greater_or_equal_than_2_8: bool
    is_torch_greater_or_equal_than_2_6: bool
    is_torch_greater_or_equal_than_2_4: bool
    is_torch_greater_or_equal_than_2_3: bool
    is_torch_greater_or_equal_than_2_2: bool
    is_torch_greater_or_equal_than_2_1: bool
    is_torch_greater_or_equal_than_2_0: bool
    is_torch_greater_or_equal_than_1_13: bool
    is_torch_greater_or_equal_than_1_12: bool

__all__ = [  # noqa: RUF022 - grouped by topic
    "__version__",
    "TRANSFORMERS_FLAGS",
    "clear_caches",
    "installed_torch_version",
    "is_torch_available",
    "is_torch_greater_or_equal",
    "is_torch_distributed_available",
    "is_torch_hpu_available",
    "is_torch_mps_available",
    "is_torch_npu_available",
    "is_torch_xla_available",
    "is_torch_xpu_available",
    "is_torchdynamo_compiling",
    "meshgrid",
    "softmax_backward_data",
    "torch_float",
    "torch_int",
    "torch_int_div",
    "is_torch_greater_or_equal_than_2_8",
    "is_torch_greater_or_equal_than_2_6",
    "is_torch_greater_or_equal_than_2_4",
    "is_torch_greater_or_equal_than_2_3",
    "is_torch_greater_or_equal_than_2_2",
    "is_torch_greater_or_equal_than_2_1",
    "is_torch_greater_or_equal_than_2_0",
    "is_torch_greater_or_equal_than_1_13",
    "is_torch_greater_or_equal_than_1_12",
]


def __getattr__(name: str) -> bool:
    """Resolve ``is_torch_greater_or_equal_than_X_Y`` / ``is_torch_less_than_X_Y`` on first access."""
    value = flag_value(name)
    if value is None:
        raise AttributeError(f"module 'tu.versions' has no attribute {name!r}")
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
