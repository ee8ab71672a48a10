"""Every fenced ``python`` block of README.md and packages/*/README.md runs as a test.

The convention (README's "Docstrings and examples"): each block runs on its own, in a fresh
namespace, with a fresh temporary directory as the working directory. A trailing
``# -> TEXT`` comment on a top-level expression statement checks ``repr(value) == TEXT``. An
HTML comment on the line before the fence changes how the block runs:
``<!-- example: requires MODULE -->`` skips it when MODULE cannot be imported and
``<!-- example: skip REASON -->`` always skips it.

The collector is ours rather than a pytest plugin (pytest-markdown-docs, phmdoctest, ...):
the ``# -> repr`` output check and the two markers are this project's own convention, and none
of the plugins implements that exact grammar; a hundred lines here keep the rules in one place,
need no extra test dependency and fail with README file:line locations.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import os
import re
import tokenize
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*python\s*$")
_MARKER = re.compile(r"^\s*<!--\s*example:\s*(?P<body>.*?)\s*-->\s*$")
_MARKER_LIKE = re.compile(r"<!--\s*example\b")
_EXPECT = re.compile(r"^#\s*->\s?(?P<text>.*?)\s*$")


@dataclass(frozen=True)
class Marker:
    """A parsed ``<!-- example: ... -->`` line: ``kind`` is "requires" or "skip"."""

    kind: str
    arg: str


@dataclass(frozen=True)
class Block:
    """One fenced python block: where it is, its code and its marker (if any)."""

    path: Path
    line: int  # 1-based line of the opening fence
    code: str
    marker: Marker | None

    @property
    def first_code_line(self) -> int:
        return self.line + 1

    def id(self, root: Path = ROOT) -> str:
        try:
            shown = self.path.relative_to(root).as_posix()
        except ValueError:
            shown = self.path.name
        return f"{shown}:{self.line}"


class ExampleError(Exception):
    """A README breaks the example convention (a malformed marker, a stray ``# ->``)."""


def _parse_marker(text: str, where: str) -> Marker:
    body = text.split(None, 1)
    kind = body[0] if body else ""
    arg = body[1].strip() if len(body) > 1 else ""
    if kind == "requires" and re.fullmatch(r"[A-Za-z_][\w.]*", arg):
        return Marker("requires", arg)
    if kind == "skip" and arg:
        return Marker("skip", arg)
    raise ExampleError(
        f"{where}: expected '<!-- example: requires MODULE -->' or "
        f"'<!-- example: skip REASON -->', got {text!r}"
    )


def collect(path: Path) -> tuple[list[Block], list[str]]:
    """Return the python blocks of one markdown file and the convention errors found in it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    errors: list[str] = []
    pending: tuple[int, Marker] | None = None  # a marker waiting for its fence
    i = 0
    while i < len(lines):
        line = lines[i]
        where = f"{path}:{i + 1}"
        opened = _FENCE_OPEN.match(line)
        if opened:
            indent, fence = opened.group("indent"), opened.group("fence")
            body: list[str] = []
            j = i + 1
            while j < len(lines) and not (
                lines[j].strip().startswith(fence) and set(lines[j].strip()) == {fence[0]}
            ):
                code_line = lines[j]
                body.append(code_line[len(indent) :] if code_line.startswith(indent) else code_line)
                j += 1
            if j == len(lines):
                errors.append(f"{where}: python fence is never closed")
            marker = pending[1] if pending else None
            blocks.append(Block(path, i + 1, "\n".join(body) + "\n", marker))
            pending = None
            i = j + 1
            continue
        if _MARKER_LIKE.search(line):
            if pending:
                errors.append(f"{path}:{pending[0]}: marker is not followed by a python block")
            found = _MARKER.match(line)
            try:
                if not found:
                    raise ExampleError(f"{where}: a marker must be alone on its line: {line!r}")
                pending = (i + 1, _parse_marker(found.group("body"), where))
            except ExampleError as exc:
                errors.append(str(exc))
                pending = None
        elif line.strip() and pending:
            errors.append(f"{path}:{pending[0]}: marker is not followed by a python block")
            pending = None
        i += 1
    if pending:
        errors.append(f"{path}:{pending[0]}: marker is not followed by a python block")
    return blocks, errors


def readme_paths(root: Path = ROOT) -> list[Path]:
    """The root README and every package README, in a stable order."""
    return [root / "README.md", *sorted(root.glob("packages/*/README.md"))]


def _expectations(block: Block) -> dict[int, str]:
    """Map README line number -> expected repr, from ``# -> TEXT`` comments."""
    found: dict[int, str] = {}
    tokens = tokenize.generate_tokens(io.StringIO(block.code).readline)
    for token in tokens:
        if token.type == tokenize.COMMENT:
            match = _EXPECT.match(token.string)
            if match:
                found[token.start[0] + block.first_code_line - 1] = match.group("text")
    return found


def run_block(block: Block) -> None:
    """Run one block statement by statement; check each ``# -> TEXT`` against the repr.

    Raises whatever the block raises (the traceback names the README and its line), and
    ``pytest.fail`` for a wrong ``# -> TEXT`` or a ``# ->`` that is not on a top-level
    expression statement.
    """
    if block.marker is not None:
        if block.marker.kind == "skip":
            pytest.skip(block.marker.arg)
        try:
            spec = importlib.util.find_spec(block.marker.arg)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            pytest.skip(f"requires {block.marker.arg}, which is not importable")
    filename = str(block.path)
    tree = ast.parse(block.code, filename=filename)
    ast.increment_lineno(tree, block.first_code_line - 1)
    expected = _expectations(block)
    claimed: set[int] = set()
    namespace: dict[str, object] = {"__name__": "__main__"}
    for stmt in tree.body:
        end = stmt.end_lineno or stmt.lineno
        lines = [n for n in expected if stmt.lineno <= n <= end]
        if lines and isinstance(stmt, ast.Expr):
            claimed.update(lines)
            want = expected[lines[-1]]
            code = compile(ast.Expression(stmt.value), filename, "eval")
            got = repr(eval(code, namespace))
            if got != want:
                first = stmt.lineno - block.first_code_line
                source = "\n".join(block.code.splitlines()[first : end - block.first_code_line + 1])
                pytest.fail(
                    f"{block.path}:{lines[-1]}: {source.strip()}\n"
                    f"  expected: {want}\n"
                    f"  got:      {got}",
                    pytrace=False,
                )
            continue
        exec(compile(ast.Module([stmt], type_ignores=[]), filename, "exec"), namespace)
    stray = sorted(set(expected) - claimed)
    if stray:
        pytest.fail(
            f"{block.path}:{stray[0]}: '# ->' must end a top-level expression statement "
            "(the value whose repr it shows)",
            pytrace=False,
        )


def _collect_all(root: Path = ROOT) -> tuple[list[Block], list[str]]:
    blocks: list[Block] = []
    errors: list[str] = []
    for path in readme_paths(root):
        found, problems = collect(path)
        blocks += found
        errors += problems
    return blocks, errors


BLOCKS, COLLECT_ERRORS = _collect_all()


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id() for b in BLOCKS])
def test_readme_example(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)  # an example may set TU_DEVICE and the like
    try:
        run_block(block)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_readme_markers_are_well_formed() -> None:
    assert COLLECT_ERRORS == []


