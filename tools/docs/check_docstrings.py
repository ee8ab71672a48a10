"""Check that every public name of every tu package has a complete Google-style docstring.

Usage: ``python tools/docs/check_docstrings.py [PACKAGE ...]`` (``tu-prune`` or ``prune``;
default: all). Prints one line per problem and exits 1 if there is any.

The rules (the project's docstring convention):

- every name in ``tu.<pkg>.__all__`` has a docstring; for tu.all, only the names it defines
  itself (the others are re-exports, checked in their own package); dunders are skipped;
- a function, or a class's constructor, documents each parameter under ``Args:``, and every
  name under ``Args:`` is a parameter (``*args`` / ``**kwargs`` with or without the stars);
- a function that does not return ``None`` has ``Returns:`` (or ``Yields:``);
- a function (or constructor) whose own body has a ``raise X`` has ``Raises:``;
- functions and classes have an ``Examples:`` section with at least one ``>>>`` line;
- a class's public methods and properties have a docstring;
- a constant or type alias has an attribute docstring (the string literal after it), which is
  what mkdocstrings renders.

It reads the sources with ``ast`` and imports nothing, so it runs the same in the test suite
(tools/tests/test_docs_docstrings.py) and in the docs environment, which has no torch: this is
the step that makes ``hatch run docs:build`` fail on a missing docstring, since mkdocstrings
itself only warns about a mismatched ``Args:`` name.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SECTION = re.compile(r"^(?P<indent>\s*)(?P<name>[A-Z][A-Za-z ]*):\s*$")
_ENTRY = re.compile(r"^(?P<name>\*{0,2}[A-Za-z_]\w*)\s*(\([^)]*\))?\s*:")
_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef)
# `type X = ...` statements (Python 3.12+).
_TYPE_ALIAS: tuple[type[ast.stmt], ...] = tuple(
    getattr(ast, name) for name in ("TypeAlias",) if hasattr(ast, name)
)


@dataclass
class Definition:
    """Where a public name is defined: its module, the node, and the statements around it."""

    module: str
    node: ast.stmt
    following: ast.stmt | None = None  # the statement after it (an attribute docstring)


@dataclass
class Report:
    """The problems found for one package, and the names it checked."""

    package: str
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# Reading docstrings.


def sections(doc: str) -> dict[str, list[str]]:
    """Split a Google-style docstring into ``{section title: body lines}``.

    The text before the first section is under ``""``. Body lines keep their indentation
    relative to the section title.
    """
    result: dict[str, list[str]] = {"": []}
    current = ""
    indent = -1
    for line in inspect.cleandoc(doc).splitlines():
        found = _SECTION.match(line)
        if found:
            current = found.group("name").strip()
            indent = len(found.group("indent"))
            result.setdefault(current, [])
            continue
        if current and line.strip() and len(line) - len(line.lstrip()) <= indent:
            current, indent = "", -1  # dedented text ends the section
        result.setdefault(current, []).append(line)
    return result


def entry_names(body: list[str]) -> list[str]:
    """The names documented in an ``Args:``-like section body (``name (type): text``)."""
    lines = [line for line in body if line.strip()]
    if not lines:
        return []
    indent = min(len(line) - len(line.lstrip()) for line in lines)
    names = []
    for line in lines:
        if len(line) - len(line.lstrip()) == indent:
            found = _ENTRY.match(line.strip())
            if found:
                names.append(found.group("name").lstrip("*"))
    return names


def _section(parts: dict[str, list[str]], *titles: str) -> list[str] | None:
    for title in titles:
        if title in parts:
            return parts[title]
    return None


# Reading signatures.


def _is_overload(node: ast.stmt) -> bool:
    return isinstance(node, _FUNCTION) and any(
        (isinstance(d, ast.Name) and d.id == "overload")
        or (isinstance(d, ast.Attribute) and d.attr == "overload")
        for d in node.decorator_list
    )


def _is_accessor(node: ast.stmt) -> bool:
    """A property's ``@x.setter`` or ``@x.deleter``: documented by the getter's docstring."""
    return isinstance(node, _FUNCTION) and any(
        isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter")
        for d in node.decorator_list
    )


def _decorator_names(node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names


def parameters(node: ast.FunctionDef | ast.AsyncFunctionDef, *, method: bool) -> list[str]:
    """Parameter names to document (``self``/``cls`` of a method left out)."""
    args = node.args
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    is_static = "staticmethod" in _decorator_names(node)
    if method and not is_static and positional:
        positional = positional[1:]
    names = [*positional]
    if args.vararg:
        names.append(args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def returns_none(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    ann = node.returns
    return (isinstance(ann, ast.Constant) and ann.value is None) or (
        isinstance(ann, ast.Name) and ann.id in {"None", "NoReturn", "Never"}
    )


def raises(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the function's own body has a ``raise X`` (nested defs and bare re-raises aside).

    Exceptions raised by the helpers it calls are not seen: the rule asks for ``Raises:``
    where the function itself raises, which is where a reader most needs it.
    """
    todo: list[ast.AST] = list(node.body)
    while todo:
        item = todo.pop()
        if isinstance(item, ast.Raise) and item.exc is not None:
            return True
        if not isinstance(item, (*_FUNCTION, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(item))
    return False


def constructor(cls: ast.ClassDef) -> list[str]:
    """The constructor's parameters: ``__init__``'s, or a dataclass's / NamedTuple's fields."""
    for item in cls.body:
        if isinstance(item, _FUNCTION) and item.name == "__init__":
            return parameters(item, method=True)
    bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in cls.bases}
    if "dataclass" in _decorator_names(cls) or "NamedTuple" in bases:
        return [
            item.target.id
            for item in cls.body
            if isinstance(item, ast.AnnAssign)
            and isinstance(item.target, ast.Name)
            and not _is_classvar(item.annotation)
        ]
    return []


