#!/usr/bin/env python3
"""The shape of a Python package, measured from its source (issue 19's measures).

    python tools/arch_measures.py [--root src/coverage_diff] [--json] [--list]

Reads every module's syntax tree (nothing is imported or run) and prints:

- the import graph: modules, arrows between them (top-level, deferred inside a
  function, type-only), the same folded to units (a subpackage, or a module
  directly in the package), and the layers of that graph: the longest chain of
  arrows below each unit once cycles are folded;
- arrows that climb the pipeline: a unit importing one that `PIPELINE` ranks
  later (the order `snapshot -> ci/ -> shell/ -> ... -> cli` of the design);
- import cycles: strongly connected groups of modules, through top-level imports
  alone and through every import (a deferred import that closes a cycle only hides it);
- the largest file (lines) and the largest class (lines, methods);
- functions over 80 lines, out of how many;
- writes to another object's private state: `x.__dict__[...]` and its
  `setdefault`/`update`/`pop`, `x._name = ...` where `x` is not `self`/`cls`,
  `setattr(x, "_name", ...)`; reads of `x.__dict__` are counted beside them;
- module-level state: names rebound through `global`; module-level containers
  (also tuples of them, and containers in a class body) that some code writes into,
  however deep (`X[a][k] = v`, `X[a].clear()`); module-level instances of the package's
  own (unfrozen) classes and of counters; `lru_cache`/`cache` on module functions and
  methods; functions decorated or made by a memo factory (a module function whose
  closure writes into a container of its own: `memoise(fn)` with `memo = {}` inside);
  container defaults a function writes into (`def f(x, seen={})`); and forks; and which
  of those places lie outside the engine (`state_outside`: issue 19 wants none there);
- parameters named `inventory` and how many carry no annotation.

`--list` names every place counted; `--json` prints the numbers as one object.

`--trace REPO RANGE` runs `coverage-diff RANGE --repo REPO` (json, no cache, one process) with the
package at `--root` under a profiler and counts, as distinct caller -> callee function pairs, the
calls that enter the session (`engine/session.py`, once `api.py`) from another module and the calls that climb the pipeline (a function of
a unit `PIPELINE` ranks earlier calling one ranked later: a callback up the layers).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import io
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

# The pipeline as the design draws it, first to last; an arrow from a unit to one
# ranked later climbs back up.  Units absent here are left out of that count.
# The engine (`engine/`) is a wing beside the pipeline, not a layer of it: its modules are
# units of their own, each ranked where its work sits (the names before it moved there
# are kept, so that `--root` measures an older checkout with the same ruler).
WINGS = ("engine",)
PIPELINE = (
    ("model", "kinds", "words", "isolation", "gitcmd", "__init__", "engine.__init__", "engine.store"),
    ("snapshot", "config", "cache", "parallel", "stored", "engine.cache", "engine.parallel", "engine.stored"),
    ("ci", "treecheck"),  # treecheck checks the files the front-ends read
    ("shell",),
    ("memo", "subjects", "graph", "inventory", "world", "engine.memo", "engine.build", "engine.world"),
    ("reasons", "identity", "diff", "audit", "explain", "history", "acknowledge", "baseline", "suppress",
     "engine.walk", "engine.commits", "engine.persist"),
    ("report",),
    ("api", "engine.session"),
    ("github", "bot", "delivery", "commands", "cli", "__main__"),
)
SESSION = ("api", "engine.session")  # where a command enters the library
LONG_FUNCTION = 80
# What the issue counts as declared in several places: the diff kinds' ids, and the CI
# systems (their `Job.system` names and their settings' globs) outside `ci/`.
KIND_IDS = {"silently-dropped", "removed", "narrowed", "tier-changed", "changed", "moved", "added"}
CI_NAMES = {"buildkite", "github-actions", "gitlab", "buildkite_globs", "github_globs", "gitlab_globs"}
MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "clear", "remove",
            "discard", "move_to_end", "__setitem__"}
CONTAINER_CALLS = {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque", "WeakKeyDictionary",
                   "WeakValueDictionary", "WeakSet"}
DICT_WRITES = {"setdefault", "update", "pop", "popitem", "clear", "__setitem__"}
CACHE_DECORATORS = {"lru_cache", "cache"}
IMMUTABLE_BUILTINS = {"str", "int", "float", "bytes", "tuple", "frozenset"}
STATEFUL_CALLS = {"count", "cycle"}  # library objects that change as they are used (`next(_ids)`)


@dataclass
class Module:
    name: str  # dotted, relative to the package: "ci.buildkite", "model"
    path: Path
    tree: ast.Module
    lines: int
    is_package: bool

    @property
    def unit(self) -> str:
        return unit_of(self.name)


def unit_of(module: str) -> str:
    """A module's unit: its subpackage or top module; a wing's modules are units of their own."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in WINGS and len(parts) > 1 else parts[0]


