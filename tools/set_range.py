"""Raise a dependent's range on a sibling, so that it needs the sibling's newer release.

    python tools/set_range.py tu-storage tu-versions 0.2.0

rewrites tu-storage's ``tu-versions>=...,<...`` requirement to ``tu-versions>=0.2.0,<1``
(the upper bound stays the next major release: a minor release only adds) and records the
change under the dependent's CHANGELOG ``## [Unreleased]`` ``### Changed``. It refuses a
version the sibling has not reached yet, so ``tools/check_deps.py`` keeps passing.
"""

from __future__ import annotations

import argparse
import re
import sys

from _monorepo import Package, normalize, package
from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

UNRELEASED = "## [Unreleased]"


def raised_requirement(sibling: str, lowest: Version) -> str:
    """``sibling>=lowest,<next major`` (``<1`` while the sibling is on 0.x)."""
    return f"{sibling}>={lowest},<{lowest.major + 1}"


def add_changed_entry(text: str, entry: str) -> str:
    """``text`` (a CHANGELOG) with ``- entry`` under Unreleased's ``### Changed``."""
    start = text.find(UNRELEASED)
    if start < 0:
        raise ValueError(f"CHANGELOG has no '{UNRELEASED}' section")
    body_start = start + len(UNRELEASED)
    following = re.search(r"^## \[", text[body_start:], re.MULTILINE)
    body_end = body_start + following.start() if following else len(text)
    body = text[body_start:body_end]
    heading = re.search(r"^### Changed[ \t]*\n", body, re.MULTILINE)
    if heading is not None:
        at = body_start + heading.end()
        rest = text[at:].lstrip("\n")
        return text[:at] + f"\n- {entry}\n" + ("" if rest.startswith("- ") else "\n") + rest
    section = body.rstrip("\n") + f"\n\n### Changed\n\n- {entry}\n\n"
    return text[:body_start] + section + text[body_end:].lstrip("\n")


def set_range(dependent: Package, sibling: Package, lowest: str) -> str:
    """Rewrite ``dependent``'s requirement on ``sibling``; returns the new requirement."""
    try:
        wanted = Version(lowest)
    except InvalidVersion:
        raise ValueError(f"version must be a PEP 440 version, got {lowest!r}") from None
    current = Version(sibling.version)
    if wanted > current:
        raise ValueError(f"{sibling.dist} is at {current}: release it before requiring >={wanted}")
    old = dependent.sibling_requirements.get(normalize(sibling.dist))
    if old is None:
        raise ValueError(f"{dependent.dist} does not depend on {sibling.dist}")
    if Requirement(old).specifier.contains(wanted, prereleases=True) and not any(
        spec.operator == ">=" and Version(spec.version) < wanted
        for spec in Requirement(old).specifier
    ):
        return old
    new = raised_requirement(sibling.dist, wanted)
    pyproject = dependent.path / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    quoted = re.compile(r"([\"'])" + re.escape(old) + r"\1")
    if len(quoted.findall(text)) != 1:
        raise ValueError(f"{pyproject}: cannot find {old!r} exactly once")
    pyproject.write_text(quoted.sub(lambda m: f"{m.group(1)}{new}{m.group(1)}", text), "utf-8")
    changelog = dependent.changelog
    entry = f"Requires `{new}` (was `{old}`)."
    changelog.write_text(add_changed_entry(changelog.read_text("utf-8"), entry), "utf-8")
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("dependent", help="the package whose range moves, e.g. tu-storage")
    parser.add_argument("sibling", help="the package it requires, e.g. tu-versions")
    parser.add_argument("version", help="the lowest sibling version it works with, e.g. 0.2.0")
    args = parser.parse_args(argv)
    dependent, sibling = package(args.dependent), package(args.sibling)
    try:
        new = set_range(dependent, sibling, args.version)
    except ValueError as error:
        print(f"set_range: {dependent.dist}: {error}", file=sys.stderr)
        return 1
    print(f"{dependent.dist}: requires {new}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
