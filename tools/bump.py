"""Bump one package's version and move its CHANGELOG's Unreleased entries under it.

    python tools/bump.py tu-prune minor
    python tools/bump.py tu-prune 0.2.0 --date 2026-12-01

major/minor/patch work on the release numbers. A dev or pre-release graduates to the
release it leads up to: 0.1.0.dev0 + minor -> 0.1.0, 0.2.1rc1 + patch -> 0.2.1.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys

from _monorepo import Package, package

_RELEASE = re.compile(r"^(\d+)\.(\d+)\.(\d+)")
_EXPLICIT = re.compile(r"^\d+\.\d+\.\d+((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")
UNRELEASED = "## [Unreleased]"


def next_version(current: str, part: str) -> str:
    """The version after ``current`` for ``part`` in major/minor/patch, or ``part`` itself."""
    if part not in {"major", "minor", "patch"}:
        if not _EXPLICIT.match(part):
            raise ValueError(f"version must be major, minor, patch or X.Y.Z, got {part!r}")
        return part
    match = _RELEASE.match(current)
    if match is None:
        raise ValueError(f"current version {current!r} does not start with X.Y.Z")
    major, minor, patch = (int(g) for g in match.groups())
    pre = current != match.group(0)
    if part == "major":
        return f"{major}.0.0" if pre and minor == patch == 0 else f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor}.0" if pre and patch == 0 else f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch}" if pre else f"{major}.{minor}.{patch + 1}"


def release_changelog(text: str, version: str, date: str) -> str:
    """Move the Unreleased section's entries under a new ``## [version] - date`` heading."""
    start = text.find(UNRELEASED)
    if start < 0:
        raise ValueError(f"CHANGELOG has no '{UNRELEASED}' section")
    body_start = start + len(UNRELEASED)
    following = re.search(r"^## \[", text[body_start:], re.MULTILINE)
    body_end = body_start + following.start() if following else len(text)
    entries = text[body_start:body_end].strip("\n")
    if not re.search(r"^\s*[-*] ", entries, re.MULTILINE):
        raise ValueError("the Unreleased section has no entries to release")
    if re.search(rf"^## \[{re.escape(version)}\]", text, re.MULTILINE):
        raise ValueError(f"CHANGELOG already has a section for {version}")
    released = f"{UNRELEASED}\n\n## [{version}] - {date}\n\n{entries}\n\n"
    return text[:start] + released + text[body_end:].lstrip("\n")


def bump(pkg: Package, part: str, date: str, dry_run: bool = False) -> str:
    old = pkg.version
    new = next_version(old, part)
    changelog = release_changelog(pkg.changelog.read_text(encoding="utf-8"), new, date)
    about = pkg.about.read_text(encoding="utf-8").replace(f'"{old}"', f'"{new}"', 1)
    if not dry_run:
        pkg.changelog.write_text(changelog, encoding="utf-8")
        pkg.about.write_text(about, encoding="utf-8")
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("package", help="distribution name, e.g. tu-prune")
    parser.add_argument("part", help="major, minor, patch, or an explicit version X.Y.Z")
    parser.add_argument("--date", default=datetime.date.today().isoformat(), help="release date")
    parser.add_argument("--dry-run", action="store_true", help="print the new version only")
    args = parser.parse_args(argv)
    pkg = package(args.package)
    old = pkg.version
    try:
        new = bump(pkg, args.part, args.date, args.dry_run)
    except ValueError as error:
        print(f"bump: {pkg.dist}: {error}", file=sys.stderr)
        return 1
    print(f"{pkg.dist}: {old} -> {new}" + (" (dry run)" if args.dry_run else ""))
    if not args.dry_run:
        print(f"next: commit, then tag tu-{pkg.short}-v{new} and push the tag to release")
    return 0


if __name__ == "__main__":
    sys.exit(main())