@dataclass
class Measures:
    modules: dict[str, Module]
    imports: list[tuple[str, str, str, int]] = field(default_factory=list)  # (from, to, how, line)
    places: dict[str, list[str]] = field(default_factory=dict)  # measure -> "module:line detail"
    dict_keys: set[str] = field(default_factory=set)  # the keys read or written through `__dict__`

    def note(self, measure: str, module: Module, line: int, detail: str) -> None:
        self.places.setdefault(measure, []).append(f"{module.name}:{line} {detail}")


# --------------------------------------------------------------------------- reading
def read_package(root: Path) -> dict[str, Module]:
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package and len(parts) > 1:
            parts = parts[:-1]
        name = ".".join(parts)
        text = path.read_text(encoding="utf-8")
        out[name] = Module(name, path, ast.parse(text, str(path)), text.count("\n") + (not text.endswith("\n")), is_package)
    return out


def _resolve(module: Module, node: ast.ImportFrom | ast.Import, modules: dict[str, Module], package: str) -> list[str]:
    """The package's modules an import statement reaches."""
    if isinstance(node, ast.Import):
        return [n.name[len(package) + 1:] for n in node.names if n.name.startswith(package + ".")]
    if node.level == 0:
        if node.module != package and not (node.module or "").startswith(package + "."):
            return []
        base = (node.module or "")[len(package) + 1:]
    else:
        here = module.name.split(".") if module.is_package and module.name != "__init__" else module.name.split(".")[:-1]
        if module.name == "__init__":
            here = []
        here = here[: len(here) - (node.level - 1)] if node.level > 1 else here
        base = ".".join(here + ([node.module] if node.module else []))
    targets = []
    for alias in node.names:
        full = f"{base}.{alias.name}" if base else alias.name
        if full in modules:
            targets.append(full)  # `from . import buildkite`: the module itself
        elif base in modules or base == "":
            targets.append(base or "__init__")
    return list(dict.fromkeys(targets))


def _import_kind(stack: list[ast.AST]) -> str:
    for node in stack:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return "typing"
    if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in stack):
        return "deferred"
    return "top"


def _walk(node: ast.AST, stack: list[ast.AST]):
    """Every node with the chain of nodes above it."""
    yield node, stack
    for child in ast.iter_child_nodes(node):
        yield from _walk(child, stack + [node])


# --------------------------------------------------------------------------- measures
def measure(root: Path) -> Measures:
    package = root.name
    modules = read_package(root)
    m = Measures(modules)
    classes = _project_classes(modules)
    factories = memo_factories(modules)
    constants = {name: value for module in modules.values() for name, value in _string_constants(module.tree).items()}
    for module in modules.values():
        module_names = _module_aliases(module, modules, package)
        for node, stack in _walk(module.tree, []):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _resolve(module, node, modules, package):
                    if target != module.name:
                        m.imports.append((module.name, target, _import_kind(stack), node.lineno))
                if isinstance(node, ast.ImportFrom) and node.level + (node.module or "").startswith(package):
                    for alias in node.names:
                        if alias.name.startswith("_") and not alias.name.startswith("__"):
                            m.note("private names imported from another module", module, node.lineno, alias.name)
            _private_state(m, module, node, stack, constants, module_names)
            _shapes(m, module, node)
        _module_state(m, module, classes, factories)
    return m


def _module_aliases(module: Module, modules: dict[str, Module], package: str) -> set[str]:
    """Local names that stand for one of the package's modules (`from . import parallel`)."""
    names = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            for alias, target in zip(node.names, _resolve(module, node, modules, package) * len(node.names)):
                if target.split(".")[-1] == alias.name:
                    names.add(alias.asname or alias.name)
    return names


