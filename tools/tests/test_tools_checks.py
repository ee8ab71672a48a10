"""check_wheels.py, check_deps.py and changed.py on real and hand-made inputs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import _monorepo
import check_deps
import check_wheels
import pytest


def make_wheel(
    path: Path, files: dict[str, str], name: str = "tu-versions", version: str = ""
) -> Path:
    version = version or _monorepo.package(name).version
    with zipfile.ZipFile(path, "w") as archive:
        for file, text in files.items():
            archive.writestr(file, text)
        dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
        archive.writestr(
            f"{dist_info}/METADATA", f"Metadata-Version: 2.4\nName: {name}\nVersion: {version}\n"
        )
    return path


GOOD = {"tu/versions/__init__.py": "", "tu/versions/py.typed": ""}


def test_good_wheel_passes(tmp_path: Path) -> None:
    assert check_wheels.wheel_problems(make_wheel(tmp_path / "good.whl", GOOD)) == []


def test_namespace_init_is_caught(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "bad.whl", {**GOOD, "tu/__init__.py": ""})
    assert any("tu/__init__.py" in p for p in check_wheels.wheel_problems(wheel))


def test_stray_top_level_folder_is_caught(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "bad.whl", {**GOOD, "versions/__init__.py": ""})
    assert any("stray file versions/__init__.py" in p for p in check_wheels.wheel_problems(wheel))


def test_missing_py_typed_and_wrong_version_are_caught(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "bad.whl", {"tu/versions/__init__.py": ""}, version="9.9.9")
    problems = check_wheels.wheel_problems(wheel)
    assert any("py.typed" in p for p in problems)
    assert any("9.9.9" in p for p in problems)


def test_imported_modules_skip_type_checking_blocks() -> None:
    source = (
        "from __future__ import annotations\n"
        "import os\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import torch\n"
        "try:\n    import safetensors.torch\nexcept ImportError:\n    pass\n"
        "def f():\n    from tu import versions\n    import tu.conv1d.layer\n"
    )
    assert sorted(check_deps.imported_modules(source)) == sorted(
        ["__future__", "os", "typing", "safetensors.torch", "tu.versions", "tu.conv1d.layer"]
    )


def test_repository_dependencies_are_consistent() -> None:
    for pkg in _monorepo.packages():
        assert check_deps.range_problems(pkg) == [], pkg.dist
        assert check_deps.import_problems(pkg) == [], pkg.dist


def test_undeclared_sibling_import_is_reported(tmp_path: Path) -> None:
    pkg_dir = tmp_path / "tu-demo"
    (pkg_dir / "src" / "tu" / "demo").mkdir(parents=True)
    (pkg_dir / "pyproject.toml").write_text(
        '[project]\nname = "tu-demo"\ndependencies = ["torch>=2.1"]\n'
    )
    (pkg_dir / "src" / "tu" / "demo" / "__init__.py").write_text("import torch\nimport tu.prune\n")
    problems = check_deps.import_problems(_monorepo.Package(pkg_dir))
    assert len(problems) == 1 and "tu.prune" in problems[0] and "tu-prune" in problems[0]


def test_dependents_are_transitive() -> None:
    assert _monorepo.dependents({"tu-conv1d"}) == {"tu-conv1d", "tu-prune", "tu-all"}
    assert "tu-all" in _monorepo.dependents({"tu-versions"})
    assert _monorepo.dependents({"tu-all"}) == {"tu-all"}


def test_package_lookup() -> None:
    assert _monorepo.package("prune").dist == "tu-prune"
    with pytest.raises(SystemExit, match="unknown package"):
        _monorepo.package("nothing")
