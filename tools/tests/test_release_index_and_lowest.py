"""_index.py and lowest_direct.py: reading a simple index, picking the lowest admitted pins."""

from __future__ import annotations

import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import _index
import lowest_direct
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

PAGE = """<!DOCTYPE html><html><body>
<a href="/packages/tu_versions-0.1.0-py3-none-any.whl#sha256=00">tu_versions-0.1.0-py3-none-any.whl</a>
<a href="../../packages/tu_versions-0.1.0.tar.gz">tu_versions-0.1.0.tar.gz</a>
<a href="/packages/tu_versions-0.2.0-py3-none-any.whl">x</a>
<a href="/packages/tu_versions-0.3.0.dev1-py3-none-any.whl">x</a>
<a href="/packages/tu_other-9.0.0-py3-none-any.whl">x</a>
<a href="/packages/README.txt">x</a>
</body></html>"""


@pytest.fixture
def index() -> Iterator[str]:
    """A tiny simple index on 127.0.0.1 knowing only tu-versions."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/simple/tu-versions":
                body = PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def test_versions_on_index(index: str) -> None:
    assert _index.versions_on_index(index, "tu_versions") == [
        Version("0.1.0"),
        Version("0.2.0"),
        Version("0.3.0.dev1"),
    ]
    assert _index.versions_on_index(index, "tu-unknown") == []


def test_version_of_file_ignores_other_files() -> None:
    assert _index.version_of_file("tu_prune-0.1.0-py3-none-any.whl") == (
        "tu-prune",
        Version("0.1.0"),
    )
    assert _index.version_of_file("tu_prune-0.1.0.tar.gz") == ("tu-prune", Version("0.1.0"))
    assert _index.version_of_file("README.txt") is None
    assert _index.version_of_file("broken.whl") is None


def test_lowest_pins_take_the_lowest_admitted_release(index: str) -> None:
    def available(name: str) -> list[Version]:
        return _index.versions_on_index(index, name)

    wide = {"tu-versions": Requirement("tu-versions>=0.1.0.dev0,<1")}
    assert lowest_direct.lowest_pins(wide, available) == {"tu-versions": Version("0.1.0")}
    raised = {"tu-versions": Requirement("tu-versions>=0.2.0,<1")}
    assert lowest_direct.lowest_pins(raised, available) == {"tu-versions": Version("0.2.0")}
    impossible = {"tu-versions": Requirement("tu-versions>=1.0")}
    with pytest.raises(lowest_direct.LowestDirectError, match=r"admits no version on the index"):
        lowest_direct.lowest_pins(impossible, available)
    with pytest.raises(lowest_direct.LowestDirectError, match="it holds nothing of tu-cache"):
        lowest_direct.lowest_pins({"tu-cache": Requirement("tu-cache>=0.1")}, available)


def test_sibling_requirements_of_a_wheel(tmp_path: Path) -> None:
    wheel = tmp_path / "tu_demo-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "tu_demo-0.1.0.dist-info/METADATA",
            "Metadata-Version: 2.4\nName: tu-demo\nVersion: 0.1.0\n"
            "Requires-Dist: tu-versions<1,>=0.1.0\n"
            "Requires-Dist: torch>=2.1\n"
            "Requires-Dist: tu-cache>=0.1; extra == 'cache'\n"
            "Requires-Dist: tu_Conv1D>=0.1; python_version >= '3.8'\n",
        )
    found = lowest_direct.sibling_requirements(lowest_direct.wheel_metadata(wheel))
    assert sorted(found) == ["tu-conv1d", "tu-versions"]
    assert str(found["tu-versions"].specifier) == "<1,>=0.1.0"


def test_outcome_describes_pins() -> None:
    outcome = lowest_direct.Outcome(
        "tu-storage", "0.1.1", {"tu-versions": Version("0.1.0")}, False, ""
    )
    assert outcome.describe() == (
        "lowest-direct tu-storage 0.1.1 with tu-versions==0.1.0: tests FAILED"
    )
