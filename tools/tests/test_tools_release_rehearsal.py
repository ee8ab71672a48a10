"""The release rehearsal's parts: changed.py on a real git history, the table, the server.

The whole rehearsal (hatch run release:rehearse) is its own CI step; these stay fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import _monorepo
import changed
import pytest
import rehearse_release

GIT_ENV = {**os.environ, **rehearse_release.GIT_ENV}


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args], cwd=root, env=GIT_ENV, check=True,
        capture_output=True,
    )  # fmt: skip


def package_dir(root: Path, name: str, dependencies: str) -> None:
    short = name.removeprefix("tu-")
    (root / "packages" / name / "src" / "tu" / short).mkdir(parents=True)
    (root / "packages" / name / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\ndependencies = [{dependencies}]\n', encoding="utf-8"
    )
    (root / "packages" / name / "src" / "tu" / short / "__about__.py").write_text(
        '__version__ = "0.1.0"\n', encoding="utf-8"
    )


def test_changed_names_what_needs_a_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_monorepo, "PACKAGES_DIR", tmp_path / "packages")
    monkeypatch.setattr(changed, "ROOT", tmp_path)
    package_dir(tmp_path, "tu-base", "")
    package_dir(tmp_path, "tu-user", '"tu-base>=0.1.0,<1"')
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "start")
    assert changed.changed_packages() == ["tu-base", "tu-user"]  # never tagged
    git(tmp_path, "tag", "tu-base-v0.1.0")
    git(tmp_path, "tag", "tu-user-v0.1.0")
    assert changed.changed_packages() == []
    (tmp_path / "packages" / "tu-base" / "src" / "tu" / "base" / "new.py").write_text("")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "change base")
    # tu-user's range still admits tu-base's next minor: only tu-base needs a release...
    assert changed.changed_packages() == ["tu-base"]
    # ...while its dependents are what to re-test.
    assert changed.changed_packages(with_dependents=True) == ["tu-base", "tu-user"]
    git(tmp_path, "tag", "tu-base-v0.2.0")
    assert changed.changed_packages() == []


def test_table_has_the_issue_columns() -> None:
    log = rehearse_release.Log()
    row = log.row("tu-prune", "0.1.0")
    row.uploaded, row.alone, row.lowest = "yes", "exact: +tu-conv1d", "passed: tu-conv1d==0.1.0"
    assert log.row("tu-prune", "0.1.0") is row
    lines = log.table().splitlines()
    assert [c.strip() for c in lines[0].split("|")] == [
        "package",
        "version",
        "uploaded",
        "installed-alone check",
        "lowest-range check",
    ]
    assert set(lines[1]) <= {"-", "+"}
    assert [c.strip() for c in lines[2].split("|")] == [
        "tu-prune",
        "0.1.0",
        "yes",
        "exact: +tu-conv1d",
        "passed: tu-conv1d==0.1.0",
    ]


def test_expect_raises_with_the_message() -> None:
    rehearse_release.expect(True, "unused")
    with pytest.raises(rehearse_release.RehearsalError, match="what went wrong"):
        rehearse_release.expect(False, "what went wrong")


def test_index_server_starts_on_loopback_and_stops(tmp_path: Path) -> None:
    pytest.importorskip("pypiserver")
    server = rehearse_release.IndexServer(tmp_path / "index", tmp_path / "log")
    assert server.simple_url == f"http://127.0.0.1:{server.port}/simple/"
    server.start(timeout=10)
    try:
        assert server.answers()
    finally:
        server.stop()
    assert server.process is not None and server.process.poll() is not None
    assert not server.answers()


def test_rehearsal_help_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(Path(rehearse_release.__file__)), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "pypiserver" in done.stdout


def test_ctrl_c_stops_the_server_and_removes_everything(tmp_path: Path) -> None:
    """Interrupted right after the server starts, the rehearsal leaves nothing behind."""
    pytest.importorskip("pypiserver")
    pytest.importorskip("torch")
    import signal
    import time

    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, str(Path(rehearse_release.__file__))],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    seen = []
    for line in child.stdout:
        seen.append(line)
        if "first release of every package" in line:  # the server answered
            break
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    rest = child.communicate(timeout=60)[0]
    assert child.returncode == 1, "".join(seen) + rest
    assert "rehearsal FAILED" in rest
    assert list(tmp_path.iterdir()) == []  # the temporary folder went, server files included
    port = next(line for line in seen if "start pypiserver" in line).rsplit(":", 1)[1].strip()
    still = subprocess.run(["pgrep", "-f", f"pypiserver run .* -p {port} "], capture_output=True)
    assert still.returncode == 1, "pypiserver still running"
