"""Release rehearsal: the real release tools against a real package index, in a throwaway copy.

    hatch run release:rehearse            # what .ci/run runs
    python tools/rehearse_release.py --keep   # keep the temporary folder, to look around

Copies the repository's files (tracked and untracked-but-not-ignored) into a temporary git
repository, starts pypiserver on a free 127.0.0.1 port (uploads open, overwrites refused, no
fallback to PyPI) and, with tools/bump.py, changed.py, set_range.py, release.py and publish.py:

1. releases every package at its first version, each checked lowest-direct and uploaded with
   twine; ``pip install tu-prune`` and ``pip install tu-all`` from the index install exactly
   their dependency closures, and the packages' tests pass against the installed wheels;
2. adds a function to tu-versions and releases it alone as a minor; makes tu-storage use it
   while its range still admits the old tu-versions, and shows the lowest-direct check catching
   that before upload; raises the range with set_range.py and releases tu-storage;
   ``pip install -U tu-storage`` upgrades exactly tu-storage and tu-versions, and a venv pinning
   the old tu-storage keeps working;
3. shows a tag/``__about__.py`` mismatch, a wheel holding ``tu/__init__.py`` and a re-upload
   of an existing version each failing with a clear message.

The index server and the folder are removed on exit, also on failure and Ctrl-C. tu
distributions are installed with ``--index-url`` set to the local index only; torch and the
other non-tu requirements come from the machine's pip configuration, or from this
interpreter through linked folders (torch is never installed again per venv).
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

from _venvs import (  # noqa: E402
    clean_env,
    closure,
    installed,
    link_into,
    link_site,
    make_venv,
    pip_install,
    run_tests,
)

SOURCE_ROOT = TOOLS.parent
#: Test tools linked (from this interpreter) into the venvs that run tests.
TEST_TOOLS = ("pytest", "hypothesis", "numpy")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "tu release rehearsal",
    "GIT_AUTHOR_EMAIL": "rehearsal@localhost",
    "GIT_COMMITTER_NAME": "tu release rehearsal",
    "GIT_COMMITTER_EMAIL": "rehearsal@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}
FIRST_RELEASE_ORDER = (
    "tu-versions",
    "tu-conv1d",
    "tu-chunk",
    "tu-cache",
    "tu-devices",
    "tu-storage",
    "tu-prune",
    "tu-all",
)


class RehearsalError(RuntimeError):
    """A step did not do what a release promises."""


@dataclass
class Row:
    """One line of the closing table."""

    package: str
    version: str
    uploaded: str = "-"
    alone: str = "-"
    lowest: str = "-"


@dataclass
class Log:
    """Step timings and the closing table."""

    started: float = field(default_factory=time.monotonic)
    rows: list[Row] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        began = time.monotonic()
        print(f"[{began - self.started:6.1f}s] {what}", flush=True)
        yield
        self.timings.append((what, time.monotonic() - began))

    def row(self, package: str, version: str) -> Row:
        for row in self.rows:
            if (row.package, row.version) == (package, version):
                return row
        self.rows.append(Row(package, version))
        return self.rows[-1]

    def table(self) -> str:
        header = ("package", "version", "uploaded", "installed-alone check", "lowest-range check")
        lines = [header] + [
            (r.package, r.version, r.uploaded, r.alone, r.lowest) for r in self.rows
        ]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        out = [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=False)) for line in lines]
        out.insert(1, "-+-".join("-" * w for w in widths))
        return "\n".join(out)


def expect(condition: bool, message: str) -> None:
    """Fail the rehearsal with ``message`` unless ``condition``."""
    if not condition:
        raise RehearsalError(message)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM if the rehearsal dies without cleaning up."""
    with suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class IndexServer:
    """pypiserver on 127.0.0.1:<free port>, serving and accepting files in ``folder``."""

    def __init__(self, folder: Path, log: Path) -> None:
        self.folder = folder
        self.log_path = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def upload_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def simple_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/simple/"

    def start(self, timeout: float = 60.0) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1"]
        command += ["-p", str(self.port), "-a", ".", "-P", ".", "--disable-fallback"]
        command += [str(self.folder)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=clean_env(),
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RehearsalError(f"pypiserver exited:\n{self.log_path.read_text()[-3000:]}")
            if self.answers():
                return
            time.sleep(0.2)
        raise RehearsalError(f"pypiserver did not answer on port {self.port} in {timeout}s")

    def answers(self) -> bool:
        """Whether the simple index answers 200 right now."""
        try:
            with urllib.request.urlopen(self.simple_url, timeout=2) as answer:
                return bool(answer.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class Rehearsal:
    """The scenario; every step goes through the copy's own tools."""

    def __init__(self, work: Path, log: Log) -> None:
        self.work = work
        self.copy = work / "repo"
        self.log = log
        self.server = IndexServer(work / "index", work / "pypiserver.log")
        self.dist = work / "dist"
        self.torch_site = work / "site-torch"
        self.tools_site = work / "site-test-tools"

    # -- plumbing -------------------------------------------------------------------------
    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
            cwd=self.copy,
            capture_output=True,
            text=True,
            env=clean_env(GIT_ENV),
        )
        if done.returncode != 0:
            raise RehearsalError(f"git {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def tool(self, name: str, *args: str, expect_rc: int = 0) -> subprocess.CompletedProcess[str]:
        """Run the copy's ``tools/<name>.py``; fail unless it exits with ``expect_rc``."""
        done = subprocess.run(
            [sys.executable, str(self.copy / "tools" / f"{name}.py"), *args],
            cwd=self.copy,
            capture_output=True,
            text=True,
            env=clean_env(),
        )
        if done.returncode != expect_rc:
            raise RehearsalError(
                f"tools/{name}.py {' '.join(args)} exited {done.returncode}, expected "
                f"{expect_rc}:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
            )
        return done

    def changed(self) -> list[str]:
        return list(json.loads(self.tool("changed", "--json").stdout))

    def expect_changed(self, wanted: list[str], when: str) -> None:
        names = self.changed()
        expect(names == wanted, f"changed.py {when}: {names}, expected {wanted}")
        print(f"         changed.py {when}: {names or 'nothing'}")

    def version(self, dist: str) -> str:
        short = dist.removeprefix("tu-")
        about = self.copy / "packages" / dist / "src" / "tu" / short / "__about__.py"
        return about.read_text(encoding="utf-8").split('"')[1]

    def tests_of(self, dist: str) -> Path:
        return self.copy / "packages" / dist / "tests"

    def files_of(self, dist: str, version: str) -> list[Path]:
        stem = f"{dist.replace('-', '_')}-{version}"
        return sorted([*self.dist.glob(f"{stem}-*.whl"), *self.dist.glob(f"{stem}.tar.gz")])

    def write(self, relative: str, text: str) -> None:
        path = self.copy / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def add_unreleased(self, dist: str, section: str, entry: str) -> None:
        changelog = self.copy / "packages" / dist / "CHANGELOG.md"
        text = changelog.read_text(encoding="utf-8")
        marker = "## [Unreleased]\n"
        expect(marker in text, f"{dist}'s CHANGELOG has no Unreleased section")
        new = text.replace(marker, f"{marker}\n### {section}\n\n- {entry}\n", 1)
        changelog.write_text(new, encoding="utf-8")

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    # -- steps ----------------------------------------------------------------------------
    def make_copy(self) -> None:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=SOURCE_ROOT,
            capture_output=True,
            check=True,
            env=clean_env(GIT_ENV),
        ).stdout.decode()
        for name in filter(None, listed.split("\0")):
            source = SOURCE_ROOT / name
            if source.is_file():
                target = self.copy / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        self.git("init", "-q", "-b", "main")
        self.commit("the working tree, as the rehearsal found it")

    def link_sites(self) -> None:
        try:
            import torch  # noqa: F401
        except ImportError:
            raise RehearsalError(
                "the rehearsal needs torch: run it with hatch run release:rehearse"
            ) from None
        link_site(["torch"], self.torch_site)
        link_site(TEST_TOOLS, self.tools_site, skip=self.torch_site_names())

    def torch_site_names(self) -> set[str]:
        return set(closure(["torch"]))

    def release(self, tag: str, dist: str, version: str) -> None:
        """release.py on the tag (lowest-direct included), then publish.py."""
        done = self.tool(
            "release",
            tag,
            "--out",
            str(self.dist),
            "--index",
            self.server.simple_url,
            "--link-site",
            str(self.torch_site),
            "--link-site",
            str(self.tools_site),
        )
        row = self.log.row(dist, version)
        first = done.stdout.splitlines()[0]
        pins = first.split(" with ", 1)[1].split(":")[0].split(", ") if " with " in first else []
        versions = {pin.split("==")[1] for pin in pins}
        row.lowest = (
            "n/a: no tu siblings"
            if not pins
            else f"passed: {len(pins)} siblings at {versions.pop()}"
            if len(pins) > 2 and len(versions) == 1
            else "passed: " + ", ".join(pins)
        )
        self.tool(
            "publish",
            "--repository-url",
            self.server.upload_url,
            "--simple-url",
            self.server.simple_url,
            "-u",
            "rehearsal",
            "-p",
            "rehearsal",
            *map(str, self.files_of(dist, version)),
        )
        row.uploaded = "yes"

    def venv(self, name: str, with_tools: bool = False) -> Path:
        linked = [self.torch_site] + ([self.tools_site] if with_tools else [])
        return make_venv(self.work / "venvs" / name, linked)

    def add_test_tools(self, python: Path) -> None:
        link_into(python, self.tools_site, "zz-linked-tools")

    def closure_in(self, python: Path, dist: str) -> set[str]:
        """``dist`` and what it requires (extras included), as installed in ``python``'s venv."""
        code = (
            "import importlib.metadata as m, json, re, sys\n"
            "from packaging.requirements import Requirement\n"
            "norm = lambda n: re.sub(r'[-_.]+', '-', n).lower()\n"
            "seen, todo = set(), [(sys.argv[1], frozenset())]\n"
            "while todo:\n"
            "    name, extras = todo.pop()\n"
            "    key = (norm(name), extras)\n"
            "    if key in seen: continue\n"
            "    seen.add(key)\n"
            "    try: d = m.distribution(name)\n"
            "    except m.PackageNotFoundError: continue\n"
            "    for text in d.requires or []:\n"
            "        r = Requirement(text)\n"
            "        envs = [{'extra': e} for e in ('', *extras)]\n"
            "        if r.marker is None or any(r.marker.evaluate(e) for e in envs):\n"
            "            todo.append((r.name, frozenset(r.extras)))\n"
            "print(json.dumps(sorted({n for n, _ in seen})))\n"
        )
        env = clean_env({"PYTHONPATH": str(self.tools_site)})
        out = subprocess.run(
            [str(python), "-c", code, dist], capture_output=True, text=True, check=True, env=env
        ).stdout
        return set(json.loads(out))

    def install_alone(self, name: str, dist: str, expected_tu: set[str]) -> Path:
        """Fresh venv, ``pip install dist`` from the index: exactly its closure arrives."""
        python = self.venv(name)
        before = installed(python)
        pairs = pip_install(python, [dist], self.server.simple_url, self.work / f"{name}.json")
        after = installed(python)
        new = set(after) - set(before)
        expect({n for n, _ in pairs} == new, f"{name}: pip's report {pairs} != new dists {new}")
        tu_new = {n for n in new if n.startswith("tu-")}
        expect(tu_new == expected_tu, f"{name}: installed {sorted(tu_new)}, expected {expected_tu}")
        allowed = self.closure_in(python, dist)
        expect(new <= allowed, f"{name}: installed {sorted(new - allowed)} nobody declared")
        missing = {n for n in allowed if not n.startswith("tu-")} - set(after)
        expect(not missing, f"{name}: declared dependencies {sorted(missing)} not installed")
        print(f"         {dist}: installed {', '.join(f'{n}=={v}' for n, v in pairs)}")
        return python

    def tests_pass(self, python: Path, dists: list[str], where: str) -> None:
        done = run_tests(python, [self.tests_of(d) for d in dists], self.work / "cwd")
        expect(done.returncode == 0, f"{where}: tests failed:\n{done.stdout[-5000:]}{done.stderr}")
        print(f"         {where}: {done.stdout.strip().splitlines()[-1]}")
        origin = subprocess.run(
            [
                str(python),
                "-c",
                f"import tu.{dists[0].removeprefix('tu-')} as m; print(m.__file__)",
            ],
            capture_output=True,
            text=True,
            env=clean_env(),
            cwd=self.work / "cwd",
        ).stdout
        expect(str(self.work / "venvs") in origin, f"{where}: tu came from {origin}, not the venv")

    # -- the scenario ---------------------------------------------------------------------
    def first_releases(self) -> dict[str, Path]:
        log = self.log
        with log.step("first release of every package: bump, commit, tag"):
            self.expect_changed(sorted(FIRST_RELEASE_ORDER), "before any release")
            for dist in FIRST_RELEASE_ORDER:
                self.tool("bump", dist, "minor")
            self.commit("release every package at its first version")
            for dist in FIRST_RELEASE_ORDER:
                self.git("tag", f"{dist}-v{self.version(dist)}")
            self.expect_changed([], "after tagging")
        for dist in FIRST_RELEASE_ORDER:
            version = self.version(dist)
            with log.step(f"release.py + publish.py {dist}-v{version}"):
                self.release(f"{dist}-v{version}", dist, version)
        venvs = {}
        with log.step("pip install tu-prune alone from the index; its tests"):
            python = self.install_alone("prune-alone", "tu-prune", {"tu-prune", "tu-conv1d"})
            self.log.row("tu-prune", self.version("tu-prune")).alone = "exact: +tu-conv1d"
            self.log.row("tu-conv1d", self.version("tu-conv1d")).alone = "via tu-prune"
            self.add_test_tools(python)
            self.tests_pass(python, ["tu-prune"], "tu-prune venv")
            venvs["prune"] = python
        with log.step("pip install tu-all from the index; every package's tests"):
            python = self.install_alone("all", "tu-all", set(FIRST_RELEASE_ORDER))
            for dist in FIRST_RELEASE_ORDER:
                row = self.log.row(dist, self.version(dist))
                row.alone = row.alone if row.alone != "-" else "via tu-all"
            self.log.row("tu-all", self.version("tu-all")).alone = "exact: all eight"
            self.add_test_tools(python)
            self.tests_pass(python, list(FIRST_RELEASE_ORDER), "tu-all venv")
            venvs["all"] = python
        return venvs

    def versions_minor(self) -> None:
        with self.log.step("tu-versions gains a function; released alone as a minor"):
            self.write(
                "packages/tu-versions/src/tu/versions/rehearsal.py",
                '"""Added by the release rehearsal, in its throwaway copy only."""\n\n\n'
                "def rehearsal_release() -> str:\n"
                '    """The release that added this function.\n\n'
                "    Examples:\n"
                "        >>> from tu.versions.rehearsal import rehearsal_release\n"
                "        >>> rehearsal_release()\n"
                "        'tu-versions 0.2.0'\n"
                '    """\n'
                '    return "tu-versions 0.2.0"\n',
            )
            self.add_unreleased(
                "tu-versions", "Added", "`tu.versions.rehearsal.rehearsal_release()`."
            )
            self.commit("tu-versions: rehearsal_release()")
            self.expect_changed(["tu-versions"], "after changing tu-versions")
            self.tool("bump", "tu-versions", "minor")
            version = self.version("tu-versions")
            expect(version == "0.2.0", f"bump minor gave tu-versions {version}, expected 0.2.0")
            self.commit(f"release tu-versions {version}")
            self.git("tag", f"tu-versions-v{version}")
            self.release(f"tu-versions-v{version}", "tu-versions", version)
            self.expect_changed([], "after releasing tu-versions")
            self.tool("check_deps")

    def storage_needs_new_versions(self, all_venv: Path) -> None:
        dist = "tu-storage"
        old = self.version(dist)
        with self.log.step("tu-storage uses it, range unchanged: lowest-direct must catch it"):
            init = self.copy / "packages/tu-storage/src/tu/storage/__init__.py"
            init.write_text(
                init.read_text(encoding="utf-8")
                + "\nfrom tu.versions.rehearsal import rehearsal_release as _rehearsal_release\n",
                encoding="utf-8",
            )
            self.write(
                "packages/tu-storage/tests/test_storage_rehearsal.py",
                '"""Added by the release rehearsal."""\n\n\n'
                "def test_storage_sees_the_new_tu_versions_function() -> None:\n"
                "    import tu.storage\n\n"
                '    assert tu.storage._rehearsal_release() == "tu-versions 0.2.0"\n',
            )
            self.add_unreleased(dist, "Changed", "Uses `tu.versions.rehearsal_release()`.")
            self.commit("tu-storage: use rehearsal_release()")
            self.expect_changed([dist], "after changing tu-storage")
            preflight = self.tool(
                "release", dist, "--out", str(self.work / "preflight"), "--index",
                self.server.simple_url, "--link-site", str(self.torch_site), "--link-site",
                str(self.tools_site), expect_rc=1,
            )  # fmt: skip
            message = preflight.stderr
            expect(
                "lowest-direct" in message and "tu-versions==0.1.0" in message,
                f"the wrong range was not caught as expected:\n{message[-3000:]}",
            )
            print("         caught: " + message.splitlines()[0][:150])
            self.log.row(dist, f"{old} (+change)").lowest = "caught: fails with tu-versions 0.1.0"
            self.log.row(dist, f"{old} (+change)").uploaded = "no (refused before upload)"
        with self.log.step("set_range.py raises the range; tu-storage released as a patch"):
            self.tool("set_range", dist, "tu-versions", "0.2.0")
            self.tool("check_deps")
            self.commit("tu-storage: require tu-versions>=0.2.0")
            self.expect_changed([dist], "after raising tu-storage's range")
            self.tool("bump", dist, "patch")
            version = self.version(dist)
            self.commit(f"release {dist} {version}")
            self.git("tag", f"{dist}-v{version}")
            self.release(f"{dist}-v{version}", dist, version)
            self.expect_changed([], "after releasing tu-storage")
        with self.log.step("pip install -U tu-storage in the tu-all venv"):
            before = installed(all_venv)
            pip_install(
                all_venv, ["tu-storage"], self.server.simple_url, self.work / "up.json", True
            )
            after = installed(all_venv)
            moved = {n: (before.get(n), v) for n, v in after.items() if before.get(n) != v}
            wanted = {"tu-storage": (old, version), "tu-versions": ("0.1.0", "0.2.0")}
            expect(moved == wanted, f"pip install -U tu-storage changed {moved}, expected {wanted}")
            print(f"         upgraded exactly: {moved}")
            check = subprocess.run(
                [sys.executable, "-m", "pip", "--python", str(all_venv), "check"],
                capture_output=True,
                text=True,
                env=clean_env(),
            )
            expect(check.returncode == 0, f"pip check after the upgrade: {check.stdout}")
            # Its tests just passed with tu-versions 0.2.0 (the lowest-direct check); here,
            # that the upgraded venv imports it and every package still agrees (pip check).
            smoke = subprocess.run(
                [
                    str(all_venv),
                    "-c",
                    "import tu.all, tu.storage; print(tu.storage._rehearsal_release())",
                ],
                capture_output=True,
                text=True,
                env=clean_env(),
                cwd=self.work,
            )
            expect(smoke.returncode == 0, f"upgraded venv: import failed: {smoke.stderr[-2000:]}")
            self.log.row(dist, version).alone = "upgrade: +tu-versions only"
            self.log.row("tu-versions", "0.2.0").alone = "upgraded with tu-storage"
        with self.log.step(f"a venv pinning tu-storage=={old} keeps working"):
            python = self.venv("pinned-old", with_tools=True)
            pairs = pip_install(
                python, [f"tu-storage=={old}"], self.server.simple_url, self.work / "old.json"
            )
            got = dict(pairs)
            expect(got.get("tu-storage") == old, f"pinned install gave {pairs}")
            old_tests = self.work / "old-storage"
            archive = subprocess.run(
                ["git", "archive", f"{dist}-v{old}", f"packages/{dist}"],
                cwd=self.copy,
                capture_output=True,
                check=True,
                env=clean_env(GIT_ENV),
            ).stdout
            old_tests.mkdir()
            subprocess.run(["tar", "-x", "-C", str(old_tests)], input=archive, check=True)
            done = run_tests(python, [old_tests / "packages" / dist / "tests"], self.work / "cwd")
            expect(done.returncode == 0, f"old tu-storage tests failed:\n{done.stdout[-4000:]}")
            print(f"         tu-storage=={old} with tu-versions=={got.get('tu-versions')}: "
                  f"{done.stdout.strip().splitlines()[-1]}")  # fmt: skip

    def failures_are_clear(self) -> None:
        with self.log.step("failure cases: tag mismatch, tu/__init__.py in a wheel, re-upload"):
            done = self.tool(
                "release", "tu-prune-v9.9.9", "--out", str(self.work / "x"), expect_rc=1
            )
            expect("says 9.9.9" in done.stderr, f"tag mismatch message: {done.stderr}")
            print("         " + done.stderr.strip().splitlines()[0])
            bad = self.copy / "packages/tu-chunk/src/tu/__init__.py"
            bad.write_text("", encoding="utf-8")
            try:
                done = self.tool(
                    "release", "tu-chunk", "--out", str(self.work / "bad"), expect_rc=1
                )
            finally:
                bad.unlink()
            ships = [line for line in done.stderr.splitlines() if "ships tu/__init__.py" in line]
            expect(bool(ships), f"namespace message: {done.stderr}")
            print("         " + ships[0])
            files = self.files_of("tu-versions", "0.1.0")
            done = self.tool(
                "publish", "--repository-url", self.server.upload_url, "--simple-url",
                self.server.simple_url, "-u", "x", "-p", "x", *map(str, files), expect_rc=1,
            )  # fmt: skip
            expect(
                "already on the index" in done.stderr and "(index: HTTPError: 4" in done.stderr,
                f"re-upload: not refused by the index with a clear message: {done.stderr}",
            )
            print("         " + done.stderr.strip().splitlines()[0])

    def run(self) -> None:
        with self.log.step("copy the working tree into a temporary git repository"):
            self.make_copy()
            self.link_sites()
        with self.log.step(f"start pypiserver on 127.0.0.1:{self.server.port}"):
            self.server.start()
        try:
            venvs = self.first_releases()
            self.versions_minor()
            self.storage_needs_new_versions(venvs["all"])
            self.failures_are_clear()
        finally:
            with self.log.step("stop pypiserver"):
                self.server.stop()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="tu-rehearsal-"))
    # Whatever the tools and tests write to temporary places (pytest's tmp_path, torch's
    # compile cache) lands in ``work`` too, and goes with it.
    (work / "tmp").mkdir()
    os.environ["TMPDIR"] = str(work / "tmp")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(work / "torchinductor")
    log = Log()
    rehearsal = Rehearsal(work, log)

    def cleanup() -> None:
        rehearsal.server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        rehearsal.run()
    except (RehearsalError, KeyboardInterrupt) as error:
        print(f"\nrehearsal FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        cleanup()
        print("\nstep times:")
        for what, seconds in log.timings:
            print(f"  {seconds:6.1f}s  {what}")
        print("\n" + log.table())
        kept = f"kept in {work}" if args.keep else "removed"
        print(f"\ntotal {time.monotonic() - log.started:.1f}s; temporary folder {kept}")
    print("rehearsal passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
