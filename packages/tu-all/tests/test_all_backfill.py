"""backfill_transformers without transformers: it does nothing and says so."""

from __future__ import annotations

import pytest

from tu.all import _backfill, backfill_transformers


def test_without_transformers_nothing_happens_and_a_warning_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_backfill, "_import", lambda name: None)
    with pytest.warns(UserWarning, match="transformers is not installed"):
        assert backfill_transformers() == []


def test_names_cover_both_transformers_releases() -> None:
    names = set(_backfill.TRANSFORMERS_PYTORCH_UTILS_NAMES)
    assert {"isin_mps_friendly", "prune_conv1d_layer", "move_to_device", "torch_float"} <= names
    assert len(names) == len(_backfill.TRANSFORMERS_PYTORCH_UTILS_NAMES)
