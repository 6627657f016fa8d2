"""Pathname expansion (`for f in tests/*.py`, `pytest tests/test_*.py`) against
the files of the snapshot, as bash does it with its default options.

A pattern is a list of pieces `(text, quoted)` (see `patterns`).  Bash matches
it one path component at a time: `*`, `?` and `[...]` never match `/`, and a
leading `.` only when the component's pattern starts with a literal `.` (or
under `dotglob`).  Matches are sorted in byte order, as under `LC_ALL=C`.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from ..snapshot import Snapshot, normalize
from .patterns import Pattern, compile_pattern, ends, is_glob, merged

if TYPE_CHECKING:
    from ..context import ShellCaches


def has_glob(pattern: Pattern) -> bool:
    return is_glob(pattern)


def expand(pattern: Pattern, cwd: str, snapshot: Snapshot, prefixes: tuple[str, ...], caches: ShellCaches, *,
           dotglob: bool = False, globstar: bool = False, made_dirs: frozenset[str] = frozenset()) -> list[str] | None:
    """The paths the pattern names, sorted; [] when none; None when the files it
    would be matched against are not the repository's (an absolute path outside
    the workspace, an unknown cwd).  `caches`: where the snapshots' directory indexes
    and the compiled patterns are kept (`context.ShellCaches`)."""
    components = _components(pattern)
    shown_root, base = "", cwd
    if components and components[0] == ():  # absolute
        literal = "".join(text for text, _ in pattern)
        prefix = next((p.rstrip("/") for p in prefixes if literal.startswith(p.rstrip("/") + "/")), None)
        if prefix is None:
            return None
        depth = prefix.count("/")
        if any(is_glob(c) for c in components[: depth + 1]):
            return None
        components = components[depth + 1 :]
        shown_root, base = prefix + "/", ""
    elif cwd == "?" or cwd.startswith("/"):
        return None
    children = _children(snapshot, made_dirs, caches.children)
    found = [(base, shown_root)]  # (repository path or "../x" when outside, as written so far)
    for i, component in enumerate(components):
        last = i == len(components) - 1
        if component == () and last:  # a trailing `/`: directories only
            found = [(path, shown + "/") for path, shown in found if path in children]
            break
        nxt = []
        for path, shown in found:
            sep = "" if not shown or shown.endswith("/") else "/"
            if not is_glob(component):
                name = "".join(text for text, _ in component)
                nxt.append((normalize(posixpath.join(path, name)), shown + sep + name))
                continue
            if path.startswith(".."):  # matched against files outside the repository
                return None
            if globstar and component == (("**", False),):
                nxt += [(p, shown + sep + p[len(path) + 1 if path else 0:]) for p in _descendants(children, path, last)]
                continue
            names, _ = children.get(path, ({}, set()))
            for name in _matching(names, component, dotglob, caches):
                nxt.append((posixpath.join(path, name) if path else name, shown + sep + name))
        found = nxt
    results = [shown for path, shown in found if _exists(snapshot, children, path)]
    return sorted(set(results), key=lambda s: s.encode())


def _components(pattern: Pattern) -> list[tuple[tuple[str, bool], ...]]:
    """The pattern split at every `/` (quoted or not): a leading `()` is the root."""
    components: list[list[tuple[str, bool]]] = [[]]
    for text, quoted in pattern:
        parts = text.split("/")
        for k, part in enumerate(parts):
            if k:
                components.append([])
            if part:
                components[-1].append((part, quoted))
    out = [tuple(c) for c in components]
    # `a//b` is `a/b`; keep a leading empty (root) and a trailing empty (directories only).
    return [c for k, c in enumerate(out) if c or k == 0 or k == len(out) - 1]


def _matching(names, component, dotglob: bool, caches: ShellCaches) -> list[str]:
    tokens = compile_pattern(merged(component), False, caches)
    first = component[0][0][:1] if component else ""
    dots = dotglob or first == "."
    return [n for n in names if (dots or not n.startswith(".")) and n not in (".", "..") and len(n) in ends(tokens, n)]


def _children(snapshot: Snapshot, made_dirs: frozenset[str], kept: WeakKeyDictionary) -> dict[str, tuple[dict[str, None], set[str]]]:
    """Directory -> (names in it, the subset that are directories), built once per snapshot
    and kept in `kept` (snapshot -> directories made at run time -> that index); with
    directories made at run time, once per set of them (the snapshot's index shared, only
    the directories they add to copied)."""
    snapshot = snapshot.lister()
    made = kept.get(snapshot)
    if made is None:
        index: dict[str, tuple[dict[str, None], set[str]]] = {}
        for path in snapshot.files:
            _add_path(index, path, is_dir=False, base=None)
        made = kept[snapshot] = {frozenset(): index}
    index = made.get(made_dirs)
    if index is None:
        base = made[frozenset()]
        index = dict(base)
        for path in made_dirs:
            _add_path(index, path, is_dir=True, base=base)
        if len(made) > 64:  # a job that makes ever more directories: keep the latest sets only
            for key in list(made)[1:33]:
                del made[key]
        made[made_dirs] = index
    return index


def _add_path(index: dict, path: str, *, is_dir: bool, base: dict | None) -> None:
    """Add `path` (and its parents) to `index`; an entry still shared with `base` is copied
    before it changes."""
    parts = path.split("/")
    for k in range(len(parts)):
        parent, name = "/".join(parts[:k]), parts[k]
        entry = index.get(parent)
        if entry is None or (base is not None and entry is base.get(parent)):
            entry = index[parent] = (dict(entry[0]), set(entry[1])) if entry is not None else ({}, set())
        entry[0][name] = None
        if k < len(parts) - 1 or is_dir:
            entry[1].add(name)
            index.setdefault("/".join(parts[: k + 1]), ({}, set()))


def _descendants(children: dict, path: str, last: bool) -> list[str]:
    """`**` under globstar: the directory itself and every directory below it
    (and, as the last component, every file too); hidden names are skipped."""
    out = [path] if path else []
    todo = [path]
    while todo:
        here = todo.pop()
        names, dirs = children.get(here, ({}, set()))
        for name in names:
            if name.startswith("."):
                continue
            full = posixpath.join(here, name) if here else name
            if name in dirs:
                out.append(full)
                todo.append(full)
            elif last:
                out.append(full)
    return out


def _exists(snapshot: Snapshot, children: dict, path: str) -> bool:
    if path.startswith(".."):
        return False
    return path == "" or path in children or snapshot.entry(path) is not None
