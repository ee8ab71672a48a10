"""tu.chunk: chunked forward passes that save memory in feed-forward blocks and LM heads."""

from tu.chunk.__about__ import __version__

__all__ = ["__version__"]
