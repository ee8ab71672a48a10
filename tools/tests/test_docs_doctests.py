"""The ``>>>`` examples in every docstring under packages/*/src/tu/ run as tests.

One test per module, imported by its dotted name (``tu.<pkg>.<module>``), so each docstring is
run once, in the module that defines it (``doctest.DocTestFinder`` skips re-exported objects).
Options: ``ELLIPSIS | NORMALIZE_WHITESPACE``. The working directory is a fresh temporary
directory, as for the README examples. A module that needs transformers is skipped when
transformers is not installed; ``__main__`` modules are not imported (that would run them).
"""

from __future__ import annotations

import doctest
import importlib
import io
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def module_names(root: Path = ROOT) -> list[str]:
    """Dotted names of every module in packages/*/src/tu/, packages included."""
    names: list[str] = []
    for path in sorted(root.glob("packages/*/src/tu/**/*.py")):
        src = next(p for p in path.parents if p.name == "src")
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def import_or_skip(name: str) -> ModuleType:
    """Import a module; skip the test when it needs transformers and transformers is absent."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.split(".")[0] == "transformers":
            pytest.skip(f"{name} needs transformers, which is not installed")
        raise


def run_doctests(module: ModuleType) -> tuple[int, int, str]:
    """Run the module's doctests; return (examples tried, failures, the runner's report)."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=OPTIONS, verbose=False)
    for test in sorted(finder.find(module, module.__name__), key=lambda t: t.name):
        runner.run(test, out=report.write)
    results = runner.summarize(verbose=False)
    return results.attempted, results.failed, report.getvalue()


MODULES = module_names()


def test_modules_are_found() -> None:
    packages = {name.split(".")[1] for name in MODULES}
    expected = {p.name.removeprefix("tu-") for p in ROOT.glob("packages/tu-*")}
    assert packages == expected


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = import_or_skip(name)
    saved = dict(os.environ)  # an example may set TU_DEVICE and the like
    try:
        _, failed, report = run_doctests(module)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if failed:
        pytest.fail(f"{failed} docstring example(s) failed in {name}:\n{report}", pytrace=False)


# The runner itself, on a module built here.


def _fake_module(doc: str) -> ModuleType:
    """A module whose one function carries ``doc`` (defined in the module, as the finder wants)."""
    module = ModuleType("tu_fake_doctest_module")
    exec(f"def scale(x):\n    {doc!r}\n    return x * 2\n", module.__dict__)
    return module


def test_runner_passes_a_correct_example() -> None:
    doc = ">>> from math import sqrt\n>>> sqrt(16)\n4.0\n>>> list(range(30))\n[0, 1, ..., 29]\n"
    attempted, failed, report = run_doctests(_fake_module(doc))
    assert (attempted, failed, report) == (3, 0, "")


def test_runner_fails_when_a_needed_line_is_deleted() -> None:
    doc = ">>> sqrt(16)\n4.0\n"  # the import line is gone
    attempted, failed, report = run_doctests(_fake_module(doc))
    assert (attempted, failed) == (1, 1)
    assert "NameError: name 'sqrt' is not defined" in report


def test_runner_fails_a_wrong_output() -> None:
    attempted, failed, report = run_doctests(_fake_module(">>> 1 + 1\n3\n"))
    assert (attempted, failed) == (1, 1)
    assert "Expected:\n    3\nGot:\n    2" in report


def test_import_or_skip_skips_only_for_transformers() -> None:
    with pytest.raises(ModuleNotFoundError):
        import_or_skip("tu_no_such_module_x")
