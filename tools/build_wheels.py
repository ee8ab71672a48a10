"""Build the wheel of each package (all by default) into one folder.

    python tools/build_wheels.py --out dist            # every package
    python tools/build_wheels.py --out dist tu-prune   # just one

Uses pip's PEP 517 front end, so hatchling comes from the machine's usual index.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from _monorepo import package, packages


def build(paths: list[Path], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    before = set(out.glob("*.whl"))
    for path in paths:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "-w",
                str(out),
                str(path),
            ],
            check=True,
        )
    return sorted(set(out.glob("*.whl")) - before) or sorted(out.glob("*.whl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="distribution names (default: all)")
    parser.add_argument(
        "--out", type=Path, default=Path("dist"), help="wheel folder (default dist)"
    )
    parser.add_argument("--clean", action="store_true", help="delete the folder's old wheels first")
    args = parser.parse_args(argv)
    if args.clean:
        for old in args.out.glob("*.whl"):
            old.unlink()
    chosen = [package(n) for n in args.names] if args.names else packages()
    for wheel in build([p.path for p in chosen], args.out):
        print(wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
