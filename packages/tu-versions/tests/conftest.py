"""Fixtures of tu-versions' tests: a faked torch installation."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import tu.versions
from tu.versions import _compare


@pytest.fixture
def fake_torch_version(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str | None], None]]:
    """Pretend the installed torch is a given version (None: no torch at all)."""

    def install(version: str | None) -> None:
        monkeypatch.setattr(_compare, "installed_torch_version", lambda: version)

    yield install
    tu.versions.clear_caches()
