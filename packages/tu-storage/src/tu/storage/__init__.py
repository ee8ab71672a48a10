"""tu.storage: tensor storage identity and shared-tensor handling for checkpoints."""

from tu.storage.__about__ import __version__

__all__ = ["__version__"]