@pytest.mark.parametrize(
    "readme", sorted(ROOT.glob("packages/*/README.md")), ids=lambda p: p.parent.name
)
def test_every_package_readme_has_an_example(readme: Path) -> None:
    # A renamed fence (```py, ```Python) must not silently drop a package's examples.
    assert [b for b in BLOCKS if b.path == readme], f"no ```python block found in {readme}"


# The collector itself, on small README files written to tmp_path.


def _one_block(tmp_path: Path, text: str) -> Block:
    readme = tmp_path / "README.md"
    readme.write_text(text, encoding="utf-8")
    blocks, errors = collect(readme)
    assert errors == []
    assert len(blocks) == 1
    return blocks[0]


GOOD = """# demo

Some text.

```python
import math

root = math.sqrt(16)
root  # -> 4.0
[root] * 2  # -> [4.0, 4.0]
```
"""


def test_collector_runs_a_good_block_and_checks_its_output(tmp_path: Path) -> None:
    block = _one_block(tmp_path, GOOD)
    assert block.line == 5
    assert block.id(tmp_path) == "README.md:5"
    run_block(block)


def test_collector_fails_a_block_with_a_missing_import(tmp_path: Path) -> None:
    block = _one_block(tmp_path, GOOD.replace("import math\n", ""))
    with pytest.raises(NameError, match="math"):
        run_block(block)


