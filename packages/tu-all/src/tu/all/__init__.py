"""tu.all: every transformers.pytorch_utils name in one import, and the tu command."""

from tu.all.__about__ import __version__

__all__ = ["__version__"]
