"""Check a built documentation site: a page per package, with its README and its whole API.

Usage: ``python tools/docs/check_site.py [--site DIR]`` (default: dist/site, where
``hatch run docs:build`` writes it; that script runs this check after ``mkdocs build``).

For every ``packages/tu-*`` the site must have ``packages/tu-<name>/index.html`` holding the
README (its title) and an anchor ``id="tu.<name>.<NAME>"`` for every public name the package
defines (tu.all: the names it defines itself, not its re-exports). The home page, the
migration guide and the release guide must exist. Exits 1 and lists what is missing.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

from check_docstrings import ROOT, own_definitions, packages, public_names

PAGES = ("index.html", "migration/index.html", "releasing/index.html")


def readme_title(package: str, root: Path = ROOT) -> str:
    """The first ``# `` heading of a package README."""
    for line in (root / "packages" / f"tu-{package}" / "README.md").read_text("utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise ValueError(f"packages/tu-{package}/README.md has no '# ' title")


def check_site(site: Path, root: Path = ROOT) -> list[str]:
    """Everything missing from the site, one line each (empty when complete)."""
    problems = [f"{site / page}: missing" for page in PAGES if not (site / page).is_file()]
    for package in packages(root):
        page = site / "packages" / f"tu-{package}" / "index.html"
        if not page.is_file():
            problems.append(f"{page}: missing (no page for tu-{package})")
            continue
        text = page.read_text(encoding="utf-8")
        headings = {
            html.unescape(re.sub(r"<[^>]+>", "", h)).replace("¶", "").strip()
            for h in re.findall(r"<h1[^>]*>(.*?)</h1>", text, flags=re.DOTALL)
        }
        if readme_title(package, root) not in headings:
            problems.append(f"{page}: the README of tu-{package} is not on it")
        ids = set(re.findall(r'id="(tu\.[^"]+)"', text))
        own, _ = own_definitions(package, root)
        names = [n for n in public_names(package, root) if n in own]
        missing = [n for n in names if f"tu.{package}.{n}" not in ids]
        if not names:
            problems.append(f"{page}: tu.{package} has no public name to document")
        if missing:
            problems.append(f"{page}: no API entry for {', '.join(missing)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "dist" / "site")
    args = parser.parse_args(argv)
    problems = check_site(args.site)
    for problem in problems:
        print(problem)
    count = len(packages())
    print(f"{args.site}: {count} package pages checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
