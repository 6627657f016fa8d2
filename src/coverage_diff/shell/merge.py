"""Paths that go on alike are one: joining states after an `if`, a `case`, a loop or a
fallback, and what a child process hands back (one path per exit status)."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from operator import attrgetter

from ..model import Frame
from .state import State, Var


def loop_fingerprint(st: State) -> int:
    if st.watch is not None:
        st.watch.compared(st.vars)
    return hash((frozenset((name, var_fingerprint(var)) for name, var in st.vars.items()), st.positional, st.cwd,
                 st.stdin and tuple(st.stdin)))


def var_fingerprint(var: Var) -> int:
    """A hash of the variable's value and flags, kept on it (a `Var` never changes)."""
    found = var.__dict__.get("_fingerprint")
    if found is None:
        items = var.items
        found = var.__dict__["_fingerprint"] = hash((None if items is None else tuple(items.items()), var.is_array, var.assoc,
                                                     var.exported, var.from_env, var.origin, var.nameref, var.widened))
    return found


def havoc(states: list[State], before: dict[str, Var]) -> None:
    """After a loop that ran an unknown number of times: whatever any pass wrote is unknown."""
    written = {name for s in states for name, var in s.vars.items() if before.get(name) is not var}
    written |= {name for name in before if any(name not in s.vars for s in states)}
    for s in states:
        for name in written:
            old = s.vars.get(name) or before.get(name)
            is_array = bool(old and old.is_array)
            s.vars[name] = Var(None, is_array, bool(old and old.assoc), bool(old and old.exported),
                               origin=f"${name} (set in a loop run an unknown number of times)")
            s.touched.add(name)


def kept_guards(saved: tuple[Frame, ...], current: tuple[Frame, ...]) -> tuple[Frame, ...]:
    """`saved` (the path before an `if`, a `case`, a function or a sourced file) plus the guards
    passed inside it: a branch taken there still decides what runs after it."""
    if current[: len(saved)] != saved:
        return saved
    out = saved
    for frame in current[len(saved):]:
        if frame.kind == "guard" and (not out or out[-1] != frame):
            out += (frame,)
    return out


def same_effect(a: State, b: State) -> bool:
    """Two live paths that go on identically (assumptions and the last status aside: a status
    read as `$?` right after is the only difference, and `set -e` acted on it already)."""
    return (a.cwd == b.cwd and a.vars == b.vars and a.funcs.keys() == b.funcs.keys()
            and a.positional == b.positional and a.made_dirs == b.made_dirs and a.globopts == b.globopts
            and a.errexit == b.errexit and a.dirstack == b.dirstack)


def widen(st: State, other: State, when: str) -> None:
    """Make unknown in `st` every variable whose value differs in `other` (a path that ran
    nothing and differs from `st` only there), when nothing else sets them apart."""
    if not alike_but_variables(st, other):
        return
    for name in set(st.vars) | set(other.vars):
        mine, theirs = st.vars.get(name), other.vars.get(name)
        if mine is theirs or mine == theirs:
            continue
        old = mine or theirs
        st.vars[name] = Var(None, old.is_array, old.assoc, bool((mine and mine.exported) or (theirs and theirs.exported)),
                            origin=f"${name} (set where {when})", widened=True)
        st.touched.add(name)


def join(states: list[State]) -> list[State]:
    """Paths that go on alike (every part of their states equal, guards passed aside) are one.
    Its assumptions: those of the path with fewer, when the other's include them all; the
    common ones, when the two differ only in the two outcomes of one condition (either holds,
    so what follows happens on both); otherwise both paths stay.  A joined path is tried again
    against the others (three paths through `a`, `! a && b`, `! a && ! b` become one).  Its
    guards are those both paths passed: a branch after which they go on alike decides nothing
    that follows."""
    if len(states) > 8:  # only paths with equal variables may join: group them first
        groups: dict[tuple, list[State]] = {}
        for s in states:
            groups.setdefault(_join_key(s, states[0].vars), []).append(s)
        if len(groups) < len(states):
            return [s for group in groups.values() for s in (_join_pairs(group) if len(group) > 1 else group)]
        return states
    return _join_pairs(states)


def _join_key(s: State, ref: dict[str, Var]):
    """Equal for paths with equal status, cwd and variables: the variables are compared with
    those of another path (`ref`), which shares most of them (the same objects, a pointer
    comparison each), and only those that differ from it are hashed."""
    if s.flow:
        return id(s)
    vars_ = s.vars
    if s.watch is not None:
        s.watch.compared(vars_)
    differ = frozenset((name, var_fingerprint(var)) for name, var in vars_.items()
                       if var is not (old := ref.get(name)) and var != old)
    return (s.status, s.cwd, differ, frozenset(name for name in ref if name not in vars_) if len(ref) > len(vars_) or differ else ())


def _join_pairs(states: list[State]) -> list[State]:
    out: list[State] = []
    for s in states:
        at = len(out)
        while not s.flow:
            found = next(((i, m) for i, o in enumerate(out) if (m := _joined(o, s)) is not None), None)
            if found is None:
                break
            at, (assumptions, frames) = found
            o = out.pop(at)
            o.assumptions, o.frames = assumptions, frames
            o.touched |= s.touched
            o.status_assumed = o.status_assumed or s.status_assumed  # either may have failed in truth
            s = o
        out.insert(at, s)
    return out


