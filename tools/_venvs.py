"""Throwaway virtual environments for release checks: create, install from an index, test.

torch is not installed again in each venv: a venv may see read-only folders that link
distributions (torch and its dependencies, the test tools) from the running interpreter, so pip
counts them as present, exactly as on a machine that already has torch.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import sysconfig
import urllib.parse
import venv
from collections.abc import Iterable, Mapping
from pathlib import Path

from _monorepo import normalize
from packaging.requirements import Requirement

#: Environment variables that would make a child interpreter see this one's packages.
_LEAKY = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without what leaks packages into child interpreters."""
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY}
    env.update({"PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    env.update(extra or {})
    return env


def closure(names: Iterable[str]) -> dict[str, importlib.metadata.Distribution]:
    """The installed distributions ``names`` and everything they require, recursively."""
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = list(names)
    while todo:
        current = normalize(todo.pop())
        if current in found:
            continue
        try:
            dist = importlib.metadata.distribution(current)
        except importlib.metadata.PackageNotFoundError:
            continue
        found[current] = dist
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def link_site(names: Iterable[str], folder: Path, skip: Iterable[str] = ()) -> Path:
    """A folder of links to ``names`` (and their requirements) from this interpreter."""
    site = Path(sysconfig.get_paths()["purelib"])
    folder.mkdir(parents=True, exist_ok=True)
    skipped = {normalize(n) for n in skip}
    for name, dist in closure(names).items():
        if name in skipped:
            continue
        for file in dist.files or []:
            top = file.parts[0]
            if top != ".." and not (folder / top).exists() and (site / top).exists():
                (folder / top).symlink_to(site / top)
    return folder


def link_into(python: Path, folder: Path, name: str) -> None:
    """Put ``folder`` on the sys.path of ``python``'s venv, through ``<name>.pth``."""
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    ).stdout.strip()
    Path(purelib, f"{name}.pth").write_text(f"{folder}\n", encoding="utf-8")


def make_venv(path: Path, linked: Iterable[Path] = ()) -> Path:
    """A new venv without pip (the running pip installs into it); returns its python."""
    venv.EnvBuilder(with_pip=False, clear=True, symlinks=True).create(path)
    python = path / "bin" / "python"
    for number, folder in enumerate(linked):
        link_into(python, folder, f"zz-linked-{number}")
    return python


def installed(python: Path) -> dict[str, str]:
    """Distribution name -> version of everything ``python`` can import."""
    code = (
        "import importlib.metadata as m, json; "
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    out = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True, env=clean_env()
    ).stdout
    return {normalize(k): v for k, v in json.loads(out).items()}


class InstallError(RuntimeError):
    """pip failed, or took a tu distribution from somewhere other than the given index."""


def pip_install(
    python: Path, requirements: list[str], simple_url: str, report: Path, upgrade: bool = False
) -> list[tuple[str, str]]:
    """``pip install`` into ``python``'s venv; returns the (name, version) pairs installed.

    tu distributions must come from ``simple_url`` (or a local file): ``--index-url`` is
    that index alone; the machine's pip configuration (find-links, extra mirrors) still
    supplies torch and the other non-tu requirements.
    """
    command = [sys.executable, "-m", "pip", "--python", str(python), "install"]
    command += ["--quiet", "--no-cache-dir", "--index-url", simple_url, "--report", str(report)]
    command += (["--upgrade"] if upgrade else []) + requirements
    done = subprocess.run(command, capture_output=True, text=True, env=clean_env())
    if done.returncode != 0:
        raise InstallError(f"pip install {' '.join(requirements)} failed:\n{done.stderr[-4000:]}")
    index_host = urllib.parse.urlsplit(simple_url).netloc
    pairs = []
    for item in json.loads(report.read_text(encoding="utf-8")).get("install", []):
        name = normalize(item["metadata"]["name"])
        url = item.get("download_info", {}).get("url", "")
        origin = urllib.parse.urlsplit(url)
        if name.startswith("tu-") and origin.scheme != "file" and origin.netloc != index_host:
            raise InstallError(f"{name} came from {url}, not from the index {simple_url}")
        pairs.append((name, str(item["metadata"]["version"])))
    return sorted(pairs)


def run_tests(
    python: Path, test_dirs: list[Path], workdir: Path
) -> subprocess.CompletedProcess[str]:
    """pytest on ``test_dirs`` with ``python``, from ``workdir`` (outside the source tree)."""
    command = [str(python), "-m", "pytest", "--import-mode=importlib", "-p", "no:cacheprovider"]
    command += ["-q", "-x", *map(str, test_dirs)]
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(command, capture_output=True, text=True, cwd=workdir, env=clean_env())
