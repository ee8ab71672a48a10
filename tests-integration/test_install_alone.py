"""Each wheel installs alone into a fresh venv and brings only its declared dependencies.

A package importing a sibling it does not declare fails here: the sibling is absent. torch
itself is not installed again in each venv (a CUDA build is gigabytes): the venv sees a
read-only folder linking just torch and its own dependencies from this environment, so pip
counts torch as present, exactly as a machine that already has torch would.
"""

from __future__ import annotations

import email.parser
import importlib.metadata
import json
import re
import subprocess
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from tu_integration_helpers import DISTRIBUTIONS, modules_in_wheel, wheel_of

TRACKED = ("torch", "safetensors", "packaging")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(wheel: Path) -> set[str]:
    """Names of a wheel's unconditional requirements."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = email.parser.Parser().parsestr(archive.read(meta).decode())
    names = set()
    for text in message.get_all("Requires-Dist") or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.add(normalize(requirement.name))
    return names


def declared_closure(wheelhouse: Path, dist: str) -> set[str]:
    """``dist`` and every distribution it needs, following tu siblings' wheels."""
    seen: set[str] = set()
    todo = [dist]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            if name.startswith("tu-"):
                todo.extend(requirement_names(wheel_of(wheelhouse, name)))
    return seen


def installed_closure(name: str) -> list[importlib.metadata.Distribution]:
    """The installed distribution ``name`` and everything it requires here, recursively."""
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = [name]
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
    return list(found.values())


@pytest.fixture(scope="session")
def torch_only_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder linking torch and its dependencies (and nothing else) from this environment."""
    site = Path(sysconfig.get_paths()["purelib"])
    folder = tmp_path_factory.mktemp("torch-only-site")
    for dist in installed_closure("torch"):
        for file in dist.files or []:
            top = file.parts[0]
            if top == ".." or (folder / top).exists():
                continue
            if (site / top).exists():
                (folder / top).symlink_to(site / top)
    return folder


def fresh_venv(path: Path) -> tuple[Path, Path]:
    """A new venv with pip; returns its python and its site-packages."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    python = path / "bin" / "python"
    own_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return python, Path(own_site)


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_wheel_installs_alone(
    dist: str, wheelhouse: Path, torch_only_site: Path, tmp_path: Path
) -> None:
    expected = declared_closure(wheelhouse, dist)
    python, own_site = fresh_venv(tmp_path / "venv")
    if "torch" in expected:
        (own_site / "zz-torch-only.pth").write_text(f"{torch_only_site}\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--find-links", str(wheelhouse), dist],
        check=True,
        timeout=1800,
    )

    listing = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, json, sys; "
            "print(json.dumps([[d.metadata['Name'], str(d.locate_file(''))] "
            "for d in m.distributions()]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    own = {
        normalize(name)
        for name, where in json.loads(listing.stdout)
        if Path(where).resolve() == own_site.resolve()
    }
    visible = {normalize(name) for name, _ in json.loads(listing.stdout)}
    assert {n for n in own if n.startswith("tu-")} == {n for n in expected if n.startswith("tu-")}
    for name in ("safetensors", "packaging"):
        assert (name in own) is (name in expected), f"{name}: installed {sorted(own)}"
    assert ("torch" in visible) is ("torch" in expected)
    assert "torch" not in own, "pip installed torch again although it was present"

    modules = [m for m in modules_in_wheel(wheel_of(wheelhouse, dist)) if "__main__" not in m]
    code = f"import importlib\nfor m in {modules!r}:\n    importlib.import_module(m)\n"
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_torch_free_packages_declare_no_torch(wheelhouse: Path) -> None:
    for dist in ("tu-versions", "tu-cache"):
        assert "torch" not in declared_closure(wheelhouse, dist), dist
