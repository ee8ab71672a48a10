"""Every public name of every tu package has a complete docstring (tools/docs/check_docstrings.py).

The checker reads the sources statically (it also runs, without torch, in ``hatch run
docs:build``); these tests run it on every package, cross-check what it reads against the
imported packages, and run it on a small fake package written to tmp_path.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_checker() -> ModuleType:
    path = ROOT / "tools" / "docs" / "check_docstrings.py"
    spec = importlib.util.spec_from_file_location("tu_docs_check_docstrings", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


checker = _load_checker()
PACKAGES: list[str] = checker.packages()


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_have_complete_docstrings(package: str) -> None:
    report = checker.check_package(package)
    assert report.checked, f"tu.{package}: no public name checked"
    if report.problems:
        pytest.fail("\n".join(report.problems), pytrace=False)


@pytest.mark.parametrize("package", PACKAGES)
def test_checker_reads_the_same_all_as_the_import(package: str) -> None:
    module = importlib.import_module(f"tu.{package}")
    assert checker.public_names(package) == list(module.__all__)


def test_tu_all_checks_only_its_own_names() -> None:
    from tu.all._exports import MODULE_OF

    own, unknown = checker.own_definitions("all")
    assert unknown == []
    defined_here = {n for n, m in MODULE_OF.items() if m.startswith("tu.all")}
    assert set(own) == defined_here
    assert {"backfill_transformers", "is_norm_layer"} <= set(own)


# The checker on a fake package.

FAKE_INIT = '''
"""A fake package."""
from tu.fake._impl import (
    LIMIT, NO_DOC, Layer, Record, bad_args, good, no_doc, no_examples, no_returns, overloaded,
    raises_documented, raises_undocumented, returns_nothing, star_args,
)
from ._rel import relative
from tu.other import elsewhere

__version__ = "0"
__all__ = [
    "__version__", "LIMIT", "NO_DOC", "Layer", "Record", "bad_args", "elsewhere", "good",
    "missing", "no_doc", "no_examples", "no_returns", "overloaded", "raises_documented",
    "raises_undocumented", "relative", "returns_nothing", "star_args",
]
'''

FAKE_IMPL = '''
from dataclasses import dataclass
from typing import overload

LIMIT = 3
"""How many."""

NO_DOC = 4


def good(x: int, *, scale: float = 1.0) -> float:
    """Scale.

    Args:
        x: A number.
        scale (float): The factor.

    Returns:
        The product.

    Examples:
        >>> good(2)
        2.0
    """
    return x * scale


def no_doc(x: int) -> int:
    return x


def bad_args(x: int, y: int) -> int:
    """Add.

    Args:
        x: A number.
        z: Not a parameter.

    Returns:
        The sum.

    Examples:
        >>> bad_args(1, 2)
        3
    """
    return x + y


def no_returns(x: int) -> int:
    """Identity.

    Args:
        x: A number.

    Examples:
        >>> no_returns(1)
        1
    """
    return x


def returns_nothing(x: int) -> None:
    """Nothing.

    Args:
        x: A number.

    Examples:
        This one has prose only.
    """


def raises_documented(x: int) -> None:
    """Check.

    Args:
        x: A number.

    Raises:
        ValueError: ``x`` is negative.

    Examples:
        >>> raises_documented(1)
    """
    def inner() -> None:
        raise TypeError  # a nested def's raise is not this function's
    try:
        inner()
    except TypeError:
        raise  # a bare re-raise is not counted either
    if x < 0:
        raise ValueError(x)


def raises_undocumented(x: int) -> None:
    """Check.

    Args:
        x: A number.

    Examples:
        >>> raises_undocumented(1)
    """
    if x < 0:
        raise ValueError(x)


def no_examples() -> int:
    """One.

    Returns:
        1.
    """
    return 1


def star_args(*items: int, **options: str) -> None:
    """Stars.

    Args:
        *items: Numbers.
        **options: Names.

    Examples:
        >>> star_args(1, a="b")
    """


@overload
def overloaded(x: int) -> int: ...
@overload
def overloaded(x: str) -> str: ...
def overloaded(x: object) -> object:
    """Same.

    Args:
        x: Anything.

    Returns:
        ``x``.

    Examples:
        >>> overloaded(1)
        1
    """
    return x


class Layer:
    """A layer.

    Args:
        size: Its size.

    Examples:
        >>> Layer(2).size
        2
    """

    def __init__(self, size: int) -> None:
        self.size = size

    def grow(self) -> None:
        self.size += 1

    def _private(self) -> None:
        pass

    @property
    def width(self) -> int:
        """Its width; the setter below needs no docstring of its own."""
        return self.size

    @width.setter
    def width(self, value: int) -> None:
        self.size = value

    @property
    def depth(self) -> int:
        return self.size


@dataclass(frozen=True)
class Record:
    """A record.

    Attributes:
        name: Its name.

    Examples:
        >>> Record("a", 1).name
        'a'
    """

    name: str
    size: int
'''

FAKE_REL = '''
def relative() -> None:
    """Relative import, no Examples section."""
'''


@pytest.fixture(scope="module")
def fake_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    root = tmp_path_factory.mktemp("fake_repo")
    src = root / "packages" / "tu-fake" / "src" / "tu" / "fake"
    src.mkdir(parents=True)
    (src / "__init__.py").write_text(textwrap.dedent(FAKE_INIT))
    (src / "_impl.py").write_text(textwrap.dedent(FAKE_IMPL))
    (src / "_rel.py").write_text(textwrap.dedent(FAKE_REL))
    other = root / "packages" / "tu-other" / "src" / "tu" / "other"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("def elsewhere() -> int:\n    return 1\n")
    report = checker.check_package("fake", root)
    return report.checked, report.problems


def _about(problems: list[str], name: str) -> list[str]:
    return [p.split(": ", 1)[1] for p in problems if p.split(": ", 1)[0] == f"tu.fake.{name}"]


@pytest.mark.parametrize("name", ["good", "LIMIT", "returns_nothing", "star_args", "overloaded"])
def test_checker_accepts_complete_docstrings(
    fake_report: tuple[list[str], list[str]], name: str
) -> None:
    checked, problems = fake_report
    assert name in checked
    if name == "returns_nothing":  # prose without '>>>' is not an example
        assert _about(problems, name) == ["Examples: has no '>>>' line"]
    else:
        assert _about(problems, name) == []


def test_checker_reports_each_kind_of_gap(fake_report: tuple[list[str], list[str]]) -> None:
    _, problems = fake_report
    assert _about(problems, "no_doc") == ["no docstring"]
    assert _about(problems, "NO_DOC") == [
        "no docstring (put a string literal right after the assignment)"
    ]
    assert _about(problems, "bad_args") == [
        "Args: does not document y",
        "Args: names z, not in the signature",
    ]
    assert _about(problems, "no_returns") == ["no Returns: section (it does not return None)"]
    assert _about(problems, "no_examples") == ["no Examples: section"]
    assert _about(problems, "raises_undocumented") == ["no Raises: section (it raises)"]
    assert _about(problems, "raises_documented") == []
    assert _about(problems, "relative") == ["no Examples: section"]  # relative import followed
    assert _about(problems, "missing") == ["no definition found in the sources"]


def test_checker_on_classes(fake_report: tuple[list[str], list[str]]) -> None:
    _, problems = fake_report
    assert _about(problems, "Layer") == []
    assert _about(problems, "Layer.grow") == ["no docstring"]  # public method; _private is not
    assert _about(problems, "Layer.depth") == ["no docstring"]  # a getter needs one
    assert _about(problems, "Layer.width") == []  # documented getter; its setter needs none
    assert _about(problems, "Record") == ["Args: does not document size"]


def test_checker_skips_reexports_and_dunders(fake_report: tuple[list[str], list[str]]) -> None:
    checked, problems = fake_report
    assert "elsewhere" not in checked and "__version__" not in checked
    assert not [p for p in problems if "elsewhere" in p or "__version__" in p]


def test_sections_and_entries() -> None:
    doc = """Summary.

    Args:
        first (int): One,
            continued.
        *rest: More.

    Returns:
        Something.
    Back at the top level.
    """
    parts = checker.sections(doc)
    assert checker.entry_names(parts["Args"]) == ["first", "rest"]
    assert "Back at the top level." in parts[""]
    assert [line.strip() for line in parts["Returns"]] == ["Something."]


def test_main_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code = checker.main(["tu-versions"])
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].endswith("problem(s)")
    assert code == (0 if out.strip().endswith(": 0 problem(s)") else 1)
