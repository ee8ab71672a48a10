"""bump.py and release_tag.py: version arithmetic, CHANGELOG moves, tag matching."""

from __future__ import annotations

from pathlib import Path

import _monorepo
import bump
import pytest
import release_tag


@pytest.mark.parametrize(
    ("current", "part", "expected"),
    [
        ("0.1.0.dev0", "minor", "0.1.0"),
        ("0.1.0.dev0", "patch", "0.1.0"),
        ("0.1.0.dev0", "major", "1.0.0"),
        ("1.0.0rc1", "major", "1.0.0"),
        ("0.1.0", "minor", "0.2.0"),
        ("0.1.3", "patch", "0.1.4"),
        ("0.1.3", "major", "1.0.0"),
        ("0.2.1rc1", "patch", "0.2.1"),
        ("0.2.1", "0.5.0", "0.5.0"),
    ],
)
def test_next_version(current: str, part: str, expected: str) -> None:
    assert bump.next_version(current, part) == expected


def test_next_version_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match=r"major, minor, patch or X\.Y\.Z"):
        bump.next_version("0.1.0", "huge")


CHANGELOG = """# Changelog

## [Unreleased]

### Added

- A thing.

## [0.1.0] - 2026-01-01

### Added

- The first thing.
"""


def test_release_changelog_moves_unreleased_entries() -> None:
    out = bump.release_changelog(CHANGELOG, "0.2.0", "2026-12-01")
    assert out.index("## [Unreleased]") < out.index("## [0.2.0] - 2026-12-01")
    assert out.index("- A thing.") > out.index("## [0.2.0]")
    assert out.index("- A thing.") < out.index("## [0.1.0]")
    unreleased = out[out.index("## [Unreleased]") : out.index("## [0.2.0]")]
    assert "- " not in unreleased


def test_release_changelog_refuses_empty_or_duplicate() -> None:
    empty = "# C\n\n## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n- x\n"
    with pytest.raises(ValueError, match="no entries"):
        bump.release_changelog(empty, "0.2.0", "2026-12-01")
    with pytest.raises(ValueError, match="already has"):
        bump.release_changelog(CHANGELOG, "0.1.0", "2026-12-01")


def test_bump_writes_about_and_changelog(tmp_path: Path) -> None:
    pkg_dir = tmp_path / "tu-demo"
    (pkg_dir / "src" / "tu" / "demo").mkdir(parents=True)
    (pkg_dir / "pyproject.toml").write_text('[project]\nname = "tu-demo"\ndependencies = []\n')
    (pkg_dir / "src" / "tu" / "demo" / "__about__.py").write_text('__version__ = "0.2.0.dev0"\n')
    (pkg_dir / "CHANGELOG.md").write_text(CHANGELOG)
    pkg = _monorepo.Package(pkg_dir)
    assert bump.bump(pkg, "minor", "2026-12-01") == "0.2.0"
    assert pkg.version == "0.2.0"
    assert "## [0.2.0] - 2026-12-01" in (pkg_dir / "CHANGELOG.md").read_text()


def test_release_tag_matches_about() -> None:
    pkg = _monorepo.package("tu-versions")
    resolved = release_tag.resolve(f"tu-versions-v{pkg.version}")
    assert resolved == {
        "package": "tu-versions",
        "path": "packages/tu-versions",
        "version": pkg.version,
    }
    with pytest.raises(ValueError, match=r"says 9\.9\.9"):
        release_tag.resolve("tu-versions-v9.9.9")
    with pytest.raises(ValueError, match="not of the form"):
        release_tag.resolve("v1.0")
    with pytest.raises(ValueError, match="unknown package"):
        release_tag.resolve("tu-nothing-v1.0.0")
