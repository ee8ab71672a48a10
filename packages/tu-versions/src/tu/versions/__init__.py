"""tu.versions: torch version flags, backend checks and compat shims, without importing torch.

Everything transformers offers for version and availability checks. Importing this module
reads nothing and imports neither torch nor packaging; each answer is computed on first use
and cached.

The flags are module attributes resolved on first access (module ``__getattr__``), so
flags newer than this release work too; each is a bool computed with ``accept_dev=True``:

| name | value |
|---|---|
| ``is_torch_greater_or_equal_than_X_Y`` | ``is_torch_greater_or_equal("X.Y", accept_dev=True)`` |
| ``is_torch_less_than_X_Y`` | the negation of the above |

``X`` and ``Y`` are 1 to 6 ASCII digits; transformers' nine flags (``TRANSFORMERS_FLAGS``,
``_1_12`` to ``_2_8``) are listed in ``__all__``. Any other name raises ``AttributeError``,
and nothing else: ``hasattr`` is safe on any string.

Examples:
    >>> from tu.versions import is_torch_greater_or_equal_than_2_0, is_torch_less_than_1_0
    >>> type(is_torch_greater_or_equal_than_2_0), type(is_torch_less_than_1_0)
    (<class 'bool'>, <class 'bool'>)
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

TRANSFORMERS_FLAGS: tuple[str, ...] = (
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
"""The names of the nine flags transformers.pytorch_utils defines (4.57 and 5.x), in its order."""

if TYPE_CHECKING:
    is_torch_greater_or_equal_than_2_8: bool
    """torch >= 2.8, dev/rc/local builds of 2.8 included (transformers' flag)."""
    is_torch_greater_or_equal_than_2_6: bool
    """torch >= 2.6, dev/rc/local builds of 2.6 included (transformers' flag)."""
    is_torch_greater_or_equal_than_2_4: bool
    """torch >= 2.4, dev/rc/local builds of 2.4 included (transformers' flag)."""
    is_torch_greater_or_equal_than_2_3: bool
    """torch >= 2.3, dev/rc/local builds of 2.3 included (transformers' flag)."""
    is_torch_greater_or_equal_than_2_2: bool
    """torch >= 2.2, dev/rc/local builds of 2.2 included (transformers' flag)."""
    is_torch_greater_or_equal_than_2_1: bool
    """torch >= 2.1, dev/rc/local builds of 2.1 included (transformers' flag)."""
    is_torch_greater_or_equal_than_2_0: bool
    """torch >= 2.0, dev/rc/local builds of 2.0 included (transformers' flag)."""
    is_torch_greater_or_equal_than_1_13: bool
    """torch >= 1.13, dev/rc/local builds of 1.13 included (transformers' flag)."""
    is_torch_greater_or_equal_than_1_12: bool
    """torch >= 1.12, dev/rc/local builds of 1.12 included (transformers' flag)."""

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
    """Resolve ``is_torch_greater_or_equal_than_X_Y`` / ``is_torch_less_than_X_Y`` on first access.

    Raises only ``AttributeError``, whatever the name, so ``hasattr`` and ``getattr`` with a
    default never see another error.
    """
    try:
        value = flag_value(name)
    except (TypeError, ValueError) as exc:  # e.g. an unparseable installed version
        raise AttributeError(f"module 'tu.versions' cannot resolve {name!r}: {exc}") from exc
    if value is None:
        raise AttributeError(f"module 'tu.versions' has no attribute {name!r}")
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
