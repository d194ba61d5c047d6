"""The package's layout: no import cycle among iapt_ds's modules, and no module shadowed by a
function or class of the same name beside it in its package."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "iapt_ds"


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (its file, whether it is a package)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = _modules()
#: modules that do something when imported (``python -m iapt_ds`` runs the command)
RUN_ON_IMPORT = {"iapt_ds.__main__"}


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(name: str) -> set[str]:
    """The iapt_ds modules *name* imports, anywhere in it (a function's own import too), except
    under ``if TYPE_CHECKING:``. ``from .x import y`` imports ``x``, or ``x.y`` when that is a
    module."""
    path, is_package = MODULES[name]
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit_node(other)
                continue
            visit_node(child)

    def visit_node(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:
                found.add(f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target)
        visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return {m for m in found if m in MODULES and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return out


def test_no_import_cycle_among_iapt_ds_modules():
    graph = {name: _imports(name) for name in MODULES}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_and_what_a_module_imports():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    # the pipeline imports its stages; a TYPE_CHECKING-only import is no edge
    assert {"iapt_ds.cascade", "iapt_ds.ledger", "iapt_ds.outcome"} <= _imports("iapt_ds.pipeline")
    assert "iapt_ds.checks.context" not in _imports("iapt_ds.cascade")


PACKAGES = sorted(name for name, (_, is_package) in MODULES.items() if is_package)


def _bound_names(path: Path) -> set[str]:
    """The names a package's ``__init__`` defines, imports or lists in ``__all__``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node in tree.body:
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign) and node in tree.body:
            for t in node.targets:
                if isinstance(t, ast.Name):
                    names.add(t.id)
                    if t.id == "__all__" and isinstance(node.value, (ast.List, ast.Tuple)):
                        names.update(e.value for e in node.value.elts if isinstance(e, ast.Constant))
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_shares_its_name_with_a_function_or_class_beside_it(package):
    path = MODULES[package][0]
    children = {name.rpartition(".")[2] for name in MODULES if name.rpartition(".")[0] == package}
    # a name the package binds (statically) that is not the submodule itself
    clashes = set()
    for name in _bound_names(path) & children:
        module = importlib.import_module(package)
        if not inspect.ismodule(getattr(module, name, None)):
            clashes.add(name)
    # and at run time, once every submodule is imported, each is what its name gives
    module = importlib.import_module(package)
    for child in sorted(children - {n.rpartition(".")[2] for n in RUN_ON_IMPORT}):
        if package == "iapt_ds.testing" or package.startswith("iapt_ds.testing."):
            pytest.importorskip("hypothesis")
        importlib.import_module(f"{package}.{child}")
        value = getattr(module, child)
        if inspect.isfunction(value) or inspect.isclass(value):
            clashes.add(child)
    for name in getattr(module, "__all__", ()):
        if name in children and not inspect.ismodule(getattr(module, name)):
            clashes.add(name)
    assert not clashes, f"{package}: modules shadowed by a name beside them: {sorted(clashes)}"


def test_each_public_module_is_reachable_by_its_dotted_name():
    """``import iapt_ds.readers.csv_folder`` and the like give the module, never a function."""
    for name in sorted(set(MODULES) - RUN_ON_IMPORT):
        if name.startswith("iapt_ds.testing"):
            pytest.importorskip("hypothesis")
        assert inspect.ismodule(importlib.import_module(name))


def test_ci_checks_types_before_the_tests_and_the_readme_says_the_same():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "python3 -m mypy iapt_ds && python3 -m pytest -q"
    assert command in run and command in readme
    assert "mypy>=" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_mypy_checks_every_module_of_the_package():
    # iapt_ds.testing was once left out; nothing is excluded now
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[tool.mypy]", 1)[1].split("\n[", 1)[0]
    assert "exclude" not in section
