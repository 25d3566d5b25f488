"""The import graph of roman_lab, read with `ast` (module-level and function-level imports alike):
no module imports the `roman_lab` facade (roman_lab/__init__.py), and there is no cycle, neither
between modules nor between the subpackages and top-level modules."""

import ast
from pathlib import Path

import roman_lab

PACKAGE = Path(roman_lab.__file__).parent
FACADE = "roman_lab"


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(module):
    """(imported module, line) of every import of roman_lab code in `module`; `from X import name`
    counts as an import of X.name when that is a module, else of X."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((a.name, node.lineno) for a in node.names if a.name.split(".")[0] == FACADE)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + [node.module or ""]).strip(".") if node.level else node.module
            if base.split(".")[0] == FACADE:
                for alias in node.names:
                    yield (f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base), node.lineno


GRAPH = {module: sorted(set(imports(module))) for module in MODULES}


def room(module):
    """The subpackage or top-level module a module belongs to (roman_lab.io.reader -> roman_lab.io)."""
    return ".".join(module.split(".")[:2])


def cycles(edges):
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    nodes = sorted({n for edge in edges for n in edge})
    successors = {n: sorted({b for a, b in edges if a == n and b != n}) for n in nodes}
    index, low, stack, found = {}, {}, [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in successors[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read():
    assert "roman_lab.io.reader" in [target for target, _ in GRAPH["roman_lab.io"]]
    assert any(target == "roman_lab.server" for target, _ in GRAPH[FACADE])  # a function-level import


def test_nothing_imports_the_facade():
    upward = [f"{module} line {line}" for module, found in GRAPH.items() if module != FACADE
              for target, line in found if target == FACADE]
    assert upward == [], "import the module that holds it, not the roman_lab facade: " + ", ".join(upward)


def test_no_cycle_between_modules():
    edges = [(module, target) for module, found in GRAPH.items() for target, _ in found if target in MODULES]
    assert cycles(edges) == []


def test_no_cycle_between_subpackages():
    edges = [(room(module), room(target)) for module, found in GRAPH.items() if module != FACADE
             for target, _ in found if room(target) != FACADE]
    assert cycles(edges) == []


def test_ramps_is_a_function_and_its_package_is_a_package():
    from roman_lab import ramp

    assert callable(roman_lab.ramps) and roman_lab.ramps is ramp.ramps
    assert not callable(ramp)
