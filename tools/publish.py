"""Upload one release's files with twine, turning the index's refusals into clear messages.

    python tools/publish.py --repository-url http://127.0.0.1:8080/ dist/*

An index refuses a file it already holds (PyPI: 400 "File already exists"; pypiserver 2.4:
400 Bad Request; others: 409 Conflict). When twine fails, this asks the index's simple page
whether it holds that version, and if so says which version is taken and what to do. Credentials
come from twine's usual sources (TWINE_USERNAME / TWINE_PASSWORD, or -u/-p here).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from _index import version_of_file, versions_on_index
from packaging.version import Version

_DUPLICATE = re.compile(r"\b409\b|already exists|file exists", re.IGNORECASE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class PublishError(RuntimeError):
    """An upload the index refused."""


def release_of(files: list[Path]) -> tuple[str, str]:
    """The one (distribution, version) that ``files`` belong to."""
    releases = set()
    for file in files:
        parsed = version_of_file(file.name)
        if parsed is None:
            raise PublishError(f"{file.name} is neither a wheel nor an sdist")
        releases.add((parsed[0], str(parsed[1])))
    if len(releases) != 1:
        found = ", ".join(sorted(f"{d} {v}" for d, v in releases)) or "no files"
        raise PublishError(f"upload one release at a time, got {found}")
    return releases.pop()


def duplicate_message(dist: str, version: str) -> str:
    """What to say when ``dist`` ``version`` is already on the index."""
    return (
        f"{dist} {version} is already on the index: an index never replaces a release; "
        f"bump the version (python tools/bump.py {dist} patch) and release again"
    )


def explain_failure(dist: str, version: str, twine_output: str, on_index: bool) -> str:
    """A clear message for a failed twine upload."""
    twine_output = _ANSI.sub("", twine_output)
    if on_index or _DUPLICATE.search(twine_output):
        answer = next((line for line in twine_output.splitlines() if "HTTPError" in line), "")
        answer = answer[answer.index("HTTPError") :] if answer else ""
        return duplicate_message(dist, version) + (f" (index: {answer.strip()})" if answer else "")
    tail = twine_output.strip().splitlines()[-5:]
    return f"uploading {dist} {version} failed:\n" + "\n".join(tail)


def upload(
    files: list[Path],
    repository_url: str,
    simple_url: str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> str:
    """Check and upload ``files`` (one release) to ``repository_url``; returns a summary."""
    dist, version = release_of(files)
    command = [
        sys.executable,
        "-m",
        "twine",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
    ]
    command += ["--repository-url", repository_url]
    command += ["-u", username] if username is not None else []
    command += ["-p", password] if password is not None else []
    done = subprocess.run([*command, *map(str, files)], capture_output=True, text=True)
    if done.returncode != 0:
        on_index = False
        if simple_url is not None:
            on_index = Version(version) in versions_on_index(simple_url, dist)
        raise PublishError(explain_failure(dist, version, done.stdout + done.stderr, on_index))
    return f"uploaded {dist} {version} ({len(files)} file(s)) to {repository_url}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("files", nargs="+", type=Path, help="one release's wheel and sdist")
    parser.add_argument("--repository-url", required=True, help="the index's upload URL")
    parser.add_argument("--simple-url", help="the index's simple API, to confirm a duplicate")
    parser.add_argument("-u", "--username", help="passed to twine")
    parser.add_argument("-p", "--password", help="passed to twine")
    args = parser.parse_args(argv)
    try:
        print(
            upload(args.files, args.repository_url, args.simple_url, args.username, args.password)
        )
    except PublishError as error:
        print(f"publish: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