def _string_constants(tree: ast.Module) -> dict[str, str]:
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            out.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return out


def _key(node: ast.AST | None, constants: dict[str, str]) -> str:
    if isinstance(node, ast.Constant):
        return repr(node.value)
    if isinstance(node, ast.Name) and node.id in constants:
        return repr(constants[node.id])
    return ast.unparse(node) if node is not None else ""


def _owner(node: ast.AST) -> str:
    return ast.unparse(node)


def _private_state(m: Measures, module: Module, node: ast.AST, stack: list[ast.AST], constants, module_names) -> None:
    parent = stack[-1] if stack else None
    # x.__dict__[k] (write or read), x.__dict__.setdefault(k) ...
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        owner = _owner(node.value)
        key = ""
        if isinstance(parent, ast.Subscript) and parent.value is node:
            write = isinstance(parent.ctx, (ast.Store, ast.Del))
            key = _key(parent.slice, constants)
            detail = f"{owner}.__dict__[{key}]"
        elif isinstance(parent, ast.Attribute) and parent.value is node:
            call = stack[-2] if len(stack) > 1 else None
            args = call.args if isinstance(call, ast.Call) and call.func is parent else []
            write = parent.attr in DICT_WRITES
            key = _key(args[0], constants) if args and parent.attr != "update" else ""
            detail = f"{owner}.__dict__.{parent.attr}({key if args else ''})"
        else:
            write, detail = False, f"{owner}.__dict__"
        if owner in ("self", "cls") and not write:
            return
        if key.startswith("'"):
            m.dict_keys.add(key.strip("'"))
        m.note("__dict__ writes" if write else "__dict__ reads", module, node.lineno, detail)
        return
    targets: list[ast.AST] = []
    if isinstance(node, (ast.Assign, ast.Delete)):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    for target in targets:
        for t in ast.walk(target):
            if (isinstance(t, ast.Attribute) and t.attr.startswith("_") and not t.attr.startswith("__")
                    and not (isinstance(t.value, ast.Name) and t.value.id in ("self", "cls"))
                    and isinstance(t.ctx, (ast.Store, ast.Del))):
                where = "module" if isinstance(t.value, ast.Name) and t.value.id in module_names else "object"
                m.note(f"private attribute writes ({where})", module, t.lineno, ast.unparse(t))
    if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and node.attr.startswith("_")
            and not node.attr.startswith("__") and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls", "os", "sys"))):
        m.note("private attribute reads (object)", module, node.lineno, ast.unparse(node))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
            and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
            and str(node.args[1].value).startswith("_") and _owner(node.args[0]) not in ("self", "cls")):
        m.note("private attribute writes (object)", module, node.lineno, f"setattr({_owner(node.args[0])}, {node.args[1].value!r})")


def _shapes(m: Measures, module: Module, node: ast.AST) -> None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        m.places.setdefault("functions", []).append(f"{module.name}:{node.lineno} {node.name}")
        length = node.end_lineno - node.lineno + 1
        if length > LONG_FUNCTION:
            m.note(f"functions over {LONG_FUNCTION} lines", module, node.lineno, f"{node.name} ({length} lines)")
        for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
            if arg.arg == "inventory":
                m.note("inventory parameters", module, node.lineno, node.name)
                if arg.annotation is None:
                    m.note("inventory parameters without annotation", module, node.lineno, node.name)
    if isinstance(node, ast.ClassDef):
        methods = sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in node.body)
        m.places.setdefault("classes", []).append(
            f"{module.name}:{node.lineno} {node.name} {node.end_lineno - node.lineno + 1} {methods}")
    name = node.value if isinstance(node, ast.Constant) else node.attr if isinstance(node, ast.Attribute) else None
    if isinstance(name, str) and name in KIND_IDS and isinstance(node, ast.Constant):
        _once(m, "modules naming a diff kind", module, node.lineno, name)
    if isinstance(name, str) and name in CI_NAMES and module.unit != "ci":
        _once(m, "modules outside ci/ naming a CI system", module, node.lineno, name)
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func)
        if name in ("os.fork", "os.register_at_fork", "multiprocessing.Process", "os.forkpty"):
            m.note("forks", module, node.lineno, name)


