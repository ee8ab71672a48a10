"""MkDocs hook: include repository markdown (the READMEs) into the pages, links rewritten.

A page line ``<!-- include: PATH -->`` is replaced by the file PATH (relative to the repository
root); ``<!-- include: PATH | A; B -->`` keeps only the level-2 sections titled A and B (``intro``
is the text before the first one), and ``| -A`` keeps everything but A. A missing file or section
stops the build, so a renamed README heading cannot silently empty a page.

The READMEs link to each other by repository path (``packages/tu-prune``,
``../../README.md``); on the site those become links to the pages that include them. A
relative link to any other repository file has no page, so it is turned into its plain text
(rather than a link that ``mkdocs build --strict`` would reject).

Doing the include here rather than with pymdownx.snippets keeps the link rewriting in the same
place as the include: snippets runs after ``on_page_markdown``, too late to fix the links.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

_INCLUDE = re.compile(r"^<!--\s*include:\s*(?P<path>[^|]+?)\s*(\|\s*(?P<sections>.*?))?\s*-->\s*$")
_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_EXTERNAL = re.compile(r"^([a-z][a-z0-9+.-]*:|#)", re.IGNORECASE)


class IncludeError(Exception):
    """An include directive names a file or section that does not exist."""


def page_for(repo_path: str) -> str | None:
    """The site page (docs_dir-relative) that shows a repository path, if any."""
    path = repo_path.rstrip("/")
    if path == "README.md":
        return "index.md"
    found = re.fullmatch(r"packages/(?P<pkg>tu-[\w-]+)(/README\.md)?", path)
    if found:
        return f"packages/{found.group('pkg')}.md"
    return None


def _outside_fences(lines: list[str]) -> list[bool]:
    """For each line, whether it is prose (not inside a fenced code block)."""
    prose = []
    fence: str | None = None
    for line in lines:
        found = _FENCE.match(line)
        if fence is None:
            if found:
                fence = found.group(1)
                prose.append(False)
                continue
            prose.append(True)
        else:
            prose.append(False)
            if (
                found
                and line.strip() == fence[0] * len(line.strip())
                and len(line.strip()) >= len(fence)
            ):
                fence = None
    return prose


def rewrite_links(text: str, source: str, page: str) -> str:
    """Rewrite relative links in ``text`` (from repo file ``source``) for the site ``page``."""
    page_dir = posixpath.dirname(page)
    source_dir = posixpath.dirname(source)

    def replace(match: re.Match[str]) -> str:
        target = match.group("target")
        if _EXTERNAL.match(target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(source_dir, path))
        shown = page_for(resolved)
        if shown is None:
            return match.group("text")
        link = posixpath.relpath(shown, page_dir or ".")
        return f"[{match.group('text')}]({link}{'#' + anchor if anchor else ''})"

    lines = text.splitlines(keepends=True)
    prose = _outside_fences([line.rstrip("\n") for line in lines])
    return "".join(
        _LINK.sub(replace, line) if ok else line for line, ok in zip(lines, prose, strict=True)
    )


def select_sections(text: str, spec: str, where: str) -> str:
    """Keep (or, with ``-Title``, drop) the level-2 sections named in ``spec``."""
    lines = text.splitlines(keepends=True)
    prose = _outside_fences([line.rstrip("\n") for line in lines])
    chunks: dict[str, list[str]] = {"intro": []}
    order = ["intro"]
    current = "intro"
    for line, ok in zip(lines, prose, strict=True):
        if ok and line.startswith("## "):
            current = line[3:].strip()
            order.append(current)
            chunks[current] = []
        chunks[current].append(line)
    wanted = [s.strip() for s in spec.split(";") if s.strip()]
    for name in wanted:
        if name.lstrip("-") not in chunks:
            raise IncludeError(f"{where}: no section {name.lstrip('-')!r} (has: {order})")
    dropped = {n[1:] for n in wanted if n.startswith("-")}
    kept = [n for n in wanted if not n.startswith("-")] or order
    return "".join("".join(chunks[n]) for n in kept if n not in dropped)


def expand(markdown: str, page: str, root: Path = ROOT) -> str:
    """Replace every include directive of a page's markdown."""
    out = []
    for line in markdown.splitlines(keepends=True):
        found = _INCLUDE.match(line.strip())
        if not found:
            out.append(line)
            continue
        source = found.group("path")
        where = f"{page}: include {source}"
        path = root / source
        if not path.is_file():
            raise IncludeError(f"{where}: no such file")
        text = path.read_text(encoding="utf-8")
        if found.group("sections"):
            text = select_sections(text, found.group("sections"), where)
        out.append(rewrite_links(text, source, page).rstrip("\n") + "\n")
    return "".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs event: expand the includes of one page."""
    return expand(markdown, page.file.src_uri)