def _is_classvar(annotation: ast.expr) -> bool:
    text = ast.unparse(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))


# Checking one definition.


def check_callable(
    name: str,
    doc: str | None,
    params: Sequence[str],
    *,
    needs_returns: bool,
    needs_raises: bool = False,
    needs_examples: bool = True,
    arg_sections: Sequence[str] = ("Args", "Arguments"),
) -> list[str]:
    """Problems of one function's (or class's) docstring, each prefixed with ``name``.

    ``arg_sections`` are the sections whose entries document ``params`` (a dataclass may
    document its fields under ``Attributes:``).
    """
    if not doc or not doc.strip():
        return [f"{name}: no docstring"]
    parts = sections(doc)
    problems = []
    documented = [n for title in arg_sections for n in entry_names(parts.get(title, []))]
    missing = [p for p in params if p not in documented]
    extra = [d for d in documented if d not in params]
    if missing:
        problems.append(f"{name}: Args: does not document {', '.join(missing)}")
    if extra:
        problems.append(f"{name}: Args: names {', '.join(extra)}, not in the signature")
    if needs_returns and _section(parts, "Returns", "Return", "Yields") is None:
        problems.append(f"{name}: no Returns: section (it does not return None)")
    if needs_raises and _section(parts, "Raises") is None:
        problems.append(f"{name}: no Raises: section (it raises)")
    if needs_examples:
        examples = _section(parts, "Examples", "Example")
        if examples is None:
            problems.append(f"{name}: no Examples: section")
        elif not any(line.strip().startswith(">>>") for line in examples):
            problems.append(f"{name}: Examples: has no '>>>' line")
    return problems


def check_definition(name: str, found: Definition) -> list[str]:
    """Problems of one public name's docstring, by the kind of thing it is."""
    node = found.node
    if isinstance(node, _FUNCTION):
        return check_callable(
            name,
            ast.get_docstring(node),
            parameters(node, method=False),
            needs_returns=not returns_none(node),
            needs_raises=raises(node),
        )
    if isinstance(node, ast.ClassDef):
        doc = ast.get_docstring(node)
        init = next(
            (i for i in node.body if isinstance(i, _FUNCTION) and i.name == "__init__"), None
        )
        init_doc = ast.get_docstring(init) if init is not None else None
        merged = "\n\n".join(d for d in (doc, init_doc) if d) or None
        fields = init is None and bool(constructor(node))  # dataclass or NamedTuple fields
        problems = check_callable(
            name,
            merged,
            constructor(node),
            needs_returns=False,
            needs_raises=init is not None and raises(init),
            arg_sections=("Args", "Arguments", "Attributes") if fields else ("Args", "Arguments"),
        )
        for item in node.body:
            if (
                isinstance(item, _FUNCTION)
                and not item.name.startswith("_")
                and not _is_overload(item)
                and not _is_accessor(item)
                and not ast.get_docstring(item)
            ):
                problems.append(f"{name}.{item.name}: no docstring")
        return problems
    # A constant or type alias: the string literal right after it is its docstring.
    after = found.following
    if (
        isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
        and isinstance(after.value.value, str)
        and after.value.value.strip()
    ):
        return []
    return [f"{name}: no docstring (put a string literal right after the assignment)"]


# Finding where each public name is defined, from the sources.


def _src_dirs(root: Path) -> list[Path]:
    return sorted(root.glob("packages/*/src"))


@cache
def _module_file(root: Path, module: str) -> Path | None:
    for src in _src_dirs(root):
        base = src.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


@cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _bindings(body: list[ast.stmt]) -> Iterator[tuple[str, ast.stmt, ast.stmt | None]]:
    """(name, statement, next statement) for each name a module body binds, in order.

    Descends into ``if`` / ``try`` blocks (``if TYPE_CHECKING:``), not into defs.
    """
    for index, stmt in enumerate(body):
        following = body[index + 1] if index + 1 < len(body) else None
        if isinstance(stmt, (*_FUNCTION, ast.ClassDef)):
            yield stmt.name, stmt, following
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    yield target.id, stmt, following
        elif isinstance(stmt, ast.AnnAssign):
            if isinstance(stmt.target, ast.Name):
                yield stmt.target.id, stmt, following
        elif isinstance(stmt, _TYPE_ALIAS):
            yield stmt.name.id, stmt, following  # type: ignore[attr-defined]
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                yield alias.asname or alias.name, stmt, following
        elif isinstance(stmt, ast.If):
            yield from _bindings(stmt.body)
            yield from _bindings(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _bindings(stmt.body)
            for handler in stmt.handlers:
                yield from _bindings(handler.body)


def _absolute(module: str, is_package: bool, stmt: ast.ImportFrom) -> str:
    if not stmt.level:
        return stmt.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - (stmt.level - 1)]
    return ".".join([*parts, stmt.module] if stmt.module else parts)


def resolve(module: str, name: str, root: Path = ROOT, depth: int = 0) -> Definition | None:
    """Follow imports from ``module`` to the statement that defines ``name`` (or None)."""
    path = _module_file(root, module)
    if path is None or depth > 10:
        return None
    found = [b for b in _bindings(_parse(path).body) if b[0] == name]
    if not found:
        return None
    # The implementation of an overloaded function, else the last binding.
    chosen = next((b for b in reversed(found) if not _is_overload(b[1])), found[-1])
    _, stmt, following = chosen
    if isinstance(stmt, ast.ImportFrom):
        alias = next(a for a in stmt.names if (a.asname or a.name) == name)
        source = _absolute(module, path.name == "__init__.py", stmt)
        return resolve(source, alias.name, root, depth + 1)
    return Definition(module, stmt, following)


def _literal(module: str, variable: str, root: Path) -> object:
    path = _module_file(root, module)
    if path is None:
        return None
    for stmt in _parse(path).body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == variable for t in targets):
            return ast.literal_eval(value)
    return None


def public_names(package: str, root: Path = ROOT) -> list[str]:
    """``tu.<package>.__all__``, read from the source."""
    names = _literal(f"tu.{package}", "__all__", root)
    if not isinstance(names, list | tuple):
        raise ValueError(f"tu.{package}: no literal __all__ in its __init__.py")
    return [str(n) for n in names]


def own_definitions(package: str, root: Path = ROOT) -> tuple[dict[str, Definition], list[str]]:
    """The public names ``tu.<package>`` defines itself, and the ones that cannot be found.

    A name defined in another ``tu.*`` package is a re-export and left out (tu.all re-exports
    the seven packages; its lazy names are looked up in its ``_exports.EXPORTS`` table).
    """
    exports = _literal(f"tu.{package}._exports", "EXPORTS", root)
    lazy = (
        {n: m for m, names in exports.items() for n in names} if isinstance(exports, dict) else {}
    )
    own: dict[str, Definition] = {}
    unknown: list[str] = []
    for name in public_names(package, root):
        if name.startswith("__") and name.endswith("__"):
            continue
        if name in lazy and not _inside(lazy[name], package):
            continue  # a lazy re-export: checked in the package that defines it
        found = resolve(f"tu.{package}", name, root)
        if found is None and name in lazy:
            found = resolve(lazy[name], name, root)
        if found is None:
            unknown.append(name)
            continue
        if _inside(found.module, package):
            own[name] = found
    return own, unknown


def _inside(module: str, package: str) -> bool:
    return module == f"tu.{package}" or module.startswith(f"tu.{package}.")


def packages(root: Path = ROOT) -> list[str]:
    """Short names of every package (``versions``, ``conv1d``, ...)."""
    return sorted(p.name.removeprefix("tu-") for p in root.glob("packages/tu-*"))


def check_package(package: str, root: Path = ROOT) -> Report:
    """Check every public name ``tu.<package>`` defines."""
    report = Report(package)
    own, unknown = own_definitions(package, root)
    for name in unknown:
        report.problems.append(f"tu.{package}.{name}: no definition found in the sources")
    for name, found in own.items():
        report.checked.append(name)
        report.problems += [f"tu.{package}.{problem}" for problem in check_definition(name, found)]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", help="tu-prune or prune; default: every package")
    args = parser.parse_args(argv)
    chosen = [p.removeprefix("tu-") for p in args.packages] or packages()
    failed = 0
    total = 0
    for package in chosen:
        report = check_package(package)
        total += len(report.checked)
        for problem in report.problems:
            print(problem)
        failed += len(report.problems)
    print(f"{total} public names checked in {len(chosen)} package(s): {failed} problem(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
