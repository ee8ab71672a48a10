"""The package imports and reports the version it was built with."""

import importlib.metadata

import tu.storage


def test_version_matches_distribution_metadata() -> None:
    assert importlib.metadata.version("tu-storage") == tu.storage.__version__
