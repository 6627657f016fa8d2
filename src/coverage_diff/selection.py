"""What a pytest command selects, and whether head's commands together still select it.

A lost pytest run is no loss when head runs, where it ran (platform, environment,
working directory, and every option other than the selection the same), pytest
commands whose selections together hold everything it selected: a file now run
through its directory, `path::test[ID]` now `path::test -k ID`, a directory whose
`--ignore`d parts two commands split between them, a file whose `--deselect`s
were dropped while its tests are listed one by one.

What a run selects is a set of items: a test file (everything in it) or a test in
a file (`path::name`, `path::Class::name`, with a parameter id).  An item is held
by a head command when one of its targets contains it (a directory above it, the
file, or the test it names), nothing that command ignores or deselects takes it
away, and its `-k`/`-m` expressions accept whatever the base command's accepted
(boolean formulas over their terms; a `-k` term written in the item's own id is
true for it).  A file not held whole is held when each of its tests is (names read
from the file: `def test_*` at the top level and `class Test*`).  Anything else
(another program, an option that differs, a term the formulas cannot settle) is
not held: the loss is reported as before.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from dataclasses import dataclass

from .engine import store
from .model import Run
from .snapshot import normalize

VALUED = {"-k", "-m", "--ignore", "--ignore-glob", "--deselect"}
TERMS = re.compile(r"\(|\)|[^\s()]+")
OPERATORS = {"and", "or", "not", "(", ")"}
TEST_NAMES = re.compile(r"^(?:async\s+)?def\s+(test\w*)\s*\(|^class\s+(Test\w*)\b", re.MULTILINE)


@dataclass(frozen=True)
class Selection:
    frame: tuple[str, ...]  # the command without its targets and selection options
    targets: tuple[str, ...]  # repository paths, `path::node` ids
    ignores: tuple[str, ...]  # repository paths
    deselects: tuple[str, ...]  # node ids
    k: str | None
    m: str | None


def selection(run: Run, snapshot) -> Selection | None:
    """The selection of a pytest run (None: not pytest, or a part not understood)."""
    argv = list(run.chosen or run.argv)  # a listed config's run: the config is part of the command
    if not argv or posixpath.basename(argv[0]) not in ("pytest", "py.test") or run.cwd == "?":
        return None
    frame, targets, ignores, deselects, k, m = [argv[0]], [], [], [], None, None
    words = iter(argv[1:])
    for word in words:
        name, eq, value = word.partition("=")
        if word.startswith("-") and name in VALUED:
            if not eq:
                value = next(words, "")
            if name == "-k":
                k = value if k is None else f"({k}) and ({value})"
            elif name == "-m":
                m = value if m is None else f"({m}) and ({value})"
            elif name == "--deselect":
                deselects.append(_rooted(value, run.cwd, snapshot))
            elif name == "--ignore":
                ignores.append(_rooted(value, run.cwd, snapshot))
            else:
                return None  # a glob: not followed
        elif not word.startswith("-") and (snapshot.exists(word.split("::", 1)[0]) or snapshot.is_dir(word.rstrip("/"))):
            targets.append(word.rstrip("/"))
        else:
            frame.append(word)
    return Selection(tuple(frame), tuple(targets), tuple(ignores), tuple(deselects), k, m) if targets else None


def _rooted(path: str, cwd: str, snapshot) -> str:
    """A path given to `--ignore`/`--deselect`, relative to the repository root."""
    file, sep, node = path.partition("::")
    for candidate in (normalize(f"{cwd}/{file}") if cwd else normalize(file), normalize(file)):
        if snapshot.exists(candidate) or snapshot.is_dir(candidate):
            return candidate + sep + node
    return normalize(f"{cwd}/{file}") + sep + node


def _index(head) -> dict[tuple, list[tuple[Selection, str]]]:
    """(frame, env, cwd, platform) -> the selections (and subjects) of head's pytest runs."""
    return store.derived(head, "selection_index", _build_index)