def test_collector_fails_when_a_needed_line_is_deleted(tmp_path: Path) -> None:
    block = _one_block(tmp_path, GOOD.replace("root = math.sqrt(16)\n", ""))
    with pytest.raises(NameError, match="root"):
        run_block(block)


def test_collector_reports_a_wrong_output_comment_with_its_line(tmp_path: Path) -> None:
    block = _one_block(tmp_path, GOOD.replace("# -> 4.0", "# -> 5.0"))
    with pytest.raises(pytest.fail.Exception) as info:
        run_block(block)
    message = str(info.value)
    assert f"{tmp_path / 'README.md'}:9:" in message
    assert "expected: 5.0" in message and "got:      4.0" in message


def test_collector_rejects_an_output_comment_on_an_assignment(tmp_path: Path) -> None:
    block = _one_block(tmp_path, "```python\nx = 1  # -> 1\n```\n")
    with pytest.raises(pytest.fail.Exception, match="top-level expression"):
        run_block(block)


def test_collector_tracebacks_name_the_readme_line(tmp_path: Path) -> None:
    block = _one_block(tmp_path, "text\n\n```python\nx = 1\nraise ValueError(x)\n```\n")
    with pytest.raises(ValueError) as info:
        run_block(block)
    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(info.tb)]
    assert (str(tmp_path / "README.md"), 5) in frames


def test_collector_runs_in_a_fresh_namespace_and_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = '```python\nopen("out.txt", "w").write("hi")\n```\n\n```python\nx\n```\n'
    readme = tmp_path / "README.md"
    readme.write_text(text, encoding="utf-8")
    first, second = collect(readme)[0]
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    run_block(first)
    assert (work / "out.txt").read_text() == "hi"
    with pytest.raises(NameError):  # nothing leaks from one block to the next
        run_block(second)


def test_collector_requires_marker_skips_when_absent(tmp_path: Path) -> None:
    text = "<!-- example: requires tu_no_such_module_x -->\n```python\nraise SystemExit\n```\n"
    block = _one_block(tmp_path, text)
    assert block.marker == Marker("requires", "tu_no_such_module_x")
    with pytest.raises(pytest.skip.Exception, match="tu_no_such_module_x"):
        run_block(block)


def test_collector_requires_marker_runs_when_present(tmp_path: Path) -> None:
    text = (
        "<!-- example: requires json -->\n\n```python\nimport json\njson.dumps(1)  # -> '1'\n```\n"
    )
    run_block(_one_block(tmp_path, text))
    broken = _one_block(tmp_path, text.replace("'1'", "'2'"))
    with pytest.raises(pytest.fail.Exception):
        run_block(broken)


def test_collector_skip_marker_always_skips(tmp_path: Path) -> None:
    text = "<!-- example: skip needs a GPU -->\n```python\nraise SystemExit\n```\n"
    with pytest.raises(pytest.skip.Exception, match="needs a GPU"):
        run_block(_one_block(tmp_path, text))


def test_collector_ignores_other_fences(tmp_path: Path) -> None:
    text = "```\npip install x\n```\n\n```bash\nls\n```\n\n```pycon\n>>> 1\n```\n"
    readme = tmp_path / "README.md"
    readme.write_text(text, encoding="utf-8")
    assert collect(readme) == ([], [])


@pytest.mark.parametrize(
    "marker",
    [
        "<!-- example: requries torch -->",
        "<!-- example: skip -->",
        "<!-- example: requires -->",
        "text <!-- example: skip x -->",
    ],
)
def test_collector_reports_malformed_markers(tmp_path: Path, marker: str) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"{marker}\n```python\npass\n```\n", encoding="utf-8")
    blocks, errors = collect(readme)
    assert len(blocks) == 1 and blocks[0].marker is None
    assert len(errors) == 1 and f"{readme}:1" in errors[0]


def test_collector_reports_a_marker_without_a_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("<!-- example: skip x -->\nSome text.\n```python\npass\n```\n", "utf-8")
    blocks, errors = collect(readme)
    assert blocks[0].marker is None
    assert errors == [f"{readme}:1: marker is not followed by a python block"]
