"""The package imports and reports the version it was built with."""

import importlib.metadata

import tu.cache


def test_version_matches_distribution_metadata() -> None:
    assert importlib.metadata.version("tu-cache") == tu.cache.__version__
