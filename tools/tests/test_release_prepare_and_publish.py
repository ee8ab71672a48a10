"""release.py and publish.py: each refusal of a release comes with a clear message."""

from __future__ import annotations

import zipfile
from pathlib import Path

import _monorepo
import publish
import pytest
import release


def test_tag_that_differs_from_about_is_refused() -> None:
    pkg = _monorepo.package("tu-prune")
    with pytest.raises(release.ReleaseError) as caught:
        release.target("tu-prune-v9.9.9")
    assert str(caught.value) == (
        f"tag tu-prune-v9.9.9 says 9.9.9 but packages/tu-prune/src/tu/prune/__about__.py "
        f"says {pkg.version}"
    )
    assert release.target(f"tu-prune-v{pkg.version}") == pkg
    assert release.target("tu-versions").dist == "tu-versions"  # a name, not a tag
    with pytest.raises(release.ReleaseError, match="unknown package"):
        release.target("tu-nothing")


def test_wheel_with_namespace_init_stops_the_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = _monorepo.package("tu-versions").version
    wheel = tmp_path / f"tu_versions-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in ("tu/__init__.py", "tu/versions/__init__.py", "tu/versions/py.typed"):
            archive.writestr(name, "")
        archive.writestr(
            f"tu_versions-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.4\nName: tu-versions\nVersion: {version}\n",
        )
    monkeypatch.setattr(release, "build", lambda pkg, out: [wheel])
    with pytest.raises(release.ReleaseError) as caught:
        release.prepare("tu-versions", tmp_path)
    assert "wheel check failed" in str(caught.value)
    assert "ships tu/__init__.py (tu must stay a namespace package)" in str(caught.value)
    assert release.main(["tu-versions", "--out", str(tmp_path)]) == 1


def test_duplicate_upload_message() -> None:
    pypiserver = "\x1b[31mERROR   \x1b[0m HTTPError: 409 Conflict from http://127.0.0.1:1234/\nx"
    pypi = "HTTPError: 400 Bad Request\nFile already exists ('tu_prune-0.1.0.tar.gz')"
    wanted = (
        "tu-prune 0.1.0 is already on the index: an index never replaces a release; "
        "bump the version (python tools/bump.py tu-prune patch) and release again"
    )
    assert publish.explain_failure("tu-prune", "0.1.0", pypiserver, on_index=False) == (
        wanted + " (index: HTTPError: 409 Conflict from http://127.0.0.1:1234/)"
    )
    assert publish.explain_failure("tu-prune", "0.1.0", pypi, on_index=False) == (
        wanted + " (index: HTTPError: 400 Bad Request)"
    )
    assert publish.explain_failure("tu-prune", "0.1.0", "500 Internal", on_index=True) == wanted
    other = publish.explain_failure("tu-prune", "0.1.0", "line\n403 Forbidden", on_index=False)
    assert other.startswith("uploading tu-prune 0.1.0 failed:") and "403 Forbidden" in other


def test_release_of_refuses_mixed_files() -> None:
    one = [Path("tu_prune-0.1.0-py3-none-any.whl"), Path("tu_prune-0.1.0.tar.gz")]
    assert publish.release_of(one) == ("tu-prune", "0.1.0")
    with pytest.raises(publish.PublishError, match="one release at a time"):
        publish.release_of([*one, Path("tu_conv1d-0.1.0.tar.gz")])
    with pytest.raises(publish.PublishError, match="neither a wheel nor an sdist"):
        publish.release_of([Path("notes.txt")])


def test_lowest_direct_failure_stops_the_release_before_upload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lowest_direct
    from packaging.version import Version

    pkg = _monorepo.package("tu-storage")
    wheel = tmp_path / f"tu_storage-{pkg.version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in ("tu/storage/__init__.py", "tu/storage/py.typed"):
            archive.writestr(name, "")
        archive.writestr(
            f"tu_storage-{pkg.version}.dist-info/METADATA",
            f"Metadata-Version: 2.4\nName: tu-storage\nVersion: {pkg.version}\n"
            "Requires-Dist: tu-versions<1,>=0.1.0\n",
        )
    failed = lowest_direct.Outcome(
        "tu-storage", pkg.version, {"tu-versions": Version("0.1.0")}, False, "ImportError: x"
    )
    monkeypatch.setattr(release, "build", lambda pkg, out: [wheel])
    monkeypatch.setattr(lowest_direct, "check", lambda *args: failed)
    with pytest.raises(release.ReleaseError) as caught:
        release.prepare("tu-storage", tmp_path, index="http://127.0.0.1:9/simple/")
    message = str(caught.value)
    assert message.startswith(
        f"lowest-direct tu-storage {pkg.version} with tu-versions==0.1.0: tests FAILED: "
        "tu-storage fails with each tu sibling at the lowest version its range admits; if it "
        "passes with newer siblings, its range is too wide: raise it "
        "(python tools/set_range.py tu-storage SIBLING VERSION)"
    )
    assert "ImportError: x" in message
