"""The package imports and reports the version it was built with."""

import importlib.metadata

import tu.conv1d


def test_version_matches_distribution_metadata() -> None:
    assert importlib.metadata.version("tu-conv1d") == tu.conv1d.__version__
