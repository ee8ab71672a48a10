"""tu.conv1d: GPT-2's Conv1D layer, with device/dtype kwargs and Linear conversions."""

from tu.conv1d.__about__ import __version__

__all__ = ["__version__"]
