"""Resolve a release tag ``tu-<name>-v<version>`` to its package, refusing a version mismatch.

    python tools/release_tag.py tu-prune-v0.2.0

Prints ``package=``, ``path=`` and ``version=`` lines (for $GITHUB_OUTPUT); exits 1 when the
tag names no package or its version differs from the package's __about__.py.
"""

from __future__ import annotations

import argparse
import re
import sys

from _monorepo import ROOT, package

_TAG = re.compile(r"^tu-(?P<name>[a-z0-9]+)-v(?P<version>\d[0-9A-Za-z.+!-]*)$")


def resolve(tag: str) -> dict[str, str]:
    """The package, its path and version for ``tag``; ValueError when they do not agree."""
    match = _TAG.match(tag)
    if match is None:
        raise ValueError(f"tag {tag!r} is not of the form tu-<name>-v<version>")
    try:
        pkg = package(match.group("name"))
    except SystemExit as error:
        raise ValueError(str(error)) from None
    if pkg.version != match.group("version"):
        raise ValueError(
            f"tag {tag} says {match.group('version')} but {pkg.about.relative_to(ROOT)} "
            f"says {pkg.version}"
        )
    return {
        "package": pkg.dist,
        "path": pkg.path.relative_to(ROOT).as_posix(),
        "version": pkg.version,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("tag", help="the pushed tag, e.g. tu-prune-v0.2.0")
    args = parser.parse_args(argv)
    try:
        resolved = resolve(args.tag)
    except ValueError as error:
        print(f"release_tag: {error}", file=sys.stderr)
        return 1
    for key, value in resolved.items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
