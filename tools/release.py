"""Prepare one package's release: match the tag, check, build, lowest-direct test.

    python tools/release.py tu-storage-v0.1.1 --out dist --index https://pypi.org/simple/
    python tools/release.py tu-storage --out dist --index ...   # before tagging

This is the one code path of a release: the GitHub release workflow and the release
rehearsal (tools/rehearse_release.py) both run it, then upload what it leaves in ``--out``.
Steps, each stopping the release with a clear message:

1. a tag ``tu-<name>-v<version>`` must match the package's ``__about__.py``;
2. tools/check_deps.py's checks: every sibling range admits the sibling's version, and the
   package's imports are declared;
3. build the sdist, then the wheel from it (``python -m build --no-isolation``), and
   ``twine check --strict`` them (README renders, metadata complete);
4. tools/check_wheels.py on the wheel (no ``tu/__init__.py``, only ``tu/<name>/``, version);
5. with ``--index``, for a package requiring tu siblings: tools/lowest_direct.py, every
   sibling at the lowest version its range admits on that index, and the package's tests
   against the installed wheel (a package without tu siblings has no range to lower: its
   tests are CI's ordinary test run).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import check_deps
import check_wheels
import lowest_direct
import release_tag
from _monorepo import Package, package, packages

_LOOKS_LIKE_TAG = re.compile(r"^tu-[a-z0-9]+-v\d")


class ReleaseError(ValueError):
    """A release step refused the package; the message says which and why."""


@dataclass(frozen=True)
class Prepared:
    """A release ready to upload."""

    package: Package
    version: str
    files: list[Path]
    lowest: lowest_direct.Outcome | None


def target(tag_or_name: str) -> Package:
    """The package a tag (checked against ``__about__.py``) or a bare name refers to."""
    if _LOOKS_LIKE_TAG.match(tag_or_name):
        try:
            return package(release_tag.resolve(tag_or_name)["package"])
        except ValueError as error:
            raise ReleaseError(str(error)) from None
    try:
        return package(tag_or_name)
    except SystemExit as error:
        raise ReleaseError(str(error)) from None


def build(pkg: Package, out: Path) -> list[Path]:
    """The sdist and the wheel of ``pkg`` in ``out`` (older files of the release replaced)."""
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{pkg.dist.replace('-', '_')}-{pkg.version}"
    for old in [*out.glob(f"{stem}-*.whl"), *out.glob(f"{stem}.tar.gz")]:
        old.unlink()
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(pkg.path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise ReleaseError(f"building {pkg.dist} failed:\n{done.stdout[-3000:]}{done.stderr}")
    files = sorted([*out.glob(f"{stem}-*.whl"), *out.glob(f"{stem}.tar.gz")])
    if len(files) != 2:
        raise ReleaseError(f"building {pkg.dist} left {[f.name for f in files]} in {out}")
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
        capture_output=True,
        text=True,
    )
    if checked.returncode != 0:
        raise ReleaseError(f"twine check of {pkg.dist} failed:\n{checked.stdout}{checked.stderr}")
    return files


def prepare(
    tag_or_name: str,
    out: Path,
    index: str | None = None,
    linked: list[Path] | None = None,
    extra: list[str] | None = None,
) -> Prepared:
    """Run the release steps for one package; raises ReleaseError at the first refusal."""
    pkg = target(tag_or_name)
    # Every package's ranges: releasing a sibling past a dependent's range is refused too.
    problems = [p for each in packages() for p in check_deps.range_problems(each)]
    problems += check_deps.import_problems(pkg)
    if problems:
        raise ReleaseError("dependency check failed:\n" + "\n".join(problems))
    files = build(pkg, out)
    wheel = next(f for f in files if f.suffix == ".whl")
    problems = check_wheels.wheel_problems(wheel)
    if problems:
        raise ReleaseError("wheel check failed:\n" + "\n".join(problems))
    outcome = None
    has_siblings = bool(lowest_direct.sibling_requirements(lowest_direct.wheel_metadata(wheel)))
    if index is not None and has_siblings:
        with tempfile.TemporaryDirectory(prefix="tu-lowest-") as work:
            try:
                outcome = lowest_direct.check(
                    wheel, pkg.path / "tests", index, Path(work), linked, extra
                )
            except lowest_direct.LowestDirectError as error:
                raise ReleaseError(f"lowest-direct check of {pkg.dist}: {error}") from None
        if not outcome.passed:
            raise ReleaseError(
                f"{outcome.describe()}: {pkg.dist} fails with each tu sibling at the lowest "
                f"version its range admits; if it passes with newer siblings, its range is "
                f"too wide: raise it (python tools/set_range.py {pkg.dist} SIBLING VERSION)"
                f"\n{outcome.output[-3000:]}"
            )
    return Prepared(pkg, pkg.version, files, outcome)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("tag", help="tu-<name>-v<version>, or a package name before tagging")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="where the files go")
    parser.add_argument("--index", help="simple-API URL for the lowest-direct check")
    parser.add_argument(
        "--with", dest="extra", action="append", default=[], help="also install for the tests"
    )
    parser.add_argument(
        "--link-site",
        dest="linked",
        action="append",
        default=[],
        type=Path,
        help="a folder of already-installed distributions the test venv sees (e.g. torch)",
    )
    args = parser.parse_args(argv)
    try:
        prepared = prepare(args.tag, args.out, args.index, args.linked, args.extra)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    if prepared.lowest is not None:
        print(prepared.lowest.describe())
    elif args.index is not None:
        print(f"lowest-direct {prepared.package.dist} {prepared.version}: no tu siblings")
    for file in prepared.files:
        print(file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
