"""tu.devices: device helpers that hold on every torch backend."""

from tu.devices.__about__ import __version__

__all__ = ["__version__"]
