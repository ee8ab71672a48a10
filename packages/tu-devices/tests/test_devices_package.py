"""The package imports and reports the version it was built with."""

import importlib.metadata

import tu.devices


def test_version_matches_distribution_metadata() -> None:
    assert importlib.metadata.version("tu-devices") == tu.devices.__version__
