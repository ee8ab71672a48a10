"""What the tools share: where the packages are and what their metadata says."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGES_DIR = ROOT / "packages"
_VERSION_LINE = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']\s*$', re.MULTILINE)
_NAME_OF_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Package:
    """One distribution of the monorepo."""

    path: Path

    @property
    def pyproject(self) -> dict[str, Any]:
        with (self.path / "pyproject.toml").open("rb") as handle:
            return tomllib.load(handle)

    @property
    def dist(self) -> str:
        """Distribution name, e.g. ``tu-prune``."""
        return str(self.pyproject["project"]["name"])

    @property
    def short(self) -> str:
        """Import leaf, e.g. ``prune`` for ``tu.prune``."""
        return self.dist.removeprefix("tu-")

    @property
    def about(self) -> Path:
        return self.path / "src" / "tu" / self.short / "__about__.py"

    @property
    def version(self) -> str:
        match = _VERSION_LINE.search(self.about.read_text(encoding="utf-8"))
        if match is None:
            raise SystemExit(f"{self.about}: no __version__ line")
        return match.group(1)

    @property
    def requirements(self) -> list[str]:
        return list(self.pyproject["project"].get("dependencies", []))

    @property
    def sibling_requirements(self) -> dict[str, str]:
        """Declared tu siblings: distribution name -> full requirement string."""
        found = {}
        for requirement in self.requirements:
            match = _NAME_OF_REQUIREMENT.match(requirement)
            if match and normalize(match.group(1)).startswith("tu-"):
                found[normalize(match.group(1))] = requirement
        return found

    @property
    def tool_settings(self) -> dict[str, Any]:
        return dict(self.pyproject.get("tool", {}).get("tu", {}))

    @property
    def changelog(self) -> Path:
        return self.path / "CHANGELOG.md"


def packages() -> list[Package]:
    """Every distribution under packages/, in name order."""
    return [Package(p.parent) for p in sorted(PACKAGES_DIR.glob("*/pyproject.toml"))]


def package(name: str) -> Package:
    """The package called ``name`` (``tu-prune`` or ``prune``)."""
    wanted = normalize(name if name.startswith("tu-") else f"tu-{name}")
    for candidate in packages():
        if normalize(candidate.dist) == wanted:
            return candidate
    known = ", ".join(p.dist for p in packages())
    raise SystemExit(f"unknown package {name!r}; known: {known}")


def dependents(names: set[str]) -> set[str]:
    """``names`` plus every package that depends on one of them, transitively."""
    result = {normalize(n) for n in names}
    graph = {normalize(p.dist): set(p.sibling_requirements) for p in packages()}
    grew = True
    while grew:
        grew = False
        for dist, needs in graph.items():
            if dist not in result and needs & result:
                result.add(dist)
                grew = True
    return result