def _once(m: Measures, measure: str, module: Module, line: int, detail: str) -> None:
    """Count a module once per measure (the first place it does it)."""
    if not any(p.split(":")[0] == module.name for p in m.places.get(measure, [])):
        m.note(measure, module, line, detail)


def _project_classes(modules: dict[str, Module]) -> dict[str, bool]:
    """Class name -> whether its instances are values (a frozen dataclass, a NamedTuple, an Enum, or a
    subclass of an immutable builtin with no attributes of its own: `__slots__ = ()`)."""
    out = {}
    for module in modules.values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef):
                frozen = any("frozen=True" in ast.unparse(d) for d in node.decorator_list)
                frozen |= any(ast.unparse(b).split(".")[-1] in ("NamedTuple", "Enum", "IntEnum", "StrEnum", "Exception")
                              for b in node.bases)
                frozen |= (any(ast.unparse(b) in IMMUTABLE_BUILTINS for b in node.bases)
                           and any(isinstance(s, ast.Assign) and ast.unparse(s) == "__slots__ = ()" for s in node.body))
                out[node.name] = out.get(node.name, False) or frozen
    return out


def _is_container(value: ast.AST | None) -> bool:
    """A literal or constructor of a mutable container, or a tuple / list of them (`({}, {})`)."""
    if isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    if isinstance(value, ast.Tuple):
        return bool(value.elts) and all(_is_container(e) for e in value.elts)
    return isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] in CONTAINER_CALLS


def _root(node: ast.AST) -> ast.AST:
    """What a chain of subscripts starts from: `X` of `X[a][b]`."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node


def _mutated(tree: ast.AST) -> list[ast.AST]:
    """What the code below `tree` writes into: the roots of `X[k] = v`, `del X[k]`, `X[a][k] = v`
    and the receivers' roots of `X.append(...)`, `X[a].clear()`...  (nested functions included);
    through a local name for a part of it too (`plans = X[a]` then `plans[k] = v` writes into X)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.append(_root(node.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            out.append(_root(node.func.value))
    aliases = {}  # local name -> what it is a part of
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript)
                and isinstance(_root(node.value), ast.Name)):
            aliases.update({t.id: _root(node.value) for t in node.targets if isinstance(t, ast.Name)})
    return out + [aliases[n.id] for n in out if isinstance(n, ast.Name) and n.id in aliases]


def _names(nodes: list[ast.AST]) -> set[str]:
    return {n.id for n in nodes if isinstance(n, ast.Name)}