def _joined(o: State, s: State) -> tuple[tuple, tuple] | None:
    """(assumptions, frames) of `o` and `s` as one path, or None when they are not one."""
    if o.flow or o.status != s.status or o.cwd != s.cwd or o.vars != s.vars or _state_parts(o) != _state_parts(s):
        return None
    frames = o.frames
    if frames != s.frames:
        if [f for f in frames if f.kind != "guard"] != [f for f in s.frames if f.kind != "guard"]:
            return None
        theirs = set(s.frames)
        frames = tuple(f for f in frames if f.kind != "guard" or f in theirs)
    assumptions = _joined_assumptions(o.assumptions, s.assumptions)
    return None if assumptions is None else (assumptions, frames)


def joined_case(out: list[State], before: tuple, frames: tuple) -> State | None:
    """Every path out of a `case` as one, when they all go on alike: none left the statement
    (exit, return, break...) and their states are equal but for the arm each took.  They
    are then every way through it, so what follows happens whichever arm ran, under the
    assumptions made before the `case` (`before`) and on the path before it (`frames`).
    A subject not known statically in a loop would otherwise multiply the paths by the
    arms at every pass.  None when they do not all go on alike."""
    first = out[0]
    for s in out:
        if s.flow or s.vars != first.vars or s.assumptions[:len(before)] != before:
            return None
    if not all(_case_parts(s) == _case_parts(first) for s in out[1:]):
        return None
    first.assumptions, first.frames, first.sub_status = before, frames, None
    first.touched = set().union(*(s.touched for s in out))
    first.status_assumed = any(s.status_assumed for s in out)
    return first


def alike_but_variables(a: State, b: State) -> bool:
    """Every part of two paths' states equal but their variables, assumptions and which names
    the scripts assigned: stdin, captured output, saved locals, options, frames... all of it."""
    return a.frames == b.frames and _state_parts(a) == _state_parts(b)


# What must be equal for two paths to be one (`join` compares frames apart: guards may differ).
_STATE_PARTS = tuple(f.name for f in dataclass_fields(State)
                     if f.name not in ("vars", "assumptions", "status_assumed", "touched", "frames"))
_state_parts = attrgetter(*_STATE_PARTS)  # one tuple to compare (its items' identity is tried first)
# (the guards of the arms taken differ; the status of the last `$(...)` is read only inside the
# command that made it, and the subject's is left on the path no arm took)
_CASE_PARTS = tuple(name for name in _STATE_PARTS if name != "sub_status")
_case_parts = attrgetter(*_CASE_PARTS)


def _joined_assumptions(a: tuple, b: tuple) -> tuple | None:
    """The assumptions of two paths that go on alike as one path (see `join`), or None.
    Compared as sets: a loop may have made the same assumption more than once.  Two paths
    forked from one share the assumptions made before the fork (the same objects): only
    those each made since are hashed, and looked for among the shared ones."""
    if a is b:
        return a
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] is b[i]:
        i += 1
    if i == len(a):  # a's are all b's
        return a
    if i == len(b):  # b's are all a's: a's, when its others repeat b's
        return b if _not_in(set(a[i:]), b) else a
    shared, rest_a, rest_b = a[:i], a[i:], b[i:]
    set_a, set_b = set(rest_a), set(rest_b)
    only_a = _not_in(set_a - set_b, shared)  # a's not among b's
    if not only_a:
        return a
    only_b = _not_in(set_b - set_a, shared)
    if not only_b:
        return b
    if len(only_a) == len(only_b) == 1:
        ca, cb = only_a[0].condition, only_b[0].condition
        if (ca.location, ca.text) == (cb.location, cb.text) and ca.outcome != cb.outcome:
            return shared + tuple(x for x in rest_a if x is not only_a[0] and x != only_a[0])
    return None


def _not_in(items: set, shared: tuple) -> list:
    """`items` but those among `shared` (hashed only where a condition's text is one of theirs:
    a dataclass's hash goes through every field)."""
    if not items:
        return []
    left = set(items)
    texts = {x.condition.text for x in left}
    for y in shared:
        if y.condition.text in texts and y in left:
            left.discard(y)
            if not left:
                break
    return list(left)


def distinct(states: list[State]) -> list[State]:
    """`states` without a live path that goes on as an earlier one does (the earlier one, with
    its assumptions, stands for both: what follows is predicted as possible or certain by it)."""
    out: list[State] = []
    for s in states:
        if s.flow or not any(not o.flow and o.vars == s.vars and alike_but_variables(o, s) for o in out):
            out.append(s)
    return out


def merge_by_status(finals: list[State], parent: State) -> list[State]:
    """A child process's paths, one per exit status: only the status and the
    directories it made reach the parent, and the runs inside were recorded already.
    Paths sharing a status fall back to the parent's assumptions, and keep as made only
    the directories every one of them made (one that took a directory to exist says
    nothing of the others)."""
    groups: dict[int | None, list[State]] = {}
    for f in finals:
        groups.setdefault(f.status, []).append(f)
    merged = []
    for group in groups.values():
        first = group[0]
        if len(group) > 1:
            first.assumptions = parent.assumptions
            first.made_dirs = frozenset.intersection(*(f.made_dirs for f in group))
        merged.append(first)
    return merged
