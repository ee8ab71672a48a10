"""Check built wheels: only tu/<name>/... and py.typed, no tu/__init__.py, right version.

python tools/check_wheels.py dist/*.whl
"""

from __future__ import annotations

import argparse
import email.parser
import sys
import zipfile
from pathlib import Path

from _monorepo import normalize, package


def wheel_problems(wheel: Path) -> list[str]:
    """Everything wrong with one wheel (an empty list when it is fine)."""
    problems: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
        if metadata_name is None:
            return [f"{wheel.name}: no METADATA"]
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
    dist, version = metadata["Name"], metadata["Version"]
    if not normalize(dist).startswith("tu-"):
        return [f"{wheel.name}: {dist} is not a tu distribution"]
    pkg = package(dist)
    short = pkg.short
    if version != pkg.version:
        problems.append(f"{wheel.name}: version {version} != __about__.py's {pkg.version}")
    if "tu/__init__.py" in names:
        problems.append(f"{wheel.name}: ships tu/__init__.py (tu must stay a namespace package)")
    prefix = f"tu/{short}/"
    for name in names:
        if name.split("/", 1)[0].endswith(".dist-info"):
            continue
        if not name.startswith(prefix):
            problems.append(f"{wheel.name}: stray file {name} (only {prefix}... belongs here)")
    if f"{prefix}py.typed" not in names:
        problems.append(f"{wheel.name}: no {prefix}py.typed")
    if f"{prefix}__init__.py" not in names:
        problems.append(f"{wheel.name}: no {prefix}__init__.py")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("wheels", nargs="+", type=Path, help="wheel files to check")
    args = parser.parse_args(argv)
    problems = [p for wheel in args.wheels for p in wheel_problems(wheel)]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"checked {len(args.wheels)} wheel(s): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
