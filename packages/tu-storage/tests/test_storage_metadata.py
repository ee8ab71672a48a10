"""The alias map in safetensors metadata, beside other tools' keys ("format": "pt")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from tu.storage import (
    SHARED_METADATA_KEY,
    remove_shared_duplicates,
    restore_shared_duplicates,
    shared_metadata,
    storage_report,
)


def tied_state() -> dict[str, torch.Tensor]:
    emb = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    return {"embed.weight": emb, "head.weight": emb, "head.bias": torch.zeros(3)}


def test_round_trip_beside_transformers_format_key(tmp_path: Path) -> None:
    reduced, removed = remove_shared_duplicates(tied_state())
    path = tmp_path / "m.safetensors"
    # transformers' save_pretrained writes {"format": "pt"}; the map sits beside it.
    save_file(reduced, str(path), metadata=shared_metadata(removed, {"format": "pt"}))
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    assert metadata == {"format": "pt", SHARED_METADATA_KEY: '{"head.weight":"embed.weight"}'}
    state = restore_shared_duplicates(load_file(str(path)), metadata)
    assert list(state) == ["embed.weight", "head.bias", "head.weight"]
    assert state["head.weight"] is state["embed.weight"]
    assert storage_report(path).tensor_count == 2


def test_file_without_metadata_restores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "plain.safetensors"
    save_file({"a": torch.zeros(2)}, str(path))
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    assert metadata is None
    assert list(restore_shared_duplicates(load_file(str(path)), metadata)) == ["a"]
    # Only "tu.shared" is read: other keys never become aliases.
    assert list(
        restore_shared_duplicates({"a": torch.zeros(2)}, {"format": "pt", "tu.shared": "{}"})
    ) == ["a"]


def test_plain_map_with_foreign_keys_explains_the_fix() -> None:
    with pytest.raises(ValueError, match=r"removed maps 'format' to 'pt'.*shared_metadata\(\)"):
        restore_shared_duplicates({"a": torch.zeros(2)}, {"format": "pt"})


@pytest.mark.parametrize(
    "stored",
    ["not json", "[1, 2]", '{"a": 1}', "[" * 100_000 + "]" * 100_000, "1" * 5000, '"a"'],
)
def test_malformed_stored_map_names_the_key(stored: str) -> None:
    with pytest.raises(ValueError, match=r"removed\['tu\.shared'\]"):
        restore_shared_duplicates({"a": torch.zeros(2)}, {"format": "pt", "tu.shared": stored})


def test_shared_metadata_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match=r"already holds 'tu\.shared'"):
        shared_metadata({}, {"tu.shared": "{}"})
    with pytest.raises(TypeError, match="metadata must map str to str"):
        shared_metadata({}, {"format": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="removed must be a mapping"):
        shared_metadata([("a", "b")])  # type: ignore[arg-type]
    assert shared_metadata({}) == {"tu.shared": "{}"}


_names = st.text(min_size=1, max_size=6)


@settings(max_examples=100, deadline=None)
@given(
    aliases=st.dictionaries(_names, _names, max_size=5),
    other=st.dictionaries(
        _names.filter(lambda k: k != SHARED_METADATA_KEY), st.text(max_size=6), max_size=4
    ),
)
def test_round_trip_property(aliases: dict[str, str], other: dict[str, str]) -> None:
    metadata = shared_metadata(aliases, other)
    assert {k: v for k, v in metadata.items() if k != SHARED_METADATA_KEY} == other
    assert json.loads(metadata[SHARED_METADATA_KEY]) == aliases
    kept = {keep: torch.zeros(1) for keep in aliases.values() if keep not in aliases}
    restorable = {name: keep for name, keep in aliases.items() if keep in kept and name not in kept}
    restored = restore_shared_duplicates(kept, shared_metadata(restorable, other))
    for name, keep in restorable.items():
        assert restored[name] is kept[keep]
    assert set(restored) == set(kept) | set(restorable)
