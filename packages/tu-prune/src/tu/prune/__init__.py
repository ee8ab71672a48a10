"""tu.prune: structural pruning of Linear and Conv1D layers and attention heads."""

from tu.prune.__about__ import __version__

__all__ = ["__version__"]