def _bound(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The names a function binds itself (parameters and assignments in its own body)."""
    args = fn.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} | {a.arg for a in (args.vararg, args.kwarg) if a}
    for node in _own_nodes(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _own_nodes(fn: ast.AST):
    """The nodes of a function's body, not those of the functions and classes defined in it."""
    for child in ast.iter_child_nodes(fn):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield child
        yield from _own_nodes(child)


def memo_factories(modules: dict[str, Module]) -> set[str]:
    """Names of module-level functions that return a closure over a container of their own which
    the closure writes into (`def memoise(fn): memo = {}; def once(x): memo[x] = ...; return once`):
    what they return keeps state from call to call, wherever it is put."""
    found = set()
    for module in modules.values():
        for fn in module.tree.body:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            kept = {n.id for node in _own_nodes(fn) if isinstance(node, (ast.Assign, ast.AnnAssign)) and _is_container(node.value)
                    for n in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(n, ast.Name)}
            returned = [r.value for r in _own_nodes(fn) if isinstance(r, ast.Return) and r.value is not None]
            for inner in ast.walk(fn):
                if inner is fn or not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    continue
                escapes = any(r is inner or (isinstance(r, ast.Name) and r.id == getattr(inner, "name", None)) for r in returned)
                free = _names(_mutated(inner)) - (_bound(inner) if not isinstance(inner, ast.Lambda) else set())
                if escapes and free & kept:
                    found.add(fn.name)
    return found


def _decorator_name(d: ast.AST) -> str:
    return ast.unparse(d.func if isinstance(d, ast.Call) else d).split(".")[-1]


def _module_state(m: Measures, module: Module, classes: dict[str, bool], factories: set[str]) -> None:
    containers: dict[str, int] = {}
    for node in module.tree.body:
        defs = [node] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else \
            [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))] if isinstance(node, ast.ClassDef) else []
        for fn in defs:  # module functions and methods
            name = fn.name if fn is node else f"{node.name}.{fn.name}"
            for d in fn.decorator_list:
                if _decorator_name(d) in CACHE_DECORATORS:
                    m.note("process-wide caches (lru_cache)", module, fn.lineno, name)
                elif _decorator_name(d) in factories:
                    m.note("module-level memos in closures", module, fn.lineno, f"{name} ({_decorator_name(d)})")
        if isinstance(node, ast.ClassDef):
            _class_state(m, module, node)
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        names = [t.id for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]
        value = node.value
        callee = ast.unparse(value.func).split(".")[-1] if isinstance(value, ast.Call) else ""
        if _is_container(value):
            containers.update({n: node.lineno for n in names})
        elif callee in factories:
            for n in names:
                m.note("module-level memos in closures", module, node.lineno, f"{n} ({callee})")
        elif callee in classes and not classes[callee]:
            for n in names:
                m.note("module-level instances", module, node.lineno, f"{n} = {callee}(...)")
        elif callee in STATEFUL_CALLS:
            for n in names:
                m.note("module-level instances", module, node.lineno, f"{n} = {callee}(...)")
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Global):
            for n in node.names:
                m.note("module-level switches (global)", module, node.lineno, n)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            _default_state(m, module, node)
    for name in sorted(set(containers) & _names(_mutated(module.tree))):
        m.note("module-level containers mutated", module, containers[name], name)


