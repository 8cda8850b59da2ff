"""The import graph of ``src/servicecore``, package by package, and its cycles.

    python benchmarks/import_graph.py            # the package graph, then "cycles: none" (exit 0)
    python benchmarks/import_graph.py --modules  # every module's servicecore imports as well

Only imports at module level count (a statement inside a function runs when
it is called, not when the module loads, and is how a layer defers a heavy or
an outer dependency); imports under ``if TYPE_CHECKING:`` do not count either.
A package is the first name under ``servicecore`` (``servicecore.domain.values``
belongs to ``domain``; ``servicecore.cli`` is the package ``cli``). The command
exits 1 when the package graph has a cycle. ``tests/test_layers.py`` uses these
functions to hold the layer rules.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src"
ROOT = "servicecore"


def module_files(root: str = ROOT, source: Path = SOURCE) -> dict[str, Path]:
    """Every module of the package ``root`` under ``source``, by dotted name."""
    found: dict[str, Path] = {}
    for path in sorted((source / root).rglob("*.py")):
        parts = list(path.relative_to(source).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(body: list[ast.stmt], *, deferred: bool, type_checking: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements run when the module loads: at module level, in class bodies and inside
    ``if``/``try``/``with`` blocks there. With ``deferred``, also those inside functions; with
    ``type_checking``, also those under ``if TYPE_CHECKING:``."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not deferred:
            continue
        skip_body = isinstance(node, ast.If) and _is_type_checking(node.test) and not type_checking
        blocks = [] if skip_body else [getattr(node, "body", None)]
        blocks += [getattr(node, "orelse", None), getattr(node, "finalbody", None)]
        blocks += [handler.body for handler in getattr(node, "handlers", ())]
        blocks += [case.body for case in getattr(node, "cases", ())]
        for block in blocks:
            if isinstance(block, list):
                yield from _imports(block, deferred=deferred, type_checking=type_checking)


def imported_modules(name: str, path: Path, *, deferred: bool = False, type_checking: bool = False) -> set[str]:
    """The absolute names of what module ``name`` (at ``path``) imports when it loads
    (with ``deferred``, also inside its functions; with ``type_checking``, also for the type checker only).

    ``from package import name`` counts as importing ``package.name`` when that is a module
    (the caller resolves it), and as importing ``package`` either way.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _imports(tree.body, deferred=deferred, type_checking=type_checking):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = name.split(".") if is_package else name.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module or ""
        found.add(module)
        found.update(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def module_graph(root: str = ROOT, source: Path = SOURCE, *, deferred: bool = False) -> dict[str, set[str]]:
    """Each module of ``root`` and the modules of ``root`` it imports at load time (with ``deferred``,
    also inside functions)."""
    files = module_files(root, source)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets = set()
        for imported in imported_modules(name, path, deferred=deferred):
            if imported in files:
                targets.add(imported)
            elif imported.rpartition(".")[0] in files:  # from package import a_name (not a module)
                targets.add(imported.rpartition(".")[0])
        targets.discard(name)
        graph[name] = targets
    return graph


def package_of(module: str, root: str = ROOT) -> str:
    """The layer a module belongs to: the first name under ``root`` (``root`` itself for its ``__init__``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package_graph(modules: Mapping[str, set[str]], root: str = ROOT) -> dict[str, set[str]]:
    """``modules`` collapsed to packages: ``domain -> kernel, sla``. The top-level ``__init__`` is left out:
    it only re-exports (lazily), and every module's import of a submodule passes through it anyway."""
    graph: dict[str, set[str]] = {}
    for module, targets in modules.items():
        if module == root:
            continue
        source = package_of(module, root)
        edges = graph.setdefault(source, set())
        edges.update(package_of(t, root) for t in targets if t != root and package_of(t, root) != source)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of ``graph`` with more than one node (Tarjan), each sorted: its cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    """Print the package graph (and, with ``--modules``, the module graph) and its cycles; 1 if there is one."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", action="store_true", help="also print every module's servicecore imports")
    args = parser.parse_args(argv)
    modules = module_graph()
    packages = package_graph(modules)
    print(f"package import graph of src/{ROOT} (module-level imports):")
    for package in sorted(packages):
        print(f"  {package} -> {', '.join(sorted(packages[package])) or '(nothing)'}")
    if args.modules:
        print("module import graph:")
        for module in sorted(modules):
            print(f"  {module} -> {', '.join(sorted(modules[module])) or '(nothing)'}")
    found = cycles(packages)
    print("cycles between packages: " + ("none" if not found else "; ".join(" <-> ".join(c) for c in found)))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
