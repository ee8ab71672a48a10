"""List the packages that need a release: those changed since their last release tag.

A package's last tag is ``tu-<name>-v<version>``; a package never tagged counts as changed.
A dependent of a changed package needs no release of its own while its range admits the
sibling's new version (tools/check_deps.py checks that every range admits the current
version; raising a range with tools/set_range.py changes the dependent, which then shows
here). ``--with-dependents`` adds every package depending on a changed one, transitively:
what to re-test, not what to release.

    python tools/changed.py                     # one distribution name a line
    python tools/changed.py --json              # a JSON list, for CI matrices
    python tools/changed.py --with-dependents   # plus their dependents
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _monorepo import ROOT, Package, dependents, packages


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def last_tag(pkg: Package) -> str | None:
    """The newest ``tu-<name>-v*`` tag, by version order."""
    tags = _git("tag", "--list", f"tu-{pkg.short}-v*", "--sort=-version:refname").split()
    return tags[0] if tags else None


def changed_since_tag(pkg: Package) -> bool:
    tag = last_tag(pkg)
    if tag is None:
        return True
    relative = pkg.path.relative_to(ROOT).as_posix()
    return bool(_git("diff", "--name-only", f"{tag}..HEAD", "--", relative).strip())


def changed_packages(with_dependents: bool = False) -> list[str]:
    """Packages changed since their last tag (plus their dependents if asked), sorted."""
    direct = {pkg.dist for pkg in packages() if changed_since_tag(pkg)}
    return sorted(dependents(direct) if with_dependents else direct)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument(
        "--with-dependents", action="store_true", help="add their dependents (to re-test)"
    )
    args = parser.parse_args(argv)
    names = changed_packages(args.with_dependents)
    print(json.dumps(names) if args.json else "\n".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