def _default_state(m: Measures, module: Module, fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
    """A container as a parameter's default that the function writes into (`def f(x, seen={})`):
    one object for every call."""
    args = fn.args
    pairs = list(zip((args.posonlyargs + args.args)[len(args.posonlyargs + args.args) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    written = _names(_mutated(fn))
    for arg, default in pairs:
        if _is_container(default) and arg.arg in written:
            m.note("mutable default arguments written", module, fn.lineno, f"{getattr(fn, 'name', 'lambda')}({arg.arg})")


def _class_state(m: Measures, module: Module, cls: ast.ClassDef) -> None:
    """A container in a class body that the class's code writes into through the class or an
    instance (`cls._seen[k] = v`, `self.table.append(x)` with no `self.table = ...` of its own)."""
    kept = {t.id: node.lineno for node in cls.body if isinstance(node, (ast.Assign, ast.AnnAssign)) and _is_container(node.value)
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}
    if not kept:
        return
    rebound = {t.attr for node in ast.walk(cls) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
               for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
               if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in ("self", "cls")}
    owners = ("self", "cls", cls.name)
    written = {r.attr for r in _mutated(cls) if isinstance(r, ast.Attribute) and isinstance(r.value, ast.Name) and r.value.id in owners}
    for name in sorted((written & set(kept)) - rebound):
        m.note("module-level containers mutated", module, kept[name], f"{cls.name}.{name}")


STATE = ("module-level switches (global)", "module-level containers mutated", "module-level instances",
         "process-wide caches (lru_cache)", "module-level memos in closures", "mutable default arguments written", "forks")


def state_outside(m: Measures) -> list[str]:
    """Every place of module-level state (`STATE`) in a module outside the wings (`engine/`)."""
    return [place for measure in STATE for place in m.places.get(measure, [])
            if place.split(":")[0].split(".")[0] not in WINGS]


# --------------------------------------------------------------------------- summaries
def graphs(m: Measures, kinds=("top", "deferred")) -> tuple[nx.DiGraph, nx.DiGraph]:
    modules, units = nx.DiGraph(), nx.DiGraph()
    modules.add_nodes_from(m.modules)
    units.add_nodes_from({mod.unit for mod in m.modules.values()})
    for source, target, kind, _line in m.imports:
        if kind in kinds:
            modules.add_edge(source, target)
            a, b = m.modules[source].unit, m.modules[target].unit
            if a != b:
                units.add_edge(a, b)
    return modules, units


def layers(graph: nx.DiGraph) -> dict[str, int]:
    """Each node's layer: 0 for what imports nothing, else one more than the highest layer
    it imports (cycles folded into one node)."""
    condensed = nx.condensation(graph)
    depth: dict[int, int] = {}
    for node in reversed(list(nx.topological_sort(condensed))):
        depth[node] = 1 + max((depth[s] for s in condensed.successors(node)), default=-1)
    return {member: depth[c] for c, data in condensed.nodes(data=True) for member in data["members"]}


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    return sorted((sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1), key=lambda c: (-len(c), c))


def climbing(m: Measures) -> list[str]:
    rank = {unit: i for i, group in enumerate(PIPELINE) for unit in group}
    out = []
    for source, target, kind, line in m.imports:
        if kind == "typing":
            continue
        a, b = m.modules[source].unit, m.modules[target].unit
        if a in rank and b in rank and rank[b] > rank[a]:
            out.append(f"{source}:{line} -> {target} ({kind})")
    return out


def summary(m: Measures) -> dict:
    top_modules, top_units = graphs(m, ("top",))
    all_modules, all_units = graphs(m)
    kinds = Counter(kind for *_rest, kind, _line in [(s, t, k, ln) for s, t, k, ln in m.imports])
    files = max(m.modules.values(), key=lambda mod: mod.lines)
    classes = [c.split() for c in m.places.get("classes", [])]
    largest = max(classes, key=lambda c: int(c[2]), default=["", "", "0", "0"])
    most_methods = max(classes, key=lambda c: int(c[3]), default=["", "", "0", "0"])
    unit_layers = layers(all_units)
    count = {key: len(value) for key, value in m.places.items()}
    return {
        "modules": len(m.modules),
        "lines": sum(mod.lines for mod in m.modules.values()),
        "imports": {"module arrows": all_modules.number_of_edges(), "top-level": kinds["top"],
                    "deferred": kinds["deferred"], "type-only": kinds["typing"]},
        "units": all_units.number_of_nodes(),
        "unit arrows": all_units.number_of_edges(),
        "unit layers": 1 + max(unit_layers.values(), default=-1),
        "module layers": 1 + max(layers(all_modules).values(), default=-1),
        "arrows climbing the pipeline": len(climbing(m)),
        "module cycles (top-level imports)": [" ".join(c) for c in cycles(top_modules)],
        "module cycles (every import)": [" ".join(c) for c in cycles(all_modules)],
        "unit cycles (every import)": [" ".join(c) for c in cycles(all_units)],
        "largest file": {"module": files.name, "lines": files.lines},
        "largest class": {"class": f"{largest[0].split(':')[0]}.{largest[1]}", "lines": int(largest[2]), "methods": int(largest[3])},
        "class with most methods": {"class": f"{most_methods[0].split(':')[0]}.{most_methods[1]}", "lines": int(most_methods[2]),
                                    "methods": int(most_methods[3])},
        "functions": count.get("functions", 0),
        f"functions over {LONG_FUNCTION} lines": count.get(f"functions over {LONG_FUNCTION} lines", 0),
        "__dict__ writes": count.get("__dict__ writes", 0),
        "__dict__ reads": count.get("__dict__ reads", 0),
        "__dict__ keys": sorted(m.dict_keys),
        "private attribute writes (module)": count.get("private attribute writes (module)", 0),
        "private attribute writes (object)": count.get("private attribute writes (object)", 0),
        "private attribute reads (object)": count.get("private attribute reads (object)", 0),
        "private names imported from another module": count.get("private names imported from another module", 0),
        "module-level switches (global)": count.get("module-level switches (global)", 0),
        "module-level containers mutated": count.get("module-level containers mutated", 0),
        "module-level instances": count.get("module-level instances", 0),
        "process-wide caches (lru_cache)": count.get("process-wide caches (lru_cache)", 0),
        "module-level memos in closures": count.get("module-level memos in closures", 0),
        "mutable default arguments written": count.get("mutable default arguments written", 0),
        "forks": count.get("forks", 0),
        "module-level state outside engine/": len(state_outside(m)),
        "modules naming a diff kind": count.get("modules naming a diff kind", 0),
        "modules outside ci/ naming a CI system": count.get("modules outside ci/ naming a CI system", 0),
        "inventory parameters": count.get("inventory parameters", 0),
        "inventory parameters without annotation": count.get("inventory parameters without annotation", 0),
    }


LISTED = ("__dict__ writes", "__dict__ reads", "private attribute writes (module)", "private attribute writes (object)",
          "private attribute reads (object)", "private names imported from another module", "module-level switches (global)", "module-level containers mutated",
          "module-level instances", "process-wide caches (lru_cache)", "module-level memos in closures",
          "mutable default arguments written", "forks", "modules naming a diff kind",
          "modules outside ci/ naming a CI system", f"functions over {LONG_FUNCTION} lines",
          "inventory parameters without annotation")


def text(m: Measures, listed: bool) -> str:
    lines = []
    for key, value in summary(m).items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = f"{len(value)}" + "".join(f"\n    {v}" for v in value)
        lines.append(f"{key}: {value}")
    if listed:
        _, units = graphs(m)
        lines.append("\nunit layers (0 imports nothing):")
        for unit, layer in sorted(layers(units).items(), key=lambda item: (item[1], item[0])):
            lines.append(f"  {layer} {unit} -> {' '.join(sorted(units.successors(unit)))}")
        lines.append("\narrows climbing the pipeline:")
        lines += [f"  {p}" for p in climbing(m)]
        for key in LISTED:
            if m.places.get(key):
                lines.append(f"\n{key}:")
                lines += [f"  {p}" for p in m.places[key]]
        lines.append("\nmodule-level state outside engine/:")
        lines += [f"  {p}" for p in state_outside(m)]
    return "\n".join(lines) + "\n"


def trace(root: Path, repo: Path, spec: str) -> dict[str, list[str]]:
    """Distinct `caller -> callee` function pairs of one diff, by what they do (see the docstring)."""
    sys.path.insert(0, str(root.resolve().parent))
    cli = importlib.import_module(f"{root.name}.cli")
    prefix = str(root.resolve()) + os.sep
    rank = {unit: i for i, group in enumerate(PIPELINE) for unit in group}
    calls: set[tuple[str, str, str, str]] = set()

    def module_of(filename: str) -> str:
        parts = list(Path(filename[len(prefix):]).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)

    def profile(frame, event, _arg):
        if event != "call" or not frame.f_code.co_filename.startswith(prefix):
            return
        caller = frame.f_back
        if caller is not None and caller.f_code.co_filename.startswith(prefix):
            calls.add((module_of(caller.f_code.co_filename), caller.f_code.co_name,
                       module_of(frame.f_code.co_filename), frame.f_code.co_name))

    args = [spec, "--repo", str(repo), "--format", "json", "--fail-on", "never", "--no-cache", "--jobs", "1"]
    sys.setprofile(profile)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            cli.main(args)
    except SystemExit:
        pass
    finally:
        sys.setprofile(None)
    out: dict[str, list[str]] = {"calls entering the session": [], "calls climbing the pipeline": []}
    for source, caller, target, callee in sorted(calls):
        a, b = unit_of(source), unit_of(target)
        if target in SESSION and source != target:
            out["calls entering the session"].append(f"{source}.{caller} -> {target}.{callee}")
        if a in rank and b in rank and rank[b] > rank[a]:
            out["calls climbing the pipeline"].append(f"{source}.{caller} -> {target}.{callee}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent / "src" / "coverage_diff")
    parser.add_argument("--json", action="store_true", help="the numbers as one JSON object")
    parser.add_argument("--list", action="store_true", help="name every place counted")
    parser.add_argument("--trace", nargs=2, metavar=("REPO", "RANGE"), help="count the calls of one diff (see above)")
    args = parser.parse_args(argv)
    if args.trace:
        found = trace(args.root, Path(args.trace[0]), args.trace[1])
        for key, pairs in found.items():
            print(f"{key}: {len(pairs)}" + "".join(f"\n    {p}" for p in pairs if args.list))
        return 0
    m = measure(args.root)
    sys.stdout.write(json.dumps(summary(m), indent=2) + "\n" if args.json else text(m, args.list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
