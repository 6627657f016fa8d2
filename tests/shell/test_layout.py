"""The interpreter's shape: `interp.py` is a core that dispatches, its work is in modules of
functions that reach each other through the interpreter, and no shell module imports the core
back (issue 19: the definitions<->interp cycle, and a 2,800-line class, must not return)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from coverage_diff.shell import interp
from coverage_diff.shell.syntax import STATEMENTS

SHELL = Path(interp.__file__).parent


def imports() -> nx.DiGraph:
    """Arrows between the modules of `shell/`, top-level and deferred imports alike."""
    graph = nx.DiGraph()
    for path in SHELL.glob("*.py"):
        graph.add_node(path.stem)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                targets = [node.module] if node.module else [a.name for a in node.names]
                for target in targets:
                    if (SHELL / f"{target.split('.')[0]}.py").exists():
                        graph.add_edge(path.stem, target.split(".")[0])
    return graph


def test_no_shell_module_imports_the_core_back_and_none_import_in_a_circle():
    graph = imports()
    assert set(graph.predecessors("interp")) == {"__init__"}
    assert list(nx.simple_cycles(graph)) == []


def test_the_modules_of_functions_do_not_import_each_other():
    graph = imports()
    seams = {seam.__name__.rsplit(".", 1)[1] for seam in interp.SEAMS} | {"calls", "expansion", "parameters", "variables"}
    arrows = {(a, b) for a, b in graph.edges if a in seams and b in seams}
    # `${a[9]}` tells an element never set from one set to "" by the one object `variables` keeps
    assert arrows == {("parameters", "variables")}


def test_every_statement_type_has_a_handler_and_the_core_stays_small():
    assert STATEMENTS <= set(interp.HANDLERS)
    source = Path(interp.__file__).read_text()
    core = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "Interpreter")
    assert core.end_lineno - core.lineno < 400
