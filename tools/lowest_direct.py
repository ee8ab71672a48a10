"""Lowest-direct check: a wheel's tests pass with every sibling at the lowest version it admits.

    python tools/lowest_direct.py dist/tu_storage-0.1.1-py3-none-any.whl \\
        --index https://pypi.org/simple/ --tests packages/tu-storage/tests

For each tu sibling the wheel requires, the lowest version its range admits that the index
holds is pinned; the wheel and those pins go into a fresh venv (tu distributions from that
index only) and the package's tests run there. A range that admits a sibling release the code
cannot work with fails here, before the wheel is uploaded.
"""

from __future__ import annotations

import argparse
import email.parser
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from _index import versions_on_index
from _monorepo import normalize
from _venvs import InstallError, make_venv, pip_install, run_tests
from packaging.requirements import Requirement
from packaging.version import Version


class LowestDirectError(ValueError):
    """A sibling range the index cannot satisfy, or a package failing at its lowest pins."""


def wheel_metadata(wheel: Path) -> Message:
    """The METADATA of ``wheel``."""
    with zipfile.ZipFile(wheel) as archive:
        name = next((n for n in archive.namelist() if n.endswith(".dist-info/METADATA")), None)
        if name is None:
            raise LowestDirectError(f"{wheel.name}: no METADATA")
        return email.parser.Parser().parsestr(archive.read(name).decode("utf-8"))


def sibling_requirements(metadata: Message) -> dict[str, Requirement]:
    """The unconditional ``tu-*`` requirements of a wheel, by normalised name."""
    found = {}
    for text in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        if normalize(requirement.name).startswith("tu-"):
            found[normalize(requirement.name)] = requirement
    return found


def lowest_pins(
    requirements: dict[str, Requirement], available: Callable[[str], list[Version]]
) -> dict[str, Version]:
    """For each requirement, the lowest version on the index that its range admits."""
    pins = {}
    for name, requirement in sorted(requirements.items()):
        versions = available(name)
        admitted = list(requirement.specifier.filter(versions))
        if not admitted:
            held = ", ".join(map(str, versions)) or "nothing"
            raise LowestDirectError(
                f"{requirement} admits no version on the index (it holds {held} of {name})"
            )
        pins[name] = min(admitted)
    return pins


@dataclass(frozen=True)
class Outcome:
    """What one lowest-direct check installed and whether the tests passed."""

    dist: str
    version: str
    pins: dict[str, Version]
    passed: bool
    output: str
    seconds: float = 0.0

    def describe(self) -> str:
        pins = ", ".join(f"{n}=={v}" for n, v in self.pins.items()) or "no tu siblings"
        verdict = "passed" if self.passed else "FAILED"
        took = f" ({self.seconds:.0f}s)" if self.seconds else ""
        return f"lowest-direct {self.dist} {self.version} with {pins}: tests {verdict}{took}"


def check(
    wheel: Path,
    tests: Path,
    simple_url: str,
    workdir: Path,
    linked: list[Path] | None = None,
    extra: list[str] | None = None,
) -> Outcome:
    """Install ``wheel`` with its siblings at their lowest admitted versions; run ``tests``."""
    began = time.monotonic()
    metadata = wheel_metadata(wheel)
    dist, version = normalize(metadata["Name"]), metadata["Version"]
    pins = lowest_pins(sibling_requirements(metadata), lambda n: versions_on_index(simple_url, n))
    python = make_venv(workdir / "venv", linked or [])
    requirements = [str(wheel.resolve())] + [f"{n}=={v}" for n, v in pins.items()]
    try:
        pip_install(python, requirements + (extra or []), simple_url, workdir / "report.json")
    except InstallError as error:
        return Outcome(dist, version, pins, False, str(error), time.monotonic() - began)
    done = run_tests(python, [tests.resolve()], workdir / "cwd")
    output = done.stdout[-4000:] + done.stderr
    return Outcome(dist, version, pins, done.returncode == 0, output, time.monotonic() - began)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("wheel", type=Path, help="the wheel about to be uploaded")
    parser.add_argument("--index", required=True, help="simple-API URL holding the siblings")
    parser.add_argument("--tests", type=Path, required=True, help="the package's tests folder")
    parser.add_argument(
        "--with", dest="extra", action="append", default=[], help="also install (e.g. pytest)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tu-lowest-") as work:
        try:
            outcome = check(args.wheel, args.tests, args.index, Path(work), extra=args.extra)
        except LowestDirectError as error:
            print(f"lowest_direct: {error}", file=sys.stderr)
            return 1
    print(outcome.describe())
    if not outcome.passed:
        print(outcome.output, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
