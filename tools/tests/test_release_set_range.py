"""set_range.py: raising a dependent's range on a sibling, and what check_deps says after."""

from __future__ import annotations

from pathlib import Path

import _monorepo
import check_deps
import pytest
import set_range
from packaging.version import Version

CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n- First.\n"


def make_package(root: Path, name: str, version: str, dependencies: list[str]) -> _monorepo.Package:
    short = name.removeprefix("tu-")
    (root / name / "src" / "tu" / short).mkdir(parents=True)
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (root / name / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\ndependencies = [\n  {deps},\n]\n', encoding="utf-8"
    )
    (root / name / "src" / "tu" / short / "__about__.py").write_text(
        f'__version__ = "{version}"\n', encoding="utf-8"
    )
    (root / name / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    return _monorepo.Package(root / name)


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[_monorepo.Package, ...]:
    monkeypatch.setattr(_monorepo, "PACKAGES_DIR", tmp_path)
    base = make_package(tmp_path, "tu-base", "0.2.0", ["packaging>=20"])
    user = make_package(tmp_path, "tu-user", "0.1.0", ["tu-base>=0.1.0,<1", "torch>=2.1"])
    return base, user


def test_raised_requirement_caps_at_next_major() -> None:
    assert set_range.raised_requirement("tu-base", Version("0.2.0")) == "tu-base>=0.2.0,<1"
    assert set_range.raised_requirement("tu-base", Version("1.3.0")) == "tu-base>=1.3.0,<2"


def test_set_range_rewrites_requirement_and_changelog(pair: tuple[_monorepo.Package, ...]) -> None:
    base, user = pair
    assert set_range.set_range(user, base, "0.2.0") == "tu-base>=0.2.0,<1"
    assert user.sibling_requirements == {"tu-base": "tu-base>=0.2.0,<1"}
    assert "torch>=2.1" in user.requirements
    changelog = user.changelog.read_text(encoding="utf-8")
    unreleased = changelog[: changelog.index("## [0.1.0]")]
    assert "### Changed" in unreleased and "`tu-base>=0.2.0,<1`" in unreleased
    assert check_deps.range_problems(user) == []
    assert set_range.set_range(user, base, "0.2.0") == "tu-base>=0.2.0,<1"  # idempotent


def test_set_range_refuses_unreleased_version_and_non_dependency(
    pair: tuple[_monorepo.Package, ...],
) -> None:
    base, user = pair
    with pytest.raises(ValueError, match=r"tu-base is at 0\.2\.0: release it before"):
        set_range.set_range(user, base, "0.3.0")
    with pytest.raises(ValueError, match="tu-base does not depend on tu-user"):
        set_range.set_range(base, user, "0.1.0")
    with pytest.raises(ValueError, match="PEP 440"):
        set_range.set_range(user, base, "soon")


def test_main_reports_errors(
    pair: tuple[_monorepo.Package, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert set_range.main(["tu-user", "tu-base", "0.9.0"]) == 1
    assert "release it before requiring >=0.9.0" in capsys.readouterr().err
    assert set_range.main(["tu-user", "tu-base", "0.2.0"]) == 0


def test_add_changed_entry_appends_to_existing_heading() -> None:
    text = "## [Unreleased]\n\n### Changed\n\n- Old.\n\n## [0.1.0] - 2026-01-01\n\n- x\n"
    out = set_range.add_changed_entry(text, "New.")
    assert out.count("### Changed") == 1
    assert out.index("- New.") < out.index("- Old.") < out.index("## [0.1.0]")
    with pytest.raises(ValueError, match="no '## \\[Unreleased\\]'"):
        set_range.add_changed_entry("# nothing\n", "New.")
