"""Read a package index's simple API (PEP 503): which versions of a distribution it holds."""

from __future__ import annotations

import html.parser
import urllib.error
import urllib.parse
import urllib.request

from _monorepo import normalize
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

#: A simple page larger than this is refused rather than parsed (bounded work).
MAX_PAGE_BYTES = 8 * 1024 * 1024


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(value for key, value in attrs if key == "href" and value)


def file_names(page: str) -> list[str]:
    """The file names linked from a simple-API project page."""
    parser = _Links()
    parser.feed(page)
    names = []
    for href in parser.hrefs:
        path = urllib.parse.urlsplit(href).path
        names.append(urllib.parse.unquote(path.rsplit("/", 1)[-1]))
    return names


def version_of_file(name: str) -> tuple[str, Version] | None:
    """(normalised distribution, version) of a wheel or sdist file name; None otherwise."""
    try:
        if name.endswith(".whl"):
            dist, version, _, _ = parse_wheel_filename(name)
            return normalize(dist), version
        if name.endswith(".tar.gz"):
            dist, version = parse_sdist_filename(name)
            return normalize(dist), version
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def project_page(simple_url: str, dist: str, timeout: float = 30.0) -> str:
    """The simple page of ``dist`` ("" when the index does not know it)."""
    url = f"{simple_url.rstrip('/')}/{normalize(dist)}/"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data: bytes = response.read(MAX_PAGE_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return ""
        raise
    if len(data) > MAX_PAGE_BYTES:
        raise ValueError(f"{url}: page larger than {MAX_PAGE_BYTES} bytes")
    return data.decode("utf-8", errors="replace")


def versions_on_index(simple_url: str, dist: str) -> list[Version]:
    """Every version of ``dist`` the index holds a file for, ascending."""
    found = set()
    for name in file_names(project_page(simple_url, dist)):
        parsed = version_of_file(name)
        if parsed is not None and parsed[0] == normalize(dist):
            found.add(parsed[1])
    return sorted(found)
