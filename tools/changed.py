"""List the packages changed since their last release tag, plus those depending on them.

A package's last tag is ``tu-<name>-v<version>``; a package never tagged counts as changed.

    python tools/changed.py            # one distribution name a line
    python tools/changed.py --json     # a JSON list, for CI matrices
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


def changed_packages() -> list[str]:
    direct = {pkg.dist for pkg in packages() if changed_since_tag(pkg)}
    return sorted(dependents(direct))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    args = parser.parse_args(argv)
    names = changed_packages()
    print(json.dumps(names) if args.json else "\n".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
