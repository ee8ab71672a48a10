"""The package imports and reports the version it was built with."""

import importlib.metadata

import tu.chunk


def test_version_matches_distribution_metadata() -> None:
    assert importlib.metadata.version("tu-chunk") == tu.chunk.__version__


def test_public_names_are_exported() -> None:
    assert set(tu.chunk.__all__) == {
        "Chunked",
        "ForwardArityError",
        "__version__",
        "apply_chunking_to_forward",
        "chunked",
    }
    for name in tu.chunk.__all__:
        assert hasattr(tu.chunk, name)