def _build_index(head) -> dict[tuple, list[tuple[Selection, str]]]:
    index: dict = {}
    for subject, runs in head.runs_by_subject.items():
        for run in runs:
            found = selection(run, head.snapshot)
            if found is not None:
                index.setdefault((found.frame, run.env, run.cwd, run.platform), {})[(found, subject)] = None
    return {key: list(value) for key, value in index.items()}


def holders(run: Run, base, head) -> tuple[str, ...]:
    """The head subjects whose runs, where `run` ran, together select all it selected
    (empty when they do not)."""
    was = selection(run, base.snapshot)
    if was is None:
        return ()
    candidates = _index(head).get((was.frame, run.env, run.cwd, run.platform), [])
    if not candidates:
        return ()
    used: dict[str, None] = {}
    for item in _items(was, base.snapshot):
        found = _held(item, was, candidates, base.snapshot, head.snapshot)
        if not found:
            return ()
        used.update(dict.fromkeys(found))
    return tuple(used)


def _items(was: Selection, snapshot) -> list[str]:
    """The files and tests a selection names, directories opened into their test files."""
    out = []
    for target in was.targets:
        if "::" in target or snapshot.exists(target):
            out.append(target)
            continue
        for path in sorted(snapshot.files):
            name = posixpath.basename(path)
            if path.startswith(target + "/") and name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
                out.append(path)
    return [i for i in out if not any(_within(i, ignored) for ignored in was.ignores)]


def _within(item: str, target: str) -> bool:
    """`target` (a directory, a file or a test id) contains `item`."""
    return item == target or item.startswith(target + "/") or item.startswith(target + "::") or \
        ("::" in target and item.startswith(target + "["))


def _held(item: str, was: Selection, candidates, before, after) -> list[str]:
    """The subjects whose selections hold `item` (empty: not held)."""
    holding = [(sel, subject) for sel, subject in candidates
               if any(_within(item, t) for t in sel.targets) and not any(_within(item, i) for i in sel.ignores + sel.deselects)
               and not any(_within(d, item) and d not in was.deselects for d in sel.deselects)]
    if holding and _accepts(item, was, [sel for sel, _ in holding]):
        return [subject for _, subject in holding]
    if "::" in item or not before.exists(item):
        return []
    names = [a or b for a, b in TEST_NAMES.findall(before.text(item))]  # each test of the file, one by one
    found: list[str] = []
    for name in names:
        if any(_within(f"{item}::{name}", d) for d in was.deselects):
            continue  # base did not run it either
        part = _held(f"{item}::{name}", was, candidates, before, after)
        if not part:
            return []
        found += part
    return found


def _accepts(item: str, was: Selection, selections: list[Selection]) -> bool:
    """Every test of `item` that `was`'s -k/-m accept, one of `selections` accepts too."""
    if all(s.k is None and s.m is None for s in selections):
        return True
    terms: dict[str, str] = {}
    compiled = [_formula(was.k, was.m, terms, item)] + [_formula(s.k, s.m, terms, item) for s in selections]
    if len(terms) > 12:
        return False
    try:
        for values in itertools.product((False, True), repeat=len(terms)):
            scope = {name: value for name, value in zip(terms.values(), values)}
            if _eval(compiled[0], scope) and not any(_eval(c, scope) for c in compiled[1:]):
                return False
    except (SyntaxError, NameError, TypeError):
        return False  # an expression not understood: no claim that it is held
    return True


def _formula(k: str | None, m: str | None, terms: dict[str, str], item: str) -> str:
    """`-k` and `-m` as one Python expression; a `-k` term in the item's id is True."""
    parts = []
    for option, text in (("k", k), ("m", m)):
        if text is None:
            continue
        out = []
        for token in TERMS.findall(text):
            if token in OPERATORS:
                out.append(token)
            elif option == "k" and token.lower() in item.lower():
                out.append("True")
            else:
                out.append(terms.setdefault(f"{option}:{token}", f"t{len(terms)}"))
        parts.append(f"({' '.join(out)})")
    return " and ".join(parts) or "True"


def _eval(formula: str, scope: dict[str, bool]) -> bool:
    return bool(eval(formula, {"__builtins__": {}}, scope))  # names t0.., True/False, and/or/not only
