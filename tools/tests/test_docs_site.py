"""The documentation site's own code: the README include hook and the built-site check.

Neither needs mkdocs: the hook's functions are plain text transforms, and the site check is
run here on a small fake site. The real build is ``hatch run docs:build``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "tools" / "docs"


def _load(name: str) -> ModuleType:
    if str(DOCS) not in sys.path:
        sys.path.insert(0, str(DOCS))  # check_site imports check_docstrings by name
    spec = importlib.util.spec_from_file_location(f"tu_docs_{name}", DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


hooks = _load("hooks")
check_site = _load("check_site")


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("README.md", "index.md"),
        ("packages/tu-prune", "packages/tu-prune.md"),
        ("packages/tu-prune/", "packages/tu-prune.md"),
        ("packages/tu-conv1d/README.md", "packages/tu-conv1d.md"),
        ("packages/tu-prune/CHANGELOG.md", None),
        ("tools/bench/bench_prune.py", None),
    ],
)
def test_page_for(path: str, page: str | None) -> None:
    assert hooks.page_for(path) == page


def test_rewrite_links_from_the_root_readme() -> None:
    text = "| [`tu-prune`](packages/tu-prune) | see [bench](tools/bench/x.py) |\n"
    assert hooks.rewrite_links(text, "README.md", "index.md") == (
        "| [`tu-prune`](packages/tu-prune.md) | see bench |\n"
    )


def test_rewrite_links_from_a_package_readme() -> None:
    text = "Part of [tu](../../README.md); needs [tu-conv1d](../tu-conv1d/README.md#api).\n"
    got = hooks.rewrite_links(text, "packages/tu-prune/README.md", "packages/tu-prune.md")
    assert got == "Part of [tu](../index.md); needs [tu-conv1d](tu-conv1d.md#api).\n"


def test_rewrite_links_keeps_urls_anchors_and_code() -> None:
    text = (
        "[a](https://pytorch.org) [b](#local) [c](mailto:x@y.z)\n"
        "```python\nx = [1](packages/tu-prune)\n```\n"
        "[d](packages/tu-cache)\n"
    )
    got = hooks.rewrite_links(text, "README.md", "index.md")
    assert got == text.replace("[d](packages/tu-cache)", "[d](packages/tu-cache.md)")


SECTIONED = """# Title

Intro text.

## One

first

```bash
## not a heading
```

## Two

second
"""


def test_select_sections() -> None:
    assert hooks.select_sections(SECTIONED, "Two", "w") == "## Two\n\nsecond\n"
    assert hooks.select_sections(SECTIONED, "intro", "w") == "# Title\n\nIntro text.\n\n"
    kept = hooks.select_sections(SECTIONED, "-One", "w")
    assert "## Two" in kept and "## One" not in kept and "## not a heading" not in kept
    with pytest.raises(hooks.IncludeError, match="no section 'Three'"):
        hooks.select_sections(SECTIONED, "Three", "w")


def test_expand_includes_and_fails_on_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(SECTIONED, encoding="utf-8")
    page = "# Page\n<!-- include: README.md | Two -->\nafter\n"
    assert hooks.expand(page, "p.md", tmp_path) == "# Page\n## Two\n\nsecond\nafter\n"
    with pytest.raises(hooks.IncludeError, match="no such file"):
        hooks.expand("<!-- include: NOPE.md -->\n", "p.md", tmp_path)


def test_every_package_has_a_page_source() -> None:
    sources = {p.stem for p in (DOCS / "pages" / "packages").glob("*.md")}
    assert sources == {p.name for p in ROOT.glob("packages/tu-*")}
    nav = (DOCS / "mkdocs.yml").read_text(encoding="utf-8")
    for name in sources:
        assert f"packages/{name}.md" in nav


def _fake_site(site: Path) -> None:
    """A site with every page and every anchor check_site looks for."""
    for page in check_site.PAGES:
        (site / page).parent.mkdir(parents=True, exist_ok=True)
        (site / page).write_text("<html></html>", encoding="utf-8")
    for package in check_site.packages():
        own, _ = check_site.own_definitions(package)
        ids = "".join(f'<div id="tu.{package}.{name}"></div>' for name in own)
        title = check_site.readme_title(package)
        page = site / "packages" / f"tu-{package}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(f'<h1 id="t">{title}<a href="#t">¶</a></h1>{ids}', encoding="utf-8")


def test_check_site_accepts_a_complete_site(tmp_path: Path) -> None:
    _fake_site(tmp_path)
    assert check_site.check_site(tmp_path) == []


def test_check_site_reports_a_missing_api_entry_and_page(tmp_path: Path) -> None:
    _fake_site(tmp_path)
    prune = tmp_path / "packages" / "tu-prune" / "index.html"
    prune.write_text(prune.read_text("utf-8").replace('id="tu.prune.prune_heads"', ""), "utf-8")
    (tmp_path / "packages" / "tu-cache" / "index.html").unlink()
    (tmp_path / "releasing" / "index.html").unlink()
    problems = check_site.check_site(tmp_path)
    assert len(problems) == 3
    assert any("releasing" in p and "missing" in p for p in problems)
    assert any("no page for tu-cache" in p for p in problems)
    assert any(p.endswith("no API entry for prune_heads") for p in problems)


def test_check_site_reports_a_page_without_its_readme(tmp_path: Path) -> None:
    _fake_site(tmp_path)
    page = tmp_path / "packages" / "tu-chunk" / "index.html"
    page.write_text(page.read_text("utf-8").replace("<h1", "<h2"), "utf-8")
    assert check_site.check_site(tmp_path) == [f"{page}: the README of tu-chunk is not on it"]
