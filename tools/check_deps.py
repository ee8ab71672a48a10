"""Check declared dependencies against the code.

1. Each tu sibling range admits that sibling's current version (dev releases included).
2. Every module imported by a package's src/ is the standard library, the package itself,
   or a declared dependency. Imports that only type checkers see (``if TYPE_CHECKING:``) are
   skipped; optional imports must be listed in ``[tool.tu] optional-imports`` of the
   package's pyproject.toml and be guarded in the code.

    python tools/check_deps.py
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator

from _monorepo import Package, normalize, package, packages
from packaging.requirements import Requirement
from packaging.version import Version

#: Import names whose distribution is named differently.
DISTRIBUTION_OF_IMPORT = {"yaml": "pyyaml", "PIL": "pillow"}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(source: str) -> Iterator[str]:
    """Absolute module names imported by ``source``, outside ``if TYPE_CHECKING:`` blocks."""

    def walk(nodes: list[ast.stmt]) -> Iterator[str]:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                yield from walk(node.orelse)
                continue
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == "tu":
                    yield from (f"tu.{alias.name}" for alias in node.names)
                else:
                    yield node.module
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    yield from walk([c for c in children if isinstance(c, ast.stmt)])
                    for handler in children:
                        if isinstance(handler, ast.ExceptHandler):
                            yield from walk(handler.body)

    yield from walk(ast.parse(source).body)


def import_problems(pkg: Package) -> list[str]:
    declared = {normalize(Requirement(r).name) for r in pkg.requirements}
    optional = {normalize(n) for n in pkg.tool_settings.get("optional-imports", [])}
    problems: list[str] = []
    for path in sorted((pkg.path / "src").rglob("*.py")):
        for module in imported_modules(path.read_text(encoding="utf-8")):
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or top == "__future__":
                continue
            if top == "tu":
                parts = module.split(".")
                if len(parts) < 2:
                    problems.append(f"{path}: imports the bare tu namespace")
                    continue
                needed = f"tu-{parts[1]}"
            else:
                needed = normalize(DISTRIBUTION_OF_IMPORT.get(top, top))
            if needed == pkg.dist or needed in declared or needed in optional:
                continue
            problem = (
                f"{path.relative_to(pkg.path.parent.parent)}: imports {module} "
                f"but {pkg.dist} does not declare {needed}"
            )
            if problem not in problems:
                problems.append(problem)
    return problems


def range_problems(pkg: Package) -> list[str]:
    problems = []
    for sibling, text in pkg.sibling_requirements.items():
        current = Version(package(sibling).version)
        if not Requirement(text).specifier.contains(current, prereleases=True):
            problems.append(f"{pkg.dist}: requirement {text!r} does not admit {sibling} {current}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.parse_args(argv)
    problems = [p for pkg in packages() for p in range_problems(pkg) + import_problems(pkg)]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"checked {len(packages())} package(s): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
